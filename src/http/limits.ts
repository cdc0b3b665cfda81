// What every request passes before a route sees it: CORS, the request-body cap (413), the API key → principal
// (401 for a wrong or revoked key; the loopback role for local callers without one), and the reader role for the non-GraphQL routes (OGC, tiles, map).
import type http from 'node:http';
import { GraphQLError } from 'graphql';
import { higherRole, requireRole, type Principal } from '../auth/roles.js';
import { isLocalRequest } from '../auth/loopback.js';
import type { KeyStore } from '../auth/keys.js';
import { fmtBytes, graphqlErrorBody, limitError } from '../limits/errors.js';
import type { LimitSettings } from '../limits/settings.js';
import { send } from './route.js';

/** Paths anyone may call whatever the anonymous role (liveness probes). */
const OPEN_PATHS = new Set(['/health', '/healthz']);

const isGraphQL = (url: URL) => url.pathname === '/graphql';

/** Sends an error as GraphQL JSON on /graphql, as text elsewhere. */
function refuse(res: http.ServerResponse, url: URL, status: number, e: GraphQLError, headers: Record<string, string> = {}) {
  if (isGraphQL(url)) send(res, status, 'application/json; charset=utf-8', graphqlErrorBody(e), headers);
  else send(res, status, 'text/plain; charset=utf-8', `${e.message}\n`, headers);
}

/** CORS headers on every answer; answers preflight requests itself (returns true then). */
export function cors(req: http.IncomingMessage, res: http.ServerResponse, s: LimitSettings): boolean {
  const origin = req.headers.origin;
  const any = s.corsOrigins.includes('*');
  if (any) res.setHeader('access-control-allow-origin', '*');
  else if (origin && s.corsOrigins.includes(origin)) { res.setHeader('access-control-allow-origin', origin); res.setHeader('vary', 'origin'); }
  if (req.method !== 'OPTIONS' || !req.headers['access-control-request-method']) return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'content-type, authorization, x-api-key, apollo-require-preflight, x-apollo-operation-name',
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}

/**
 * Caps the request body at the setting for the path: a declared Content-Length over it is refused before reading;
 * a chunked body is read up to the cap (and handed to the route from memory). Returns true when it answered 413.
 */
export async function capBody(req: http.IncomingMessage, res: http.ServerResponse, url: URL, s: LimitSettings): Promise<boolean> {
  const max = isGraphQL(url) ? s.maxBodyBytes : s.maxUploadBytes;
  const setting = isGraphQL(url) ? 'AGGLOMERA_MAX_BODY_MB' : 'AGGLOMERA_MAX_UPLOAD_MB';
  const tooLarge = (found: number, exact: boolean) => {
    const e = limitError('PAYLOAD_TOO_LARGE', `request body of ${exact ? '' : 'more than '}${fmtBytes(found)} exceeds the limit of ${fmtBytes(max)} (${setting})`,
      { limit: isGraphQL(url) ? 'maxBodyBytes' : 'maxUploadBytes', setting, max, found }, false);
    refuse(res, url, 413, e, { connection: 'close' });
    req.resume(); // discard the rest
    return true;
  };
  const declared = req.headers['content-length'];
  if (declared !== undefined) return Number(declared) > max ? tooLarge(Number(declared), true) : false;
  if (!req.headers['transfer-encoding']) return false;
  const chunks: Buffer[] = [];
  let n = 0;
  const over = await new Promise<boolean>((resolve, reject) => {
    const onData = (c: Buffer) => {
      n += c.length;
      if (n > max) { req.off('data', onData); resolve(true); } else chunks.push(c);
    };
    req.on('data', onData).once('end', () => resolve(false)).once('error', reject);
  });
  if (over) return tooLarge(n, false);
  const body = Buffer.concat(chunks);
  // The stream is consumed: routes read the body (readBody / for await) from memory.
  Object.defineProperty(req, Symbol.asyncIterator, { value: async function* () { if (body.length) yield body; } });
  return false;
}

/** The key a request carries: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function requestKey(req: http.IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : auth.trim();
  }
  const x = req.headers['x-api-key'];
  return (Array.isArray(x) ? x[0] : x)?.trim() || null;
}

const WHY = { unknown: 'is not a known API key', revoked: 'has been revoked', malformed: 'is malformed (keys are agk_ followed by 43 characters)' };

/**
 * The principal of the request, or null after answering 401 (a key that is wrong or revoked: never silently anonymous)
 * or 401/403 for a non-GraphQL route the caller may not read. GraphQL operations check their own roles.
 */
/** The role of a request without a key: the anonymous role, or the loopback role for a user of this machine (the higher of the two). */
export const anonymousRoleOf = (req: http.IncomingMessage, s: LimitSettings) =>
  (s.loopbackRole !== null && isLocalRequest(req) ? higherRole(s.anonymousRole, s.loopbackRole) : s.anonymousRole);

export async function authenticate(req: http.IncomingMessage, res: http.ServerResponse, url: URL, keys: KeyStore, s: LimitSettings): Promise<Principal | null> {
  const key = requestKey(req);
  const anonymousRole = anonymousRoleOf(req, s);
  let principal: Principal = { role: null, anonymousRole };
  if (key) {
    const found = await keys.lookup(key);
    if (!found.ok) {
      const e = new GraphQLError(`the API key ${WHY[found.reason]}`, { extensions: { code: 'UNAUTHENTICATED', reason: found.reason } });
      refuse(res, url, 401, e, { 'www-authenticate': 'Bearer' });
      return null;
    }
    principal = { role: found.role, anonymousRole, keyId: String(found.id), keyName: found.name };
  }
  if (!isGraphQL(url) && !OPEN_PATHS.has(url.pathname) && url.pathname !== '/') {
    try {
      requireRole(principal, 'reader', `${req.method} ${url.pathname}`);
    } catch (e) {
      const status = ((e as GraphQLError).extensions?.http as { status?: number } | undefined)?.status ?? 403;
      refuse(res, url, status, e as GraphQLError, status === 401 ? { 'www-authenticate': 'Bearer' } : {});
      return null;
    }
  }
  return principal;
}
