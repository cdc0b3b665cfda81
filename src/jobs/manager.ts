// Background estimate jobs: submit → id; poll status / progress / result; cancel. The panel is assembled on the main
// thread (it reads the store), the estimate runs in the worker pool. Results are cached by the hash of the request
// and the data version, so a repeated request after no data change is answered at once.
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/db.js';
import { EstimationInputError } from '../estimation/result.js';
import { AnalysisInputError, cacheKey, checkRequest, prepareEstimate, requestPath, type AnalysisRequest, type AnalysisResult } from './analysis.js';
import { CancelledError, sharedPool, type EstimatePool } from './pool.js';

export type JobStatus = 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED' | 'CANCELLED';

export interface Job {
  id: string;
  status: JobStatus;
  /** 0 queued, 0.25 panel assembled, 0.5 estimating in a worker, 1 finished */
  progress: number;
  result: AnalysisResult | null;
  error: { message: string; path: string | null } | null;
  cached: boolean;
  submittedAt: Date;
  finishedAt: Date | null;
}

const MAX_CACHE = 200;
const MAX_JOBS = 1000;

export class JobManager {
  private readonly jobs = new Map<string, Job & { cancel?: () => boolean; done: Promise<void> }>();
  private readonly cache = new Map<string, AnalysisResult>();
  constructor(private readonly db: Db, private readonly pool: EstimatePool = sharedPool()) {}

  /** Checks the spec now (bad input throws AnalysisInputError), then runs in the background. */
  submit(req: AnalysisRequest): Job {
    checkRequest(req);
    const id = randomUUID();
    let finish!: () => void;
    const job = Object.assign(
      { id, status: 'QUEUED' as JobStatus, progress: 0, result: null, error: null, cached: false, submittedAt: new Date(), finishedAt: null },
      { done: new Promise<void>((r) => { finish = r; }) },
    ) as Job & { cancel?: () => boolean; done: Promise<void> };
    this.jobs.set(id, job);
    this.trim();
    void this.execute(job, req).finally(finish);
    return this.view(job);
  }

  private trim() {
    if (this.jobs.size <= MAX_JOBS) return;
    for (const [k, j] of this.jobs) {
      if (this.jobs.size <= MAX_JOBS) break;
      if (j.status !== 'QUEUED' && j.status !== 'RUNNING') this.jobs.delete(k);
    }
  }

  private async execute(job: Job & { cancel?: () => boolean }, req: AnalysisRequest) {
    const cancelled = () => job.status === 'CANCELLED';
    const end = (status: JobStatus, patch: Partial<Job>) => {
      if (cancelled()) return;
      Object.assign(job, { status, finishedAt: new Date(), ...patch });
    };
    try {
      const { key, dataVersion } = await cacheKey(this.db, req);
      const hit = this.cache.get(key);
      if (hit) { end('DONE', { progress: 1, result: hit, cached: true }); return; }
      if (cancelled()) return;
      const p = await prepareEstimate(this.db, req);
      if (cancelled()) return;
      job.progress = 0.25;
      const h = this.pool.run(p.spec, p.panel, p.weights, () => { if (job.status === 'QUEUED') { job.status = 'RUNNING'; job.progress = 0.5; } });
      job.cancel = h.cancel;
      const r = await h.promise;
      const result: AnalysisResult = { ...r, warnings: [...p.warnings, ...r.warnings], level: p.level, sampleReport: p.panel.report, dataVersion, cacheKey: key };
      this.cache.set(key, result);
      if (this.cache.size > MAX_CACHE) this.cache.delete(this.cache.keys().next().value!);
      end('DONE', { progress: 1, result });
    } catch (e) {
      if (e instanceof CancelledError) return;
      if (e instanceof EstimationInputError) end('FAILED', { error: { message: e.message, path: requestPath(e, req.spec.estimator) } });
      else end('FAILED', { error: { message: `internal error: ${(e as Error).message}`, path: null } });
    }
  }

  get(id: string): Job | null {
    const j = this.jobs.get(id);
    return j ? this.view(j) : null;
  }

  /** Resolves when the job has finished (any final status). */
  async wait(id: string): Promise<Job | null> {
    const j = this.jobs.get(id);
    if (!j) return null;
    await j.done;
    return this.view(j);
  }

  /** Cancels a queued or running job; false when it had already finished. */
  cancel(id: string): Job | null {
    const j = this.jobs.get(id);
    if (!j) return null;
    if (j.status === 'QUEUED' || j.status === 'RUNNING') {
      j.status = 'CANCELLED';
      j.finishedAt = new Date();
      j.cancel?.();
    }
    return this.view(j);
  }

  /** Runs a request to completion (used by the synchronous `estimate` query): same cache, same worker pool. */
  async run(req: AnalysisRequest): Promise<AnalysisResult> {
    const job = this.submit(req);
    const done = (await this.wait(job.id))!;
    if (done.status === 'DONE') return done.result!;
    if (done.error?.path) throw new AnalysisInputError(done.error.message, done.error.path);
    throw new Error(done.error?.message ?? `estimate ${done.status.toLowerCase()}`);
  }

  private view(j: Job): Job {
    const { id, status, progress, result, error, cached, submittedAt, finishedAt } = j;
    return { id, status, progress, result, error, cached, submittedAt, finishedAt };
  }
}

const managers = new WeakMap<Db, JobManager>();
/** One job manager per store handle (jobs outlive the request that submitted them). */
export function jobManager(db: Db): JobManager {
  let m = managers.get(db);
  if (!m) { m = new JobManager(db); managers.set(db, m); }
  return m;
}
