// GraphQL at /graphql: Apollo Server 5 driven from node:http, GraphQL over HTTP conformant (graphql-http's audits:
// test/graphql-http-audit.test.ts, docs/graphql-http.md). Browsers' GET is answered before this by graphiql-route.ts.
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildGraphQLSchema } from '../app.js';
import { makeContext, type Context } from '../resolvers/loaders.js';
import { graphqlLimits } from '../limits/graphql.js';
import { readBody, send, type RouteModule } from './route.js';

export async function graphqlRoute(): Promise<RouteModule> {
  const limits = graphqlLimits();
  const apollo = new ApolloServer<Context>({
    parseOptions: limits.parseOptions, allowBatchedHttpRequests: limits.allowBatchedHttpRequests,
    schema: await buildGraphQLSchema(),
    introspection: true,
    includeStacktraceInErrorResponses: process.env.AGGLOMERA_DEBUG === 'true',
    plugins: [...limits.plugins, ApolloServerPluginLandingPageDisabled()], // Apollo's landing page loads from a CDN; ours is offline
  });
  await apollo.start();
  return {
    async route(req, res, { db, url, principal }) {
      if (url.pathname !== '/graphql') return false;
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      const raw = req.method === 'POST' ? (await readBody(req)).toString('utf8') : '';
      let body: unknown = raw;
      if (raw && (headers.get('content-type') ?? '').includes('application/json')) {
        try { body = JSON.parse(raw); } catch { send(res, 400, 'text/plain', 'request body is not valid JSON\n'); return true; }
      }
      const tooMany = limits.refuseBatch(body);
      if (tooMany) { send(res, 400, 'application/json', tooMany); return true; }
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: async () => makeContext(db, { principal }),
      });
      const outHeaders: Record<string, string> = {};
      for (const [k, v] of result.headers) outHeaders[k] = v;
      if (result.body.kind === 'complete') {
        res.writeHead(legacyJsonStatus(result.status ?? 200, outHeaders['content-type'], result.body.string), outHeaders);
        res.end(result.body.string);
      } else {
        res.writeHead(result.status ?? 200, outHeaders);
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
      return true;
    },
    stop: () => apollo.stop(),
  };
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
