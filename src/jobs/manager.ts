// Durable background estimates: submit → a row in estimate_job (QUEUED) → a worker claims it (RUNNING) → DONE /
// FAILED / CANCELLED with the result or error in the row. With REDIS_URL, jobs go through a BullMQ queue that every
// job-running process serves (queue.ts). Without it, a process that runs jobs keeps the ones submitted to it (its
// worker-thread pool) and polls the table for QUEUED jobs nobody holds (those of a process started with
// AGGLOMERA_RUN_JOBS=false, of `agglomera worker`'s peers that stopped): one conditional claim per job, so two
// processes never run one. A process with runJobs false only writes jobs (and, with Redis, queues their ids).
// Results are cached in estimate_result by the hash of the request and the data version. Each process heartbeats the
// jobs it holds; a sweep re-queues (or, past AGGLOMERA_JOB_MAX_ATTEMPTS, fails) the jobs of a process that stopped.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Db } from '../db/db.js';
import { EstimationInputError } from '../estimation/result.js';
import { AnalysisInputError, cacheKey, checkRequest, prepareEstimate, requestPath, type AnalysisRequest, type AnalysisResult } from './analysis.js';
import {
  cachedResult, cancelJob, claimJob, claimNext, finishJob, getJob, heartbeat, insertJob, isStudyRequest, jsonText, listJobs, recoverStale, releaseHeld, setProgress, statusOf, storeResult,
  type Job, type StudyRequest, type JobError, type JobRow, type JobStatus,
} from './jobstore.js';
import { checkSize, LimitError, LIMIT_SETTINGS, readLimits, timeLimitMessage, type EstimateLimits } from './limits.js';
import { CancelledError, sharedPool, type EstimatePool } from './pool.js';
import type { JobQueue } from './queue.js';
import { runStudyJob, studyCacheKey } from '../studies/job.js';
import { StudyInputError } from '../studies/roles.js';
import type { Fit } from '../studies/run.js';
import { parseStudy } from '../studies/validate.js';

export type { Job, JobStatus } from './jobstore.js';

export interface JobManagerOptions {
  pool?: EstimatePool;
  /** BullMQ over this Redis; absent → this process's own pool */
  redisUrl?: string;
  /** key prefix of the BullMQ queue (tests use their own) */
  queuePrefix?: string;
  /** runs per job before an interrupted one is failed (AGGLOMERA_JOB_MAX_ATTEMPTS, default 2) */
  maxAttempts?: number;
  /** a job whose process sent no heartbeat for this long is taken over (AGGLOMERA_JOB_STALE_SECONDS, default 30) */
  staleSeconds?: number;
  /** heartbeat + cancellation check period */
  pollMs?: number;
  /** estimate bounds; absent → read from the environment at each job */
  limits?: EstimateLimits;
  /** false: this process never runs a job (no BullMQ worker, no table polling, no sweep); it only submits
   *  (AGGLOMERA_RUN_JOBS, default true) */
  runJobs?: boolean;
  /** a job was claimed here / reached its end here (the worker command logs them) */
  onJob?: (e: { event: 'claimed' | 'finished'; id: string; status?: JobStatus; attempt: number }) => void;
}

export function jobOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): JobManagerOptions {
  const num = (name: string, def: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
    return v;
  };
  const run = (env.AGGLOMERA_RUN_JOBS ?? 'true').trim().toLowerCase();
  if (run !== 'true' && run !== 'false') throw new Error(`AGGLOMERA_RUN_JOBS must be true or false, got "${env.AGGLOMERA_RUN_JOBS}"`);
  return {
    redisUrl: env.REDIS_URL || undefined,
    queuePrefix: env.AGGLOMERA_QUEUE_PREFIX || undefined,
    maxAttempts: num('AGGLOMERA_JOB_MAX_ATTEMPTS', 2),
    staleSeconds: num('AGGLOMERA_JOB_STALE_SECONDS', 30),
    pollMs: num('AGGLOMERA_JOB_POLL_MS', 1000),
    runJobs: run === 'true',
  };
}

interface Running { cancel?: () => boolean; timedOut?: boolean }

