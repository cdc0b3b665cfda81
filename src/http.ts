// HTTP front: GraphQL at /graphql (Apollo Server 5 on node:http).
import { ApolloServer, HeaderMap } from '@apollo/server';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from './db/db.js';
import { buildGraphQLSchema } from './app.js';
import { makeContext, type Context } from './resolvers/loaders.js';
import { ogcResponse } from './ogc/features.js';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startHttp(db: Db, port: number): Promise<RunningServer> {
  const apollo = new ApolloServer<Context>({
    schema: await buildGraphQLSchema(),
    introspection: true,
    includeStacktraceInErrorResponses: process.env.AGGLOMERA_DEBUG === 'true',
  });
  await apollo.start();
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const ogc = req.method === 'GET' ? await ogcResponse(db, url, `http://${/^[\w.:[\]-]+$/.test(req.headers.host ?? '') ? req.headers.host : 'localhost'}`) : null;
      if (ogc) {
        res.writeHead(ogc.status, { 'content-type': ogc.contentType, 'access-control-allow-origin': '*' });
        res.end(ogc.body);
        return;
      }
      if (url.pathname !== '/graphql') {
        res.writeHead(url.pathname === '/' ? 302 : 404, url.pathname === '/' ? { location: '/graphql' } : { 'content-type': 'text/plain' });
        res.end(url.pathname === '/' ? '' : 'not found; GraphQL is at /graphql\n');
        return;
      }
      const headers = new HeaderMap();
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
      const raw = req.method === 'POST' ? await readBody(req) : '';
      let body: unknown = raw;
      if (raw && (headers.get('content-type') ?? '').includes('application/json')) {
        try { body = JSON.parse(raw); } catch { res.writeHead(400, { 'content-type': 'text/plain' }); res.end('request body is not valid JSON\n'); return; }
      }
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: async () => makeContext(db),
      });
      const outHeaders: Record<string, string> = {};
      for (const [k, v] of result.headers) outHeaders[k] = v;
      res.writeHead(result.status ?? 200, outHeaders);
      if (result.body.kind === 'complete') res.end(result.body.string);
      else {
        for await (const chunk of result.body.asyncIterator) res.write(chunk);
        res.end();
      }
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${(e as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${actual}/graphql`,
    async stop() {
      await new Promise<void>((r) => server.close(() => r()));
      await apollo.stop();
    },
  };
}
