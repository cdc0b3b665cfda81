// The fast path of /graphql: a POST with a JSON body, or a GET, holding one query operation is answered here, without
// Apollo's request pipeline, from the document cache (parse, validation and shape limits once per query text, cost once per
// text without variables and data version) with the query compiled by graphql-jit, serialised once (RawJson spliced), its size checked
// on that text, and the time budget raced against the whole execution instead of each field. Automatic persisted
// queries (Apollo's APQ) are resolved here from the registry Apollo uses too (persisted-queries.ts), so a GET by hash
// is a cacheable request (ETag, Cache-Control, 304) like a POST.
// Anything else — batches, mutations, unknown persisted hashes, hash mismatches, documents with errors, refusals,
// variables that do not coerce, callers without the reader role, odd Accept headers, requests Apollo reads
// differently (fast-request.ts) — returns false and Apollo answers as before, so every error body and status comes
// from one place. The answers are the same bytes either way (test/graphql-fast-path.test.ts).
import type http from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { effectiveRole, hasRole } from '../auth/roles.js';
import { ResponseCache, etagOf, type CachedAnswer } from '../cache/response-cache.js';
import { isCacheable } from '../cache/cacheable.js';
import type { RedisLevel } from '../cache/redis-level.js';
import { SharedAnswers } from '../cache/shared-answers.js';
import { versionBarrier } from '../cache/version-barrier.js';
import { byteSizeOver, cachedCost, endBudget, responseSizeRefusal, serialiseResult, startBudget, timeoutError } from '../limits/graphql.js';
import type { LimitSettings } from '../limits/settings.js';
import { storeStatsOrNull } from '../limits/stats.js';
import { makeContext } from '../resolvers/loaders.js';
import type { RouteContext } from '../http/route.js';
import { sendBody } from '../http/compress.js';
import { formatError, legacyJsonStatus, responseContentType, type HttpHead } from './apollo-compat.js';
import { DocumentCache } from './document-cache.js';
import type { FastRequest } from './fast-request.js';
import { PersistedQueries, sha256Hex } from './persisted-queries.js';

export class FastPath {
  readonly cache: DocumentCache;
  /** whole answers by data version (AGGLOMERA_RESPONSE_CACHE); null when off */
  readonly responses: ResponseCache | null;
  /** the response cache's level in Redis (REDIS_URL, PostgreSQL only); null: in process only */
  private readonly shared: SharedAnswers | null;
  /** Requests answered here (the rest went to Apollo): for tests and benchmarks. */
  answered = 0;

  constructor(private readonly schema: GraphQLSchema, private readonly settings: () => LimitSettings,
    readonly persisted: PersistedQueries = new PersistedQueries(null), redis: RedisLevel | null = null) {
    const s = settings();
    this.cache = new DocumentCache(schema, s.graphqlDocumentCache, s.graphqlJit);
    this.responses = s.responseCache ? new ResponseCache(s.responseCacheBytes) : null;
    this.shared = this.responses && redis ? new SharedAnswers(redis, s.responseCacheTtlSeconds, s.responseCacheSharedMaxBytes) : null;
  }