export class JobManager {
  /** this process's name in estimate_job.worker */
  readonly worker = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly pool: EstimatePool;
  private readonly running = new Map<string, Running>();
  private readonly localQueue: string[] = [];
  private localBusy = 0;
  private readonly settled = new Map<string, Promise<void>>();
  private readonly executing = new Set<Promise<void>>();
  private queue?: JobQueue;
  private timers: NodeJS.Timeout[] = [];
  private started?: Promise<void>;
  private closed = false;
  /** stopping: take no new job, let the ones in hand finish (drain) */
  private draining = false;
  private polling?: Promise<void>;
  private pollAgain = false;
  readonly maxAttempts: number;
  readonly staleSeconds: number;

  /** Job polling, heartbeats and sweeps run in the background: they are not counted as the requests' statements. */
  private readonly db: Db;
  constructor(db: Db, private readonly opts: JobManagerOptions = jobOptionsFromEnv()) {
    this.db = db.background();
    this.pool = opts.pool ?? sharedPool();
    this.maxAttempts = opts.maxAttempts ?? 2;
    this.staleSeconds = opts.staleSeconds ?? 30;
  }

  get mode(): 'local' | 'redis' { return this.opts.redisUrl ? 'redis' : 'local'; }
  /** whether this process runs jobs at all (AGGLOMERA_RUN_JOBS) */
  get runsJobs(): boolean { return this.opts.runJobs ?? true; }
  /** the holder written on a new job: this process when it runs its own (no Redis), else nobody */
  private get newHolder(): string | null { return this.queue || !this.runsJobs ? null : this.worker; }
  private get poolSize(): number { return this.pool.size; }
  private limits(): EstimateLimits { return this.opts.limits ?? readLimits(); }

  /** Starts the queue worker, the heartbeat and the sweep; recovers interrupted jobs. Idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      if (this.opts.redisUrl) {
        const { JobQueue } = await import('./queue.js');
        // a submit-only process opens the queue without a BullMQ worker: it never takes a job off it
        this.queue = new JobQueue(this.opts.redisUrl, this.runsJobs ? this.pool.size : 0, (id) => this.execute(id), this.opts.queuePrefix);
        await this.queue.ready();
      }
      if (!this.runsJobs) return; // no heartbeat (it holds nothing), no sweep, no polling
      // the embedded database has one process by construction: what nobody heartbeated for a few seconds is an orphan
      await this.sweep(this.db.kind === 'embedded' ? Math.min(5, this.staleSeconds) : this.staleSeconds);
      const poll = this.opts.pollMs ?? 1000;
      this.timers.push(setInterval(() => void this.tick().catch(() => undefined), poll).unref());
      this.timers.push(setInterval(() => void this.sweep(this.staleSeconds).catch(() => undefined), Math.max(1000, this.staleSeconds * 500)).unref());
      if (!this.queue) {
        this.timers.push(setInterval(() => this.pollTable(), poll).unref());
        this.pollTable();
      }
    })();
    return this.started;
  }

  /** Re-queues or fails the jobs of processes that stopped heartbeating. */
  async sweep(staleSeconds: number): Promise<{ requeued: string[]; failed: string[] }> {
    // re-queued jobs are held by nobody: the shared queue or the table poll of any job-running process takes them
    const r = await recoverStale(this.db, { staleSeconds, maxAttempts: this.maxAttempts, worker: null, except: this.worker });
    if (this.queue) for (const id of r.requeued) await this.queue.add(id, (await getJob(this.db, id))?.attempts ?? 0);
    else if (r.requeued.length && this.runsJobs) this.pollTable();
    return r;
  }

  /**
   * Without Redis: claims QUEUED jobs nobody holds (oldest first, `FOR UPDATE SKIP LOCKED`) while this process has a
   * free slot. One poll at a time; a call during a poll makes it look once more.
   */
  private pollTable(): void {
    if (this.queue || !this.runsJobs || this.closed || this.draining) return;
    if (this.polling) { this.pollAgain = true; return; }
    this.polling = (async () => {
      do {
        this.pollAgain = false;
        while (!this.closed && !this.draining && this.localBusy < this.poolSize) {
          const row = await claimNext(this.db, this.worker).catch(() => null);
          if (!row) break;
          this.localBusy++;
          const p = this.runClaimed(row);
          this.executing.add(p);
          void p.finally(() => { this.executing.delete(p); this.localBusy--; this.pumpLocal(); this.pollTable(); });
        }
      } while (this.pollAgain && !this.closed && !this.draining);
    })().finally(() => { this.polling = undefined; });
  }

