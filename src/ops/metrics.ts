// Prometheus metrics (prom-client) on one registry: HTTP requests by route and status, latency histogram, estimate
// jobs by state (from the store: every process's jobs) and this process's pool, plus Node's process metrics.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { replicaCounts } from '../db/replicas.js';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'agglomera_' });

export const httpRequests = new Counter({
  name: 'agglomera_http_requests_total', help: 'HTTP requests answered, by route family, method and status',
  labelNames: ['route', 'method', 'status'] as const, registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'agglomera_http_request_duration_seconds', help: 'HTTP request latency, by route family and method',
  labelNames: ['route', 'method'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

/** GraphQL requests by the path that answered them: `fast` (src/graphql/fast-path.ts) or `apollo`. */
export const graphqlRequests = new Counter({
  name: 'agglomera_graphql_requests_total', help: 'GraphQL requests over HTTP, by the path that answered (fast: cached and compiled; apollo: everything else)',
  labelNames: ['path'] as const, registers: [registry],
});

export const httpInFlight = new Gauge({ name: 'agglomera_http_requests_in_flight', help: 'HTTP requests being answered', registers: [registry] });

type JobSource = () => Promise<{ store: Record<string, number>; local: { queued: number; running: number } }>;
let jobSource: JobSource | undefined;
/** The server points the job gauges at its store and job manager. */
export function setJobSource(f: JobSource | undefined) { jobSource = f; }

new Gauge({
  name: 'agglomera_estimate_jobs', help: 'Estimate jobs in the store by state (waiting, running, finished, failed, cancelled)',
  labelNames: ['state'] as const, registers: [registry],
  async collect() {
    if (!jobSource) return;
    const { store } = await jobSource();
    this.set({ state: 'waiting' }, store.QUEUED ?? 0);
    this.set({ state: 'running' }, store.RUNNING ?? 0);
    this.set({ state: 'finished' }, store.DONE ?? 0);
    this.set({ state: 'failed' }, store.FAILED ?? 0);
    this.set({ state: 'cancelled' }, store.CANCELLED ?? 0);
  },
});

new Gauge({
  name: 'agglomera_estimate_jobs_local', help: "This process's estimate jobs (queued in its pool, running in its workers)",
  labelNames: ['state'] as const, registers: [registry],
  async collect() {
    if (!jobSource) return;
    const { local } = await jobSource();
    this.set({ state: 'queued' }, local.queued);
    this.set({ state: 'running' }, local.running);
  },
});

/** Route family of a path for the labels: its first segment (bounded cardinality), 'unmatched' for 404s. */
export function routeLabel(pathname: string, status: number): string {
  if (status === 404) return 'unmatched';
  const seg = /^\/([a-z][a-z0-9_-]{0,30})/i.exec(pathname)?.[1];
  return seg ? `/${seg.toLowerCase()}` : '/';
}

// Read routing (src/db/replicas.ts): counts kept there, read at scrape time.
new Counter({
  name: 'agglomera_db_reads_total', help: 'Plain reads of request handles, by the server that answered (primary or a replica)',
  labelNames: ['target'] as const, registers: [registry],
  collect() { this.reset(); for (const [k, v] of replicaCounts.reads) this.inc({ target: k }, v); },
});
new Counter({
  name: 'agglomera_db_replica_fallbacks_total', help: 'Reads that went to the primary although replicas are configured: lag (no replica had the required data version / WAL yet) or error (a replica failed; retried on the primary)',
  labelNames: ['reason'] as const, registers: [registry],
  collect() { this.reset(); this.inc({ reason: 'lag' }, replicaCounts.fallbacks.lag); this.inc({ reason: 'error' }, replicaCounts.fallbacks.error); },
});
new Counter({
  name: 'agglomera_db_replica_down_total', help: 'Times a replica was marked down after a connection error (re-probed after a backoff)',
  labelNames: ['replica'] as const, registers: [registry],
  collect() { this.reset(); for (const [k, v] of replicaCounts.down) this.inc({ replica: k }, v); },
});
new Gauge({
  name: 'agglomera_db_replica_up', help: 'Replica state: 1 used for reads, 0 marked down',
  labelNames: ['replica'] as const, registers: [registry],
  collect() { for (const [k, v] of replicaCounts.up) this.set({ replica: k }, v); },
});
