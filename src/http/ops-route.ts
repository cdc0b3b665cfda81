// Operations endpoints: /health (the process answers), /ready (database reachable, migrations applied, not
// draining; 503 with the reason otherwise), /metrics (Prometheus text format).
import { readiness } from '../ops/ready.js';
import { registry } from '../ops/metrics.js';
import type { RequestOps } from '../ops/request.js';
import { send, type Route } from './route.js';

export function opsRoute(ops: RequestOps): Route {
  return async (req, res, ctx) => {
    const p = ctx.url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (p === '/health') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) }));
      return true;
    }
    if (p === '/ready') {
      const timeout = new Promise<{ ready: false; reason: string }>((r) => setTimeout(() => r({ ready: false, reason: 'database did not answer within 5 s' }), 5000).unref());
      const r = await Promise.race([readiness(ctx.db, { draining: ops.draining }), timeout]);
      send(res, r.ready ? 200 : 503, 'application/json', JSON.stringify({ status: r.ready ? 'ready' : 'not ready', ...r }));
      return true;
    }
    if (p === '/metrics') {
      send(res, 200, registry.contentType, await registry.metrics());
      return true;
    }
    return false;
  };
}
