// Who may do what. Roles are ordered: reader < analyst < admin (each may do what the ones below may).
// The principal of a request comes from its API key (see the key store); without a key it is anonymous, and what an
// anonymous caller may do is a setting (default: reads open, everything else closed), and so is what a caller without
// a key on this machine may do (AGGLOMERA_LOOPBACK_ROLE, default analyst: src/auth/loopback.ts).
import { GraphQLError } from 'graphql';

export type Role = 'reader' | 'analyst' | 'admin';
export const ROLES: readonly Role[] = ['reader', 'analyst', 'admin'];

export interface Principal {
  /** null: no key was given */
  role: Role | null;
  /** role granted to this caller if it gives no key (anonymous or loopback role, the settings); null: none */
  anonymousRole: Role | null;
  keyId?: string;
  keyName?: string;
}

export const ANONYMOUS_READER: Principal = { role: null, anonymousRole: 'reader' };

const rank = (r: Role | null) => (r === null ? -1 : ROLES.indexOf(r));

export const higherRole = (a: Role | null, b: Role | null): Role | null => (rank(a) >= rank(b) ? a : b);

/** The role the caller acts with: its key's role, or the anonymous role when it gave no key. */
export const effectiveRole = (p: Principal): Role | null => (p.role ?? p.anonymousRole);

export function hasRole(p: Principal, needed: Role): boolean {
  return rank(effectiveRole(p)) >= rank(needed);
}

/** Throws UNAUTHENTICATED (no key given) or FORBIDDEN (key's role too low) naming what was asked for. */
export function requireRole(p: Principal, needed: Role, operation: string): void {
  if (hasRole(p, needed)) return;
  if (p.role === null) {
    throw new GraphQLError(`${operation} needs an API key with the ${needed} role (send "Authorization: Bearer <key>")`, {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 }, requiredRole: needed },
    });
  }
  throw new GraphQLError(`${operation} needs the ${needed} role; this key has the ${p.role} role`, {
    extensions: { code: 'FORBIDDEN', http: { status: 403 }, requiredRole: needed },
  });
}
