// Limits on what one request may ask for, and who may ask without a key. Read once from the environment
// (documented in docs/security.md and the README); every value is a positive number or a listed word.
import type { Role } from '../auth/roles.js';

export interface LimitSettings {
  /** Deepest field nesting of an operation (graphql-armor max-depth). */
  maxDepth: number;
  /** Aliased fields per operation (graphql-armor max-aliases). */
  maxAliases: number;
  /** Lexical tokens per document (graphql-js parse maxTokens). */
  maxTokens: number;
  /** Directives per operation (graphql-armor max-directives). */
  maxDirectives: number;
  /** Estimated cost per operation (graphql-query-complexity with the field costs in src/limits/cost.ts). */
  maxCost: number;
  /** Operations in one JSON-array (batched) request. */
  maxBatch: number;
  /** Wall-clock budget of one request; its unfinished fields are abandoned with a TIMEOUT error. */
  requestTimeoutMs: number;
  /** Largest response body; a bigger GraphQL result is refused with RESPONSE_TOO_LARGE. */
  maxResponseBytes: number;
  /** Largest request body of /graphql (413 beyond). */
  maxBodyBytes: number;
  /** Largest request body of every other route (uploads, imports; 413 beyond). */
  maxUploadBytes: number;
  /** Role of callers without a key; null: none (every route and operation needs a key). */
  anonymousRole: Role | null;
  /**
   * Role of callers without a key whose request comes from this machine (loopback, no proxy headers, a loopback Host
   * and Origin: src/auth/loopback.ts); null: they are anonymous like everyone else. The higher of the two applies.
   */
  loopbackRole: Role | null;
  /** Origins allowed by CORS: ['*'] or a list of exact origins. */
  corsOrigins: string[];
  /** How long a looked-up API key is trusted before it is read again (revocations by another process take this long). */
  keyCacheTtlMs: number;
  /** REDIS_URL: the shared level of the response cache and of persisted queries (src/cache/redis-level.ts); null: in process only. */
  redisUrl: string | null;
  /** Start of every shared-cache key in Redis (AGGLOMERA_CACHE_PREFIX): processes sharing answers use the same. */
  cachePrefix: string;
  /** Seconds an answer stays in the shared level (Redis). */
  responseCacheTtlSeconds: number;
  /** Largest answer put in the shared level (bytes); bigger ones are kept in process only. */
  responseCacheSharedMaxBytes: number;
  /** Parsed, validated and compiled GraphQL documents kept (LRU by query text) for the fast path (src/graphql/). */
  graphqlDocumentCache: number;
  /** POST JSON queries bypass Apollo (src/graphql/fast-path.ts); false: every request goes through Apollo. */
  graphqlFastPath: boolean;
  /** The fast path runs queries compiled by graphql-jit; false: graphql-js `execute` on the cached document. */
  graphqlJit: boolean;
  /** gzip / brotli by Accept-Encoding for GraphQL, OGC, tiles and web assets (src/http/compress.ts); false: identity. */
  compression: boolean;
  /** Whole GraphQL answers kept per (query, variables, role, data version) (src/cache/); false: computed every time. */
  responseCache: boolean;
  /** Bytes the response cache may hold (least recently used answers go first). */
  responseCacheBytes: number;
}

const MB = 1024 * 1024;

function num(env: NodeJS.ProcessEnv, name: string, fallback: number, opts: { integer?: boolean; scale?: number } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * (opts.scale ?? 1);
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0 || (opts.integer !== false && !Number.isInteger(v))) {
    throw new Error(`${name} must be a positive ${opts.integer === false ? 'number' : 'integer'}, got "${raw}"`);
  }
  return Math.round(v * (opts.scale ?? 1));
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got "${env[name]}"`);
}

function parseRole(name: string, raw: string | undefined, fallback: string): Role | null {
  const v = (raw || fallback).trim().toLowerCase();
  if (v === 'none') return null;
  if (v === 'reader' || v === 'analyst' || v === 'admin') return v;
  throw new Error(`${name} must be none, reader, analyst or admin, got "${raw}"`);
}

export const parseAnonymousRole = (raw: string | undefined) => parseRole('AGGLOMERA_ANONYMOUS_ROLE', raw, 'reader');
/** Default analyst: a newcomer runs the README's estimates from this machine without a key; writes still need one. */
export const parseLoopbackRole = (raw: string | undefined) => parseRole('AGGLOMERA_LOOPBACK_ROLE', raw, 'analyst');

export function readLimits(env: NodeJS.ProcessEnv = process.env): LimitSettings {
  return {
    maxDepth: num(env, 'AGGLOMERA_MAX_DEPTH', 10),
    maxAliases: num(env, 'AGGLOMERA_MAX_ALIASES', 30),
    maxTokens: num(env, 'AGGLOMERA_MAX_TOKENS', 5000),
    maxDirectives: num(env, 'AGGLOMERA_MAX_DIRECTIVES', 20),
    maxCost: num(env, 'AGGLOMERA_MAX_COST', 100_000),
    maxBatch: num(env, 'AGGLOMERA_MAX_BATCH', 5),
    requestTimeoutMs: num(env, 'AGGLOMERA_REQUEST_TIMEOUT_MS', 60_000),
    maxResponseBytes: num(env, 'AGGLOMERA_MAX_RESPONSE_MB', 64, { integer: false, scale: MB }),
    maxBodyBytes: num(env, 'AGGLOMERA_MAX_BODY_MB', 1, { integer: false, scale: MB }),
    maxUploadBytes: num(env, 'AGGLOMERA_MAX_UPLOAD_MB', 256, { integer: false, scale: MB }),
    anonymousRole: parseAnonymousRole(env.AGGLOMERA_ANONYMOUS_ROLE),
    loopbackRole: parseLoopbackRole(env.AGGLOMERA_LOOPBACK_ROLE),
    corsOrigins: (env.AGGLOMERA_CORS_ORIGINS ?? '*').split(',').map((s) => s.trim()).filter(Boolean),
    keyCacheTtlMs: num(env, 'AGGLOMERA_KEY_CACHE_TTL_MS', 10_000),
    redisUrl: env.REDIS_URL || null,
    cachePrefix: env.AGGLOMERA_CACHE_PREFIX || 'agglomera:cache:',
    responseCacheTtlSeconds: num(env, 'AGGLOMERA_RESPONSE_CACHE_TTL_SECONDS', 300),
    responseCacheSharedMaxBytes: num(env, 'AGGLOMERA_RESPONSE_CACHE_SHARED_MAX_KB', 1024, { integer: false, scale: 1024 }),
    graphqlDocumentCache: num(env, 'AGGLOMERA_GRAPHQL_DOCUMENT_CACHE', 500),
    graphqlFastPath: bool(env, 'AGGLOMERA_GRAPHQL_FAST_PATH', true),
    graphqlJit: bool(env, 'AGGLOMERA_GRAPHQL_JIT', true),
    compression: bool(env, 'AGGLOMERA_COMPRESSION', true),
    responseCache: bool(env, 'AGGLOMERA_RESPONSE_CACHE', true),
    responseCacheBytes: num(env, 'AGGLOMERA_RESPONSE_CACHE_MB', 64, { integer: false, scale: MB }),
  };
}

/** The settings of this process (tests may replace it with setLimits before starting a server). */
let current: LimitSettings | undefined;
export const limits = (): LimitSettings => (current ??= readLimits());
export function setLimits(patch: Partial<LimitSettings>): LimitSettings {
  current = { ...limits(), ...patch };
  return current;
}
