// Per request: an id (x-request-id when the client sent a sane one, else generated; echoed in the response), one
// JSON log line when it ends (method, path, status, duration), metrics, and the in-flight count that SIGTERM drains.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { logger } from './log.js';
import { httpDuration, httpInFlight, httpRequests, routeLabel } from './metrics.js';

const ID_RE = /^[\w.:@-]{1,128}$/;

export class RequestOps {
  private inFlight = 0;
  private idle: (() => void)[] = [];
  draining = false;

  /** Call first thing in the request handler. */
  track(req: http.IncomingMessage, res: http.ServerResponse): string {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && ID_RE.test(given) ? given : randomUUID();
    res.setHeader('x-request-id', id);
    if (this.draining) res.setHeader('connection', 'close');
    const start = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0];
    this.inFlight++;
    httpInFlight.inc();
    logger.debug({ reqId: id, method: req.method, path }, 'request start');
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      httpInFlight.dec();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
      const route = routeLabel(path, status);
      httpRequests.inc({ route, method: req.method ?? 'GET', status: String(status) });
      httpDuration.observe({ route, method: req.method ?? 'GET' }, seconds);
      logger.info({ reqId: id, method: req.method, path, status, durationMs: Math.round(seconds * 1e4) / 10 }, 'request');
      if (this.inFlight === 0) for (const f of this.idle.splice(0)) f();
    };
    res.once('finish', end);
    res.once('close', end);
    return id;
  }

  get active(): number { return this.inFlight; }

  /** Stops accepting connections, lets in-flight requests finish (at most `ms`), then drops what is left. */
  async drain(server: http.Server, ms: number): Promise<{ drained: boolean; left: number }> {
    this.draining = true;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeIdleConnections();
    const idle = this.inFlight === 0 ? Promise.resolve(true) : new Promise<boolean>((r) => this.idle.push(() => r(true)));
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([idle, new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); })]);
    clearTimeout(timer);
    const left = this.inFlight;
    // keep-alive sockets that sit idle after their last response, and whatever outlived the wait
    server.closeAllConnections();
    await closed;
    return { drained, left };
  }
}
