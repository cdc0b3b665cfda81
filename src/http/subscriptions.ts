// GraphQL subscriptions over graphql-ws (the graphql-transport-ws protocol) on the same server, port and path as
// /graphql: the WebSocket upgrade of /graphql. Same API keys (Authorization / X-API-Key header of the upgrade, or
// connectionParams { authorization | apiKey }), same roles (checked by each subscription's resolver) and the same
// document limits (tokens, depth, aliases, directives, cost) as queries. Queries and mutations are also accepted.
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { KeyStore } from '../auth/keys.js';
import type { Principal } from '../auth/roles.js';
import type { Db } from '../db/db.js';
import { costRefusal, shapeRefusal } from '../limits/graphql.js';
import type { LimitSettings } from '../limits/settings.js';
import { makeContext } from '../resolvers/loaders.js';
import { requestKey } from './limits.js';

const MAX_SUBSCRIPTIONS = Number(process.env.AGGLOMERA_MAX_SUBSCRIPTIONS ?? 20);

type Extra = { principal?: Principal; open?: number } & Record<PropertyKey, unknown>;

function keyOf(params: Readonly<Record<string, unknown>> | undefined, req: http.IncomingMessage): string | null {
  const p = params?.authorization ?? params?.Authorization ?? params?.apiKey ?? params?.['X-API-Key'];
  if (typeof p === 'string' && p.trim()) return p.trim().replace(/^Bearer\s+/i, '');
  return requestKey(req);
}

export function subscriptionServer(db: Db, schema: GraphQLSchema, keys: KeyStore, settings: () => LimitSettings, anonymous: (req: http.IncomingMessage) => Principal) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1 << 20 });
  const server = useServer<Record<string, unknown> | undefined, Extra>({
    schema,
    async onConnect(ctx) {
      const key = keyOf(ctx.connectionParams, ctx.extra.request);
      if (!key) { ctx.extra.principal = anonymous(ctx.extra.request); return true; }
      const found = await keys.lookup(key);
      if (!found.ok) return false; // 4403 Forbidden: an unknown, revoked or malformed key is never downgraded to anonymous
      ctx.extra.principal = { role: found.role, anonymousRole: anonymous(ctx.extra.request).anonymousRole, keyId: String(found.id), keyName: found.name };
      return true;
    },
    onSubscribe(ctx, _id, payload) {
      const s = settings();
      const open = (ctx.extra.open ?? 0) + 1;
      if (open > MAX_SUBSCRIPTIONS) return [new GraphQLError(`at most ${MAX_SUBSCRIPTIONS} operations at once on one connection (AGGLOMERA_MAX_SUBSCRIPTIONS)`, { extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'maxSubscriptions' } })];
      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: s.maxTokens });
      } catch (e) {
        return [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
      }
      const errors = validate(schema, document);
      if (errors.length) return [...errors];
      const refusal = shapeRefusal(schema, document, s) ?? costRefusal(schema, document, payload.variables ?? undefined, payload.operationName ?? undefined, s);
      if (refusal) return [refusal];
      ctx.extra.open = open;
      return {
        schema, document, variableValues: payload.variables, operationName: payload.operationName,
        contextValue: makeContext(db, { principal: ctx.extra.principal }),
      };
    },
    onComplete(ctx) { ctx.extra.open = Math.max(0, (ctx.extra.open ?? 1) - 1); },
  }, wss);
  return {
    /** Takes the upgrade of /graphql; false for other paths (the caller closes the socket). */
    upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== '/graphql') return false;
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      return true;
    },
    async close() {
      await server.dispose();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
}
