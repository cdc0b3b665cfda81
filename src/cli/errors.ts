// Errors the CLI prints as one line (no stack): bad arguments, and anything the user can fix in data or spec.
import { EstimationInputError } from '../estimation/result.js';
import { SingularMatrixError } from '../estimation/linalg.js';
import { StoreInUseError } from '../db/lock.js';

export class UsageError extends Error {}

export function isUserError(e: unknown): e is Error {
  return e instanceof UsageError || e instanceof StoreInUseError || e instanceof EstimationInputError || e instanceof SingularMatrixError || (e instanceof Error && e.name === 'EstimationInputError');
}

export function userMessage(e: Error): string {
  return e instanceof SingularMatrixError ? `singular design: ${e.message}` : e.message;
}
