// What Apollo Server 5 does to a single query's result before it is sent, reproduced for the fast path so that both
// paths send the same bytes: the response content type chosen from Accept (@apollo/server ApolloServer.js
// chooseContentTypeForSingleResultResponse), errors formatted (errorNormalize.js: `extensions.code` defaults to
// INTERNAL_SERVER_ERROR, `extensions.http` becomes the response's status and headers), fields ordered errors, data.
// test/graphql-fast-path.test.ts compares the two paths byte for byte.
import Negotiator from 'negotiator';

export const MEDIA_TYPES = {
  APPLICATION_JSON: 'application/json; charset=utf-8',
  APPLICATION_JSON_GRAPHQL_CALLBACK: 'application/json; callbackSpec=1.0; charset=utf-8',
  APPLICATION_GRAPHQL_RESPONSE_JSON: 'application/graphql-response+json; charset=utf-8',
} as const;
const OFFERED = [MEDIA_TYPES.APPLICATION_JSON, MEDIA_TYPES.APPLICATION_GRAPHQL_RESPONSE_JSON, MEDIA_TYPES.APPLICATION_JSON_GRAPHQL_CALLBACK];

// Clients send a handful of distinct Accept headers; negotiating each once keeps negotiator off the hot path.
const chosen = new Map<string, string | null>();

/** The content type Apollo answers a single result with for this Accept header; null: Apollo refuses (406). */
export function responseContentType(accept: string | undefined): string | null {
  if (!accept) return MEDIA_TYPES.APPLICATION_JSON;
  let t = chosen.get(accept);
  if (t === undefined) {
    t = (new Negotiator({ headers: { accept } }).mediaType(OFFERED) as string | undefined) ?? null;
    if (chosen.size >= 256) chosen.clear();
    chosen.set(accept, t);
  }
  return t;
}

/** Status and headers taken from errors' `http` extensions (header names lower-cased, a later value replacing an earlier). */
export interface HttpHead { status?: number; headers: Map<string, string> }

interface ErrorLike {
  message: string;
  locations?: readonly { line: number; column: number }[];
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

/**
 * One execution error as Apollo sends it: graphql-js's toJSON fields (message, locations, path) and its extensions
 * with a `code`; an `http` extension (status, headers) is taken out into `head`, as Apollo does.
 */
export function formatError(e: ErrorLike, head: HttpHead): Record<string, unknown> {
  const out: Record<string, unknown> = { message: e.message };
  if (e.locations != null) out.locations = e.locations;
  if (e.path != null) out.path = e.path;
  const extensions: Record<string, unknown> = { ...e.extensions, code: e.extensions?.code ?? 'INTERNAL_SERVER_ERROR' };
  const http = extensions.http as { status?: unknown; headers?: unknown } | undefined;
  if (http && typeof http === 'object' && (!('status' in http) || typeof http.status === 'number')
    && (!('headers' in http) || http.headers instanceof Map)) {
    if (typeof http.status === 'number') head.status = http.status;
    if (http.headers instanceof Map) for (const [k, v] of http.headers as Map<string, string>) head.headers.set(k.toLowerCase(), v);
    delete extensions.http;
  }
  out.extensions = extensions;
  return out;
}

/** Errors of a well-formed request that GraphQL itself reports (unparsable document, invalid document, bad variables). */
const DOCUMENT_ERRORS = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/**
 * GraphQL over HTTP: a client that accepts only legacy `application/json` gets 200 with the errors for document and
 * variable errors (`application/graphql-response+json` clients keep Apollo's 400). HTTP-level faults stay 4xx.
 */
export function legacyJsonStatus(status: number, contentType: string | undefined, body: string): number {
  if (status !== 400 || !contentType?.startsWith('application/json')) return status;
  try {
    const r = JSON.parse(body) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    const codes = r.errors?.map((e) => e.extensions?.code ?? '') ?? [];
    return !('data' in r) && codes.length > 0 && codes.every((c) => DOCUMENT_ERRORS.has(c)) ? 200 : status;
  } catch {
    return status;
  }
}
