// GraphQL at /graphql, GraphQL over HTTP conformant (graphql-http's audits: test/graphql-http-audit.test.ts,
// docs/graphql-http.md). Browsers' GET is answered before this by graphiql-route.ts. A POST of one JSON query, or a
// GET of one (by text or by persisted hash), takes the fast path (src/graphql/fast-path.ts: cached documents,
// graphql-jit, one serialisation, the response cache); everything else, and whatever the fast path declines, goes to
// Apollo Server 5 — the same bytes either way. Both use one registry of persisted queries (in Redis too with REDIS_URL).
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { buildGraphQLSchema } from '../app.js';
import { makeContext, type Context } from '../resolvers/loaders.js';
import { graphqlLimits, wrapResolvers } from '../limits/graphql.js';
import { limits } from '../limits/settings.js';
import { FastPath } from '../graphql/fast-path.js';
import { fromGet, fromPost } from '../graphql/fast-request.js';
import { PersistedQueries } from '../graphql/persisted-queries.js';
import { RedisLevel } from '../cache/redis-level.js';
import { legacyJsonStatus } from '../graphql/apollo-compat.js';
import { graphqlRequests } from '../ops/metrics.js';
import { readBody, send, type RouteModule } from './route.js';
import { sendBody } from './compress.js';

export { legacyJsonStatus };

export interface GraphqlRouteModule extends RouteModule {
  /** null when AGGLOMERA_GRAPHQL_FAST_PATH=false (or AGGLOMERA_DEBUG=true: stack traces come from Apollo) */
  fast: FastPath | null;
  /** the executable schema (subscriptions over WebSocket use the same one) */
  schema: GraphQLSchema;
}

export async function graphqlRoute(): Promise<GraphqlRouteModule> {
  const gl = graphqlLimits();
  const schema = await buildGraphQLSchema();
  wrapResolvers(schema);
  const debug = process.env.AGGLOMERA_DEBUG === 'true';
  const s = limits();
  const redis = s.redisUrl ? new RedisLevel(s.redisUrl, s.cachePrefix) : null;
  const persisted = new PersistedQueries(redis);
  const apollo = new ApolloServer<Context>({
    parseOptions: gl.parseOptions, allowBatchedHttpRequests: gl.allowBatchedHttpRequests,
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: debug,
    stringifyResult: gl.stringifyResult,
    // the fast path's registry: a hash registered on either path (or by another process, through Redis) is known to both
    persistedQueries: { cache: persisted.forApollo() },
    plugins: [
      ...gl.plugins,
      ApolloServerPluginLandingPageDisabled(), // Apollo's landing page loads from a CDN; ours is offline
      ApolloServerPluginCacheControlDisabled(), // it wraps every resolver; its `no-store` is sent by the limits plugin
    ],
  });
  await apollo.start();
  const fast = s.graphqlFastPath && !debug ? new FastPath(schema, limits, persisted, redis) : null;
  const answered = { fast: graphqlRequests.labels('fast'), apollo: graphqlRequests.labels('apollo') };
  return {
    fast,
    schema,
    async route(req, res, ctx) {
      const { db, url, principal } = ctx;
      if (url.pathname !== '/graphql') return false;
      const contentType = req.headers['content-type'];
      const raw = req.method === 'POST' ? (await readBody(req)).toString('utf8') : '';
      let body: unknown = raw;
      if (raw && (contentType ?? '').includes('application/json')) {
        try { body = JSON.parse(raw); } catch { send(res, 400, 'text/plain', 'request body is not valid JSON\n'); return true; }
      }
      const fastRequest = !fast ? null : req.method === 'POST' ? fromPost(req, body) : req.method === 'GET' ? fromGet(req, url) : null;
      if (fastRequest && await fast!.answer(fastRequest, req, res, ctx)) {
        answered.fast.inc();
        return true;
      }
      answered.apollo.inc();
      const tooMany = gl.refuseBatch(body);
      if (tooMany) { send(res, 400, 'application/json', tooMany); return true; }
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: async () => makeContext(db, { principal }),
      });
      const outHeaders: Record<string, string> = {};
      for (const [k, v] of result.headers) outHeaders[k] = v;
      if (result.body.kind === 'complete') {
        sendBody(req, res, legacyJsonStatus(result.status ?? 200, outHeaders['content-type'], result.body.string), outHeaders, result.body.string);
      } else {
        res.writeHead(result.status ?? 200, outHeaders);
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
      return true;
    },
    async stop() {
      await apollo.stop();
      await redis?.close();
    },
  };
}
