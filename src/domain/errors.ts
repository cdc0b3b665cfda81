// User errors of the domain layer: a subclass of the estimation layer's input error (one `instanceof` check for
// callers), whose `field` is the dotted path of the offending option, e.g. 'rta.variance'.
import type { z } from 'zod';
import { EstimationInputError } from '../estimation/result.js';

export class DomainInputError extends EstimationInputError {
  constructor(message: string, field?: string) {
    super(message, field);
    this.name = 'DomainInputError';
  }
}

/** Parses options with a zod schema; the first issue becomes a DomainInputError naming `prefix.path`. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const tail = issue.path.map(String).join('.');
  // unknown keys report the key itself as the field
  const keys = issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys ?? [] : [];
  const field = [prefix, tail, keys[0]].filter(Boolean).join('.');
  throw new DomainInputError(`${field}: ${issue.message}`, field);
}
