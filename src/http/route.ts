// What every HTTP route module sees: the request, the response, and the shared things of this server.
import type http from 'node:http';
import type { Db } from '../db/db.js';
import type { Principal } from '../auth/roles.js';

export interface RouteContext {
  db: Db;
  /** Parsed request URL (path and query). */
  url: URL;
  /** Scheme + host the client used (for absolute links), e.g. http://127.0.0.1:4000 */
  origin: string;
  /** Who is asking (from the request's API key); protected routes call requireRole(ctx.principal, ...). */
  principal: Principal;
}

/** A route answers the request and returns true, or returns false to let the next route try. */
export type Route = (req: http.IncomingMessage, res: http.ServerResponse, ctx: RouteContext) => Promise<boolean>;

/** A route with a lifecycle (e.g. GraphQL's engine); `stop` is called when the server shuts down. */
export interface RouteModule {
  route: Route;
  stop?(): Promise<void>;
}

export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // a body already read into memory (capBody, chunked uploads) is served by its own async iterator
  if (Object.hasOwn(req, Symbol.asyncIterator) || req.readableEnded) {
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  // events rather than `for await`: no async iterator machinery on every request
  return new Promise((resolve, reject) => {
    req.on('data', (c: Buffer) => chunks.push(c))
      .once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
      .once('error', reject)
      .once('close', () => { if (!req.readableEnded) reject(new Error('request aborted before its body ended')); });
  });
}

export function send(res: http.ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': contentType, ...headers });
  res.end(body);
}
