// HTTP front: one node:http server; each path family is a route module under src/http/, tried in order.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from './db/db.js';
import { graphqlRoute } from './http/graphql-route.js';
import { ogcRoute } from './http/ogc-route.js';
import { importRoute } from './http/import-route.js';
import { send, type RouteModule } from './http/route.js';
import { ANONYMOUS_READER } from './auth/roles.js';

export interface RunningServer {
  url: string;
  /** http://localhost:PORT (no path) */
  origin: string;
  stop(): Promise<void>;
}

const HOST_RE = /^[\w.:[\]-]+$/;

export async function startHttp(db: Db, port: number): Promise<RunningServer> {
  // Order matters only where paths overlap; each module claims its own paths.
  const modules: RouteModule[] = [
    { route: ogcRoute },
    { route: importRoute },
    await graphqlRoute(),
  ];
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const origin = `http://${HOST_RE.test(req.headers.host ?? '') ? req.headers.host : 'localhost'}`;
      const principal = ANONYMOUS_READER; // replaced by the API-key lookup
      for (const m of modules) if (await m.route(req, res, { db, url, origin, principal })) return;
      if (url.pathname === '/') { res.writeHead(302, { location: '/graphql' }); res.end(); return; }
      send(res, 404, 'text/plain', 'not found; GraphQL is at /graphql\n');
    } catch (e) {
      if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${(e as Error).message}\n`);
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${actual}/graphql`,
    origin: `http://localhost:${actual}`,
    async stop() {
      await new Promise<void>((r) => server.close(() => r()));
      for (const m of modules) await m.stop?.();
    },
  };
}