  /** Heartbeat of the jobs held here; jobs cancelled elsewhere (another process's cancelJob) stop here. */
  private async tick() {
    if (!this.running.size) return; // nothing held: nothing to heartbeat or to check for cancels
    await heartbeat(this.db, this.worker);
    const ids = [...this.running.keys()];
    const st = await statusOf(this.db, ids);
    for (const id of ids) {
      const s = st.get(id);
      if (s?.status !== 'RUNNING' || s.worker !== this.worker) this.running.get(id)?.cancel?.();
    }
  }

  /** A new job: onto the shared queue, or this process's own line when it holds it; a submit-only process without
   *  Redis leaves it in the table for the job-running processes' polls. */
  private async dispatch(id: string, attempts: number) {
    if (this.queue) await this.queue.add(id, attempts);
    else if (this.runsJobs) {
      this.localQueue.push(id);
      this.pumpLocal();
    }
  }

  private pumpLocal() {
    while (!this.closed && !this.draining && this.localBusy < this.pool.size && this.localQueue.length) {
      const id = this.localQueue.shift()!;
      this.localBusy++;
      void this.execute(id).finally(() => { this.localBusy--; this.pumpLocal(); });
    }
  }

  /** Checks the spec now (bad input throws AnalysisInputError), stores the job, queues it. */
  async submit(req: AnalysisRequest, ownerKeyId: string | null = null): Promise<Job> {
    checkRequest(req);
    await this.start();
    const { key, dataVersion } = await cacheKey(this.db, req);
    const row = await insertJob(this.db, { id: randomUUID(), request: req, cacheKey: key, dataVersion, ownerKeyId, worker: this.newHolder });
    await this.dispatch(row.id, 0);
    return view(row);
  }

  /** Checks a study file now (bad input throws StudyInputError naming the field), stores the job, queues it. */
  async submitStudy(study: unknown, ownerKeyId: string | null = null): Promise<Job> {
    parseStudy(study);
    await this.start();
    const { key, dataVersion } = await studyCacheKey(this.db, study);
    const row = await insertJob(this.db, { id: randomUUID(), request: { kind: 'study', study }, cacheKey: key, dataVersion, ownerKeyId, worker: this.newHolder });
    await this.dispatch(row.id, 0);
    return view(row);
  }

  /** A study job: the runner here, its models in the worker pool; a cancel stops it at the next model or table. */
  private async runStudy(id: string, req: StudyRequest, run: Running): Promise<void> {
    const { key, dataVersion } = await studyCacheKey(this.db, req.study);
    const hit = await cachedResult(this.db, key);
    if (hit) { await finishJob(this.db, id, this.worker, 'DONE', { result: hit, cached: true }); return; }
    let cancelled = false;
    let current: { cancel: () => boolean } | undefined;
    run.cancel = () => { cancelled = true; return current?.cancel() ?? true; };
    const checkpoint = async () => { if (cancelled || this.closed) throw new CancelledError(); };
    const fit: Fit = async (spec, panel) => {
      await checkpoint();
      const h = this.pool.run(spec, panel);
      current = h;
      try { return await h.promise; } finally { current = undefined; }
    };
    const result = await runStudyJob(this.db, parseStudy(req.study), { fit, checkpoint, progress: (p) => setProgress(this.db, id, this.worker, p) });
    await storeResult(this.db, key, dataVersion, result as unknown as AnalysisResult);
    await finishJob(this.db, id, this.worker, 'DONE', { result });
  }

  /** Claims and runs a job to its end; every outcome is written to its row. Never throws. */
  execute(id: string): Promise<void> {
    const p = this.claimAndRun(id);
    this.executing.add(p);
    return p.finally(() => this.executing.delete(p));
  }

  private async claimAndRun(id: string): Promise<void> {
    if (this.closed || !this.runsJobs) return;
    if (this.draining) {
      // BullMQ handed over a job while this process stops taking any: put its id back for another process
      if (this.queue) { const j = await getJob(this.db, id).catch(() => null); if (j?.status === 'QUEUED') await this.queue.add(id, j.attempts, `-d${Date.now()}`).catch(() => undefined); }
      return;
    }
    const row = await claimJob(this.db, id, this.worker).catch(() => null);
    if (!row) return;
    return this.runClaimed(row);
  }

