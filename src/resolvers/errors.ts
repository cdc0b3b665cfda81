// User errors carry code BAD_USER_INPUT and the name of the offending argument.
import { GraphQLError } from 'graphql';

export function badInput(argument: string, message: string): GraphQLError {
  return new GraphQLError(`${argument}: ${message}`, { extensions: { code: 'BAD_USER_INPUT', argument } });
}
