// HTTP front: one node:http server; each path family is a route module under src/http/, tried in order.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from './db/db.js';
import { MIN_VERSION_HEADER, minVersionHeader, withMinVersion } from './db/replicas.js';
import { graphqlRoute } from './http/graphql-route.js';
import { graphiqlRoute } from './http/graphiql-route.js';
import { ogcRoute } from './http/ogc-route.js';
import { webRoute } from './http/web-route.js';
import { opsRoute } from './http/ops-route.js';
import { RequestOps } from './ops/request.js';
import { logger } from './ops/log.js';
import { tilesRoute } from './http/tiles-route.js';
import { importRoute } from './http/import-route.js';
import { send, type RouteModule } from './http/route.js';
import { KeyStore } from './auth/keys.js';
import { anonymousRoleOf, authenticate, capBody, cors } from './http/limits.js';
import { limits } from './limits/settings.js';
import { subscriptionServer } from './http/subscriptions.js';

export interface RunningServer {
  url: string;
  /** http://localhost:PORT (no path) */
  origin: string;
  stop(): Promise<void>;
  /** SIGTERM: stop accepting, let in-flight requests finish (at most `ms`), close connections. */
  drain(ms: number): Promise<{ drained: boolean; left: number }>;
}

const HOST_RE = /^[\w.:[\]-]+$/;

export async function startHttp(db: Db, port: number): Promise<RunningServer> {
  // Order matters only where paths overlap; each module claims its own paths.
  const ops = new RequestOps();
  const gql = await graphqlRoute();
  const modules: RouteModule[] = [
    { route: opsRoute(ops) },
    { route: ogcRoute },
    { route: graphiqlRoute }, // before GraphQL: a browser's GET /graphql gets the IDE
    { route: tilesRoute },
    { route: importRoute },
    gql,
    { route: webRoute },
  ];
  const settings = limits();
  const keys = new KeyStore(db, settings.keyCacheTtlMs);
  const server = http.createServer(async (req, res) => {
    ops.track(req, res);
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const origin = `http://${HOST_RE.test(req.headers.host ?? '') ? req.headers.host : 'localhost'}`;
      if (cors(req, res, settings) || await capBody(req, res, url, settings)) return;
      const principal = await authenticate(req, res, url, keys, settings);
      if (!principal) return; // answered 401 / 403
      // read-your-writes across processes: the caller's last written data version bounds where its reads may go
      const reqDb = withMinVersion(db, minVersionHeader(req.headers[MIN_VERSION_HEADER]));
      for (const m of modules) if (await m.route(req, res, { db: reqDb, url, origin, principal })) return;
      send(res, 404, 'text/plain', 'not found; GraphQL is at /graphql\n');
    } catch (e) {
      logger.error({ err: e, path: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${(e as Error).message}\n`);
      else res.destroy();
    }
  });
  const subs = subscriptionServer(db, gql.schema, keys, limits, (req) => ({ role: null, anonymousRole: anonymousRoleOf(req, settings) }));
  server.on('upgrade', (req, socket, head) => { if (!subs.upgrade(req, socket, head)) socket.destroy(); });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${actual}/graphql`,
    origin: `http://localhost:${actual}`,
    async stop() {
      await subs.close();
      if (server.listening) await new Promise<void>((r) => server.close(() => r()));
      for (const m of modules) await m.stop?.();
      keys.close();
    },
    drain: (ms) => ops.drain(server, ms),
  };
}