  /** Runs a job this process has claimed (RUNNING, held here) to its end. Never throws. */
  private async runClaimed(row: JobRow): Promise<void> {
    const id = row.id;
    this.opts.onJob?.({ event: 'claimed', id, attempt: row.attempts });
    let resolveSettled!: () => void;
    this.settled.set(id, new Promise<void>((r) => { resolveSettled = r; }));
    const run: Running = {};
    this.running.set(id, run);
    const limits = this.limits();
    try {
      if (this.closed) throw new CancelledError(); // claimed while closing: close() hands it back
      const req = row.request;
      if (isStudyRequest(req)) { await this.runStudy(id, req, run); return; }
      const { key, dataVersion } = await cacheKey(this.db, req);
      const hit = await cachedResult(this.db, key);
      if (hit) { await finishJob(this.db, id, this.worker, 'DONE', { result: hit, cached: true }); return; }
      const p = await prepareEstimate(this.db, req);
      checkSize(p.spec, p.panel, limits);
      if (this.closed) throw new CancelledError();
      await setProgress(this.db, id, this.worker, 0.25);
      const result = await this.runInPool(p, limits, run, () => void setProgress(this.db, id, this.worker, 0.5).catch(() => undefined));
      const full: AnalysisResult = JSON.parse(jsonText({ ...result, warnings: [...p.warnings, ...result.warnings], level: p.level, sampleReport: p.panel.report, dataVersion, cacheKey: key }));
      await storeResult(this.db, key, dataVersion, full);
      await finishJob(this.db, id, this.worker, 'DONE', { result: full });
    } catch (e) {
      await this.fail(id, row, e, run, limits).catch(() => undefined);
    } finally {
      this.running.delete(id);
      this.settled.delete(id);
      resolveSettled();
      if (this.opts.onJob) {
        const end = await getJob(this.db, id).catch(() => null);
        this.opts.onJob({ event: 'finished', id, status: end?.status, attempt: row.attempts });
      }
    }
  }

  private async fail(id: string, row: JobRow, e: unknown, run: Running, limits: EstimateLimits) {
    if (e instanceof CancelledError) {
      if (run.timedOut) await finishJob(this.db, id, this.worker, 'CANCELLED', { error: { message: timeLimitMessage(limits), path: null, limit: LIMIT_SETTINGS.maxSeconds } });
      return; // cancelled by cancelJob: the row already says so
    }
    if (e instanceof LimitError) { await finishJob(this.db, id, this.worker, 'CANCELLED', { error: { message: e.message, path: e.path, limit: e.limit } }); return; }
    const error: JobError = e instanceof StudyInputError
      ? { message: e.message, path: e.path }
      : e instanceof EstimationInputError
      ? { message: e.message, path: isStudyRequest(row.request) ? null : requestPath(e, row.request.spec.estimator) }
      : { message: `internal error: ${(e as Error).message}`, path: null };
    await finishJob(this.db, id, this.worker, 'FAILED', { error });
  }

  /** The estimate in a worker thread, stopped when cancelled or past the time limit. */
  private async runInPool(p: Awaited<ReturnType<typeof prepareEstimate>>, limits: EstimateLimits, run: Running, onStart?: () => void) {
    let timer: NodeJS.Timeout | undefined;
    const h = this.pool.run(p.spec, p.panel, p.weights, () => {
      onStart?.();
      timer = setTimeout(() => { run.timedOut = true; h.cancel(); }, limits.maxSeconds * 1000);
    });
    run.cancel = h.cancel;
    try {
      return await h.promise;
    } finally {
      clearTimeout(timer);
    }
  }

  async get(id: string): Promise<Job | null> {
    const r = await getJob(this.db, id);
    return r ? view(r) : null;
  }

  async list(o: { status?: JobStatus[]; ownerKeyId?: string | null; first?: number } = {}): Promise<Job[]> {
    return (await listJobs(this.db, { ...o, first: Math.min(Math.max(o.first ?? 50, 1), 500) })).map(view);
  }

