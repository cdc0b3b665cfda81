// GraphQL at /graphql: Apollo Server 5 driven from node:http.
import { ApolloServer, HeaderMap } from '@apollo/server';
import { buildGraphQLSchema } from '../app.js';
import { makeContext, type Context } from '../resolvers/loaders.js';
import { graphqlLimits } from '../limits/graphql.js';
import { readBody, send, type RouteModule } from './route.js';

export async function graphqlRoute(): Promise<RouteModule> {
  const limits = graphqlLimits();
  const apollo = new ApolloServer<Context>({
    parseOptions: limits.parseOptions, allowBatchedHttpRequests: limits.allowBatchedHttpRequests, plugins: limits.plugins,
    schema: await buildGraphQLSchema(),
    introspection: true,
    includeStacktraceInErrorResponses: process.env.AGGLOMERA_DEBUG === 'true',
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
      res.writeHead(result.status ?? 200, outHeaders);
      if (result.body.kind === 'complete') res.end(result.body.string);
      else {
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
      return true;
    },
    stop: () => apollo.stop(),
  };
}
