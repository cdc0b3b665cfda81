// Refusals of the limits: GraphQL errors whose extensions name the limit, its setting, the maximum and what was found.
import { GraphQLError } from 'graphql';

export type LimitCode = 'QUERY_TOO_COMPLEX' | 'BATCH_TOO_LARGE' | 'TIMEOUT' | 'RESPONSE_TOO_LARGE' | 'PAYLOAD_TOO_LARGE';

export interface LimitInfo {
  /** e.g. maxDepth */
  limit: string;
  /** environment variable that sets it */
  setting: string;
  max: number;
  /** measured value (a lower bound when measuring stopped at the limit) */
  found: number;
}

const HTTP_STATUS: Record<LimitCode, number> = {
  QUERY_TOO_COMPLEX: 400, BATCH_TOO_LARGE: 400, TIMEOUT: 503, RESPONSE_TOO_LARGE: 400, PAYLOAD_TOO_LARGE: 413,
};

export function limitError(code: LimitCode, message: string, info: LimitInfo, withHttp = true): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code, ...info, ...(withHttp ? { http: { status: HTTP_STATUS[code] } } : {}) },
  });
}

/** The JSON body of a refusal sent outside Apollo (batch size, body size, auth on /graphql). */
export function graphqlErrorBody(e: GraphQLError): string {
  const { http: _http, ...extensions } = e.extensions as Record<string, unknown>;
  return JSON.stringify({ errors: [{ message: e.message, extensions }] });
}

export const fmtBytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);