  /** Resolves when the job has reached a final status (polls the store: another process may run it). */
  async wait(id: string, pollMs = 100): Promise<Job | null> {
    for (;;) {
      const j = await this.get(id);
      if (!j || (j.status !== 'QUEUED' && j.status !== 'RUNNING')) return j;
      const local = this.settled.get(id);
      await (local ? Promise.race([local, sleep(pollMs * 10)]) : sleep(pollMs));
    }
  }

  /** Cancels a queued or running job (a finished one is returned unchanged); null when unknown. */
  async cancel(id: string): Promise<Job | null> {
    const r = await cancelJob(this.db, id);
    if (!r) return null;
    this.running.get(id)?.cancel?.();
    return view(r);
  }

  /**
   * The synchronous `estimate`: same cache, same pool and bounds, no job row. Over a bound it throws an
   * AnalysisInputError whose message names the setting.
   */
  async run(req: AnalysisRequest): Promise<AnalysisResult> {
    checkRequest(req);
    const limits = this.limits();
    const { key, dataVersion } = await cacheKey(this.db, req);
    const hit = await cachedResult(this.db, key);
    if (hit) return hit;
    const p = await prepareEstimate(this.db, req);
    const run: Running = {};
    try {
      checkSize(p.spec, p.panel, limits);
      const r = await this.runInPool(p, limits, run);
      const full: AnalysisResult = JSON.parse(jsonText({ ...r, warnings: [...p.warnings, ...r.warnings], level: p.level, sampleReport: p.panel.report, dataVersion, cacheKey: key }));
      await storeResult(this.db, key, dataVersion, full);
      return full;
    } catch (e) {
      if (e instanceof LimitError) throw new AnalysisInputError(e.message, e.path);
      if (e instanceof CancelledError && run.timedOut) throw new AnalysisInputError(`${timeLimitMessage(limits)}; submit it with submitEstimate or raise the limit`, 'spec');
      if (e instanceof EstimationInputError) throw new AnalysisInputError(e.message, requestPath(e, p.spec.estimator));
      throw e;
    }
  }

  /** Active jobs held by this process (queued locally or running). */
  get load(): { queued: number; running: number } {
    return { queued: this.localQueue.length, running: this.running.size };
  }

  /**
   * Stops taking jobs and waits up to `ms` for the ones running here to end; then close() stops and hands back what
   * is left. The `agglomera worker` command's SIGTERM.
   */
  async drain(ms: number): Promise<{ finished: boolean }> {
    this.draining = true;
    const closingWorker = this.queue?.closeWorker(); // BullMQ: no new job; resolves when its processors end
    const all = Promise.all([...this.executing, closingWorker]).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([all, new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); })]);
    clearTimeout(timer);
    await this.close();
    return { finished };
  }

  /**
   * Stops taking jobs. Jobs held here (queued locally or running) are stopped and handed back: QUEUED, the attempt
   * not counted, free for the next process (at once with the shared queue; at the next start or sweep otherwise).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.started?.catch(() => undefined);
    this.localQueue.length = 0;
    for (const r of this.running.values()) r.cancel?.();
    // BullMQ's worker waits for its processors, which end at once now (closed): then nothing here is claiming
    await this.queue?.closeWorker();
    await Promise.all([...this.executing]);
    await this.polling;
    await Promise.all([...this.executing]); // a claim the poll had in flight
    const released = await releaseHeld(this.db, this.worker);
    if (this.queue) {
      for (const j of released) await this.queue.add(j.id, j.attempts, `-r${Date.now()}`).catch(() => undefined);
      await this.queue.close();
    }
    if (managers.get(this.db) === this) managers.delete(this.db);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function view(r: JobRow): Job {
  const { id, status, progress, result, study, error, cached, attempts, ownerKeyId, submittedAt, startedAt, finishedAt } = r;
  return { id, status, progress, result, study, error, cached, attempts, ownerKeyId, submittedAt, startedAt, finishedAt };
}

const managers = new Map<Db, JobManager>();
/** One job manager per store handle (settings from the environment); started on first use. */
export function jobManager(db: Db): JobManager {
  let m = managers.get(db);
  if (!m) { m = new JobManager(db); managers.set(db, m); }
  return m;
}

/** Every manager of this process (for the metrics and shutdown). */
export function allManagers(): JobManager[] { return [...managers.values()]; }
