// `agglomera worker`: runs estimate jobs without serving HTTP, so estimation capacity is added on other machines.
// With REDIS_URL it serves the BullMQ queue; without it, it claims QUEUED jobs nobody holds from estimate_job (see
// src/jobs/manager.ts). PostgreSQL only: on the embedded database the server is the one process that may open the
// store. SIGTERM / SIGINT: take no new job, let the ones in hand finish for up to AGGLOMERA_DRAIN_SECONDS, hand back
// the rest (QUEUED, attempt not counted), close, exit 0.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { cliContext, cliOut } from './io.js';

export const WORKER_USAGE = `usage: agglomera worker [--concurrency N]

  Runs estimate jobs (submitEstimate, submitStudy) from the queue without serving HTTP. Needs DATABASE_URL
  (PostgreSQL): the same database as the app processes. With REDIS_URL (and the same AGGLOMERA_QUEUE_PREFIX as the
  apps) it takes jobs off the BullMQ queue; without it, it claims QUEUED jobs that no process holds from the
  estimate_job table every AGGLOMERA_JOB_POLL_MS (default 1000). Start the apps with AGGLOMERA_RUN_JOBS=false to
  leave every job to the workers.

  --concurrency N   jobs at once = estimate threads (default AGGLOMERA_WORKERS, else max(1, cores - 1))

  Logs JSON lines on stdout (pino; AGGLOMERA_LOG_LEVEL, AGGLOMERA_LOG_FORMAT): 'worker ready' with mode, concurrency
  and store, then one line per job claimed and finished. SIGTERM / SIGINT: no new job; jobs in hand run to their end
  for up to AGGLOMERA_DRAIN_SECONDS (default 25), the rest are handed back (QUEUED) for another worker; exit 0.
  A worker that dies (SIGKILL, machine lost) stops heartbeating: after AGGLOMERA_JOB_STALE_SECONDS (default 30)
  another process takes its jobs over (up to AGGLOMERA_JOB_MAX_ATTEMPTS runs, default 2). See docs/operations.md.`;

export const EMBEDDED_REFUSAL = "agglomera worker needs DATABASE_URL (PostgreSQL): on the embedded database only one process "
  + 'may open the store, the server, and it runs the jobs itself. Set DATABASE_URL=postgresql://… (the database the app '
  + 'processes use) to run workers on their own.';

function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`${name} must be a whole number >= 1, got "${raw}"`);
  return v;
}

export async function runWorker(argv: string[]): Promise<number> {
  let values: { concurrency?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { concurrency: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${WORKER_USAGE}`);
  }
  if (values.help) { cliOut(`${WORKER_USAGE}\n`); return 0; }
  const concurrency = positiveInt('--concurrency', values.concurrency) ?? positiveInt('AGGLOMERA_WORKERS', process.env.AGGLOMERA_WORKERS) ?? Math.max(1, os.cpus().length - 1);
  const drainSeconds = Number(process.env.AGGLOMERA_DRAIN_SECONDS ?? 25);
  if (!(drainSeconds >= 0)) throw new UsageError(`AGGLOMERA_DRAIN_SECONDS must be a number of seconds >= 0, got "${process.env.AGGLOMERA_DRAIN_SECONDS}"`);

  const { readConfig } = await import('../config.js');
  const cfg = readConfig();
  // checked before anything opens a store: this command is never forwarded into a server (a worker there is the server)
  if (!cfg.databaseUrl || cliContext()?.db) throw new UsageError(EMBEDDED_REFUSAL);

  const { logger } = await import('../ops/log.js');
  const { openDb } = await import('../db/db.js');
  const { migrate } = await import('../db/migrate.js');
  const { JobManager, jobOptionsFromEnv } = await import('../jobs/manager.js');
  const { EstimatePool } = await import('../jobs/pool.js');

  const db = await openDb(cfg);
  // migrations only: the demo data and outlines are the app's to load (two loaders at once would collide)
  const applied = await migrate(db);
  if (applied.length) logger.info({ applied }, `applied migrations: ${applied.join(', ')}`);
  const pool = new EstimatePool(concurrency);
  const opts = jobOptionsFromEnv();
  const jobs = new JobManager(db, {
    ...opts, pool, runJobs: true, // AGGLOMERA_RUN_JOBS is the apps' setting: a worker always runs jobs
    onJob: (e) => logger.info({ job: e.id, attempt: e.attempt, ...(e.status ? { status: e.status } : {}) }, e.event === 'claimed' ? 'job claimed' : 'job finished'),
  });
  await jobs.start();
  const mode = jobs.mode === 'redis' ? 'redis' : 'table';
  const store = `PostgreSQL ${new URL(cfg.databaseUrl).host}${new URL(cfg.databaseUrl).pathname}`;
  logger.info({
    mode, concurrency, store, worker: jobs.worker, staleSeconds: jobs.staleSeconds, maxAttempts: jobs.maxAttempts,
    ...(mode === 'redis' ? { queuePrefix: opts.queuePrefix ?? 'agglomera' } : { pollMs: opts.pollMs }),
  }, `worker ready: ${mode === 'redis' ? 'BullMQ queue' : 'estimate_job table polling'}, ${concurrency} job(s) at once, ${store}`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal, running: jobs.load.running }, `stopping: no new jobs; jobs in hand get up to ${drainSeconds} s (AGGLOMERA_DRAIN_SECONDS)`);
  const held = jobs.load.running;
  const { finished } = await jobs.drain(drainSeconds * 1000);
  if (held) logger.info({ finished }, finished ? 'jobs in hand finished' : 'drain wait over: jobs in hand stopped and handed back (QUEUED)');
  await pool.close();
  await db.close();
  logger.info('stopped');
  // nothing should keep the process alive now; if a client library still holds a handle, do not hang on it
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}
