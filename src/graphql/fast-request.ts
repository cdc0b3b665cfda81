// What the fast path reads from a request: a POST's JSON body or a GET's search parameters, as Apollo Server 5 reads
// them (@apollo/server runHttpQuery.js), plus Apollo's CSRF rule (preventCsrf.js) for GET. Anything Apollo would
// refuse or word differently (a parameter given twice, JSON that is not an object, a GET with a form content type,
// another extension than persistedQuery, an unsupported APQ version) gives null, and Apollo answers it.
import type http from 'node:http';

export interface FastRequest {
  /** absent: a persisted query sent by hash only */
  query?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** APQ (extensions.persistedQuery, version 1): the SHA-256 of the query text, hex */
  persistedHash?: string;
}

const isRecord = (o: unknown): o is Record<string, unknown> => !!o && typeof o === 'object' && !Array.isArray(o);

/** `Content-Type: application/json[; …]`: a non-simple request, which Apollo's CSRF prevention lets through. */
export const isJsonContentType = (ct: string | undefined) => !!ct && /^\s*application\/json\s*(;|$)/i.test(ct);

/** Apollo's CSRF prevention: a browser cannot send these without a preflight (recommendedCsrfPreventionRequestHeaders). */
const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'];

function fromFields(query: unknown, variables: unknown, operationName: unknown, extensions: unknown): FastRequest | null {
  if (query != null && (typeof query !== 'string' || query.length === 0)) return null;
  if (variables != null && !isRecord(variables)) return null;
  if (operationName != null && typeof operationName !== 'string') return null;
  let persistedHash: string | undefined;
  if (extensions != null) {
    if (!isRecord(extensions) || Object.keys(extensions).some((k) => k !== 'persistedQuery')) return null;
    const pq = extensions.persistedQuery;
    if (!isRecord(pq) || pq.version !== 1 || typeof pq.sha256Hash !== 'string') return null;
    persistedHash = pq.sha256Hash;
  }
  if (query == null && persistedHash === undefined) return null;
  return {
    query: query ?? undefined, variables: (variables as Record<string, unknown> | null) ?? undefined,
    operationName: (operationName as string | null) ?? undefined, persistedHash,
  };
}

/** A POST with a JSON content type and one operation (not a batch). */
export function fromPost(req: http.IncomingMessage, body: unknown): FastRequest | null {
  if (!isJsonContentType(req.headers['content-type']) || !isRecord(body)) return null;
  return fromFields(body.query, body.variables, body.operationName, body.extensions);
}

/** A GET: ?query= or ?extensions={"persistedQuery":…}, with ?variables= and ?operationName= as Apollo reads them. */
export function fromGet(req: http.IncomingMessage, url: URL): FastRequest | null {
  const ct = req.headers['content-type'];
  // Apollo: a GET's content type, when there is one, must be application/json (415 otherwise)
  if (ct !== undefined && !isJsonContentType(ct)) return null;
  if (ct === undefined && !PREFLIGHT_HEADERS.some((h) => (req.headers[h] as string | undefined)?.length)) return null;
  const once = (name: string): string | undefined | null => {
    const all = url.searchParams.getAll(name);
    return all.length > 1 ? null : all[0];
  };
  const json = (name: string): unknown => {
    const v = once(name);
    if (v == null) return v;
    try { const o = JSON.parse(v) as unknown; return isRecord(o) ? o : null; } catch { return null; }
  };
  const [query, operationName, variables, extensions] = [once('query'), once('operationName'), json('variables'), json('extensions')];
  // null here: given twice or not an object; Apollo says which
  if (query === null || operationName === null || variables === null || extensions === null) return null;
  return fromFields(query, variables, operationName, extensions);
}