  /** Answers the request and returns true, or returns false (nothing sent) for Apollo to answer it. */
  async answer(request: FastRequest, req: http.IncomingMessage, res: http.ServerResponse, { db, principal }: RouteContext): Promise<boolean> {
    const contentType = responseContentType(req.headers.accept);
    if (contentType === null || !hasRole(principal, 'reader')) return false;
    const hash = request.persistedHash;
    let query = request.query;
    if (hash !== undefined) {
      // an unknown hash (Apollo answers PersistedQueryNotFound from the same registry) or a text that is not the
      // hash's (Apollo words the mismatch): not here
      if (query === undefined) query = await this.persisted.lookup(hash);
      else if (sha256Hex(query) !== hash) return false;
      if (query === undefined) return false;
    }
    const s = this.settings();
    const doc = this.cache.document(query!, s);
    const op = this.cache.operation(doc, request.operationName);
    if (!op) return false;
    // registered once it parsed and validated, as Apollo does
    if (hash !== undefined && request.query !== undefined) await this.persisted.register(hash, query!);
    const variables = request.variables;
    const t0 = performance.now();
    let key: string | null = null;
    let version = 0;
    const shared = this.shared && db.kind === 'postgres' ? this.shared : null;
    if (this.responses && isCacheable(op)) {
      version = await versionBarrier(db).read();
      key = ResponseCache.key({ query: query!, operationName: request.operationName, variables, role: effectiveRole(principal), version });
      let hit = this.responses.get(key);
      let how: 'hit' | 'hit-shared' = 'hit';
      if (!hit && shared && (hit = await shared.get(db, key))) {
        how = 'hit-shared';
        this.responses.set(key, hit);
        ResponseCache.countHit();
      }
      if (hit) {
        this.sendCached(req, res, hit, contentType, principal.role === null, how, t0);
        this.answered++;
        return true;
      }
      ResponseCache.countMiss();
    }
    const stats = await storeStatsOrNull(db);
    let cost: number;
    try { cost = cachedCost(this.schema, doc.document!, variables, op.name, stats); } catch { return false; }
    if (cost > s.maxCost) return false;

    const contextValue = makeContext(db, { principal });
    const budget = startBudget(contextValue, s.requestTimeoutMs, false);
    let result: Awaited<ReturnType<typeof op.run>> | undefined;
    try {
      const r = op.run(contextValue, variables ?? {});
      result = r instanceof Promise ? await Promise.race([r, budget.expired]) : r;
    } catch {
      // graphql-js and graphql-jit report resolver errors in the result; a throw here is an engine fault: a read-only
      // query is simply answered again by Apollo, which words whatever the fault is
      if (!budget.timedOut) return false;
    } finally {
      endBudget(contextValue);
    }
    // variables that do not coerce: nothing ran; Apollo words the error
    if (result && !('data' in result)) return false;

    const head: HttpHead = { headers: new Map() };
    const errors = result?.errors?.map((e) => formatError(e, head));
    let status = head.status ?? 200;
    let text: string | null;
    if (!result || budget.timedOut || errors?.some((e) => (e.extensions as { code?: unknown }).code === 'TIMEOUT')) {
      text = serialiseResult({ errors: [timeoutError(budget.ms).toJSON()], data: null });
      status = 503;
    } else {
      text = serialiseResult({ errors, data: result.data });
      const tooLarge = responseSizeRefusal(text === null ? Infinity : byteSizeOver(text, s.maxResponseBytes), s.maxResponseBytes);
      if (tooLarge) {
        text = serialiseResult({ errors: [tooLarge.toJSON()], data: null });
        status = 400;
      }
    }
    const out = `${text}\n`;
    head.headers.set('cache-control', 'no-store');
    if (!head.headers.has('content-type')) head.headers.set('content-type', contentType);
    const ct = head.headers.get('content-type');
    const finalStatus = legacyJsonStatus(status, ct, out);
    if (key && finalStatus === 200 && !errors?.length) {
      const bodyBytes = Buffer.from(out);
      const entry: CachedAnswer = { body: bodyBytes, headers: Object.fromEntries(head.headers), etag: etagOf(bodyBytes), version, encoded: {} };
      this.responses!.set(key, entry);
      await shared?.set(db, key, entry);
      this.sendCached(req, res, entry, ct ?? contentType, principal.role === null, 'miss', t0);
      this.answered++;
      return true;
    }
    sendBody(req, res, finalStatus, Object.fromEntries(head.headers), out);
    this.answered++;
    return true;
  }

  /** A kept answer (or one just computed and kept): validators, shared-cache rules, 304 when the client has it. */
  private sendCached(req: http.IncomingMessage, res: http.ServerResponse, e: CachedAnswer, contentType: string, anonymous: boolean, how: 'hit' | 'hit-shared' | 'miss', t0: number) {
    const headers: Record<string, string> = {
      ...e.headers,
      // the kept bytes answer every Accept alike; the media type is the one this request negotiated
      'content-type': contentType,
      etag: e.etag,
      // revalidate every time (no stale answer from a shared cache); keyed callers' answers are theirs alone
      'cache-control': anonymous ? 'public, no-cache' : 'private, no-cache',
      'server-timing': `cache;desc=${how}, app;dur=${(performance.now() - t0).toFixed(2)}`,
      'x-agglomera-data-version': String(e.version),
    };
    // the answer depends on Accept (its content type) and on the key sent (the role): a shared cache (a CDN in front
    // of GET by persisted hash) must key on them; a Vary set before (CORS: Origin) is kept
    const prior = res.getHeader('vary');
    headers.vary = [typeof prior === 'string' ? prior : '', 'Accept, Authorization, X-API-Key'].filter(Boolean).join(', ');
    const inm = req.headers['if-none-match'];
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === e.etag)) {
      delete headers['content-type'];
      res.writeHead(304, headers);
      res.end();
      return;
    }
    sendBody(req, res, 200, headers, e.body, e.encoded);
  }
}
