// SQL of the durable jobs (table estimate_job) and the result cache (estimate_result). Every state change is one
// conditional UPDATE, so two processes (or a cancel racing a finish) never both win: the first writer decides.
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import type { StudyJobResult } from '../studies/job.js';
import type { AnalysisRequest, AnalysisResult } from './analysis.js';

/** A study run as a job (submitStudy): the study file as given. */
export interface StudyRequest { kind: 'study'; study: unknown }
export type JobRequest = AnalysisRequest | StudyRequest;
export const isStudyRequest = (r: unknown): r is StudyRequest => (r as StudyRequest | null)?.kind === 'study';
export const isStudyResult = (r: unknown): r is StudyJobResult => (r as StudyJobResult | null)?.kind === 'study';

export type JobStatus = 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED' | 'CANCELLED';
export const ACTIVE: readonly JobStatus[] = ['QUEUED', 'RUNNING'];

export interface JobError { message: string; path: string | null; limit?: string | null }

export interface Job {
  id: string;
  status: JobStatus;
  /** 0 queued, 0.25 panel assembled, 0.5 estimating in a worker, 1 finished */
  progress: number;
  result: AnalysisResult | null;
  /** the rendered tables of a study job (the result column holds them) */
  study: StudyJobResult | null;
  error: JobError | null;
  cached: boolean;
  attempts: number;
  ownerKeyId: string | null;
  submittedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface JobRow extends Job {
  request: JobRequest;
  cacheKey: string;
  dataVersion: number;
  worker: string | null;
}

const COLS = sql`id, request, cache_key AS "cacheKey", data_version AS "dataVersion", status, progress, result, error, cached,
  attempts, owner_key_id AS "ownerKeyId", worker, submitted_at AS "submittedAt", started_at AS "startedAt", finished_at AS "finishedAt"`;

/** JSON that survives jsonb: typed arrays as arrays, non-finite numbers as null. */
export function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (ArrayBuffer.isView(x) && !(x instanceof DataView)) return Array.from(x as unknown as ArrayLike<number>);
    if (typeof x === 'number' && !Number.isFinite(x)) return null;
    return x;
  });
}

const date = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

function results(v: unknown): { result: AnalysisResult | null; study: StudyJobResult | null } {
  return isStudyResult(v) ? { result: null, study: v } : { result: v as AnalysisResult | null, study: null };
}

function fromRow(r: Record<string, unknown>): JobRow {
  return {
    id: r.id as string, request: json(r.request), cacheKey: r.cacheKey as string, dataVersion: Number(r.dataVersion),
    status: r.status as JobStatus, progress: Number(r.progress), ...results(r.result == null ? null : json(r.result)),
    error: r.error == null ? null : json(r.error), cached: Boolean(r.cached), attempts: Number(r.attempts),
    ownerKeyId: (r.ownerKeyId as string | null) ?? null, worker: (r.worker as string | null) ?? null,
    submittedAt: date(r.submittedAt)!, startedAt: date(r.startedAt), finishedAt: date(r.finishedAt),
  };
}

export async function insertJob(db: Db, j: { id: string; request: JobRequest; cacheKey: string; dataVersion: number; ownerKeyId: string | null; worker: string | null }): Promise<JobRow> {
  const [r] = await db.query(sql`
    INSERT INTO estimate_job (id, request, cache_key, data_version, owner_key_id, worker)
    VALUES (${j.id}, ${jsonText(j.request)}::jsonb, ${j.cacheKey}, ${j.dataVersion}, ${j.ownerKeyId}, ${j.worker})
    RETURNING ${COLS}`);
  return fromRow(r);
}

export async function getJob(db: Db, id: string): Promise<JobRow | null> {
  const [r] = await db.query(sql`SELECT ${COLS} FROM estimate_job WHERE id = ${id}`);
  return r ? fromRow(r) : null;
}

export async function listJobs(db: Db, o: { status?: JobStatus[]; ownerKeyId?: string | null; first: number }): Promise<JobRow[]> {
  const rows = await db.query(sql`
    SELECT ${COLS} FROM estimate_job
    WHERE (${o.status?.length ? o.status : null}::text[] IS NULL OR status = ANY(${o.status?.length ? o.status : null}::text[]))
      AND (${o.ownerKeyId === undefined}::boolean OR owner_key_id IS NOT DISTINCT FROM ${o.ownerKeyId ?? null}::text)
    ORDER BY submitted_at DESC, id LIMIT ${o.first}::int`);
  return rows.map(fromRow);
}

/** QUEUED → RUNNING for this worker (one more attempt); null when someone else took it or it was cancelled. */
export async function claimJob(db: Db, id: string, worker: string): Promise<JobRow | null> {
  const [r] = await db.query(sql`
    UPDATE estimate_job SET status = 'RUNNING', attempts = attempts + 1, worker = ${worker}, started_at = now(), heartbeat_at = now()
    WHERE id = ${id} AND status = 'QUEUED' RETURNING ${COLS}`);
  return r ? fromRow(r) : null;
}

/**
 * The oldest QUEUED job nobody holds → RUNNING for this worker, in one statement: `FOR UPDATE SKIP LOCKED` lets two
 * pollers pass each other instead of waiting, and the outer `status = 'QUEUED'` re-check means a job cancelled
 * meanwhile is not taken. null when there is none.
 */
export async function claimNext(db: Db, worker: string): Promise<JobRow | null> {
  const [r] = await db.query(sql`
    UPDATE estimate_job SET status = 'RUNNING', attempts = attempts + 1, worker = ${worker}, started_at = now(), heartbeat_at = now()
    WHERE id = (SELECT id FROM estimate_job WHERE status = 'QUEUED' AND worker IS NULL ORDER BY submitted_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
      AND status = 'QUEUED' AND worker IS NULL
    RETURNING ${COLS}`);
  return r ? fromRow(r) : null;
}

export async function setProgress(db: Db, id: string, worker: string, progress: number): Promise<void> {
  await db.query(sql`UPDATE estimate_job SET progress = ${progress}, heartbeat_at = now() WHERE id = ${id} AND status = 'RUNNING' AND worker = ${worker}`);
}

/** RUNNING (here) → a final status; false when the job had been cancelled or taken over meanwhile. */
export async function finishJob(db: Db, id: string, worker: string, status: 'DONE' | 'FAILED' | 'CANCELLED', o: { result?: unknown; error?: JobError; cached?: boolean }): Promise<boolean> {
  const rows = await db.query(sql`
    UPDATE estimate_job SET status = ${status}, progress = ${status === 'DONE' ? 1 : sql`progress`},
      result = ${o.result === undefined ? null : jsonText(o.result)}::jsonb, error = ${o.error ? jsonText(o.error) : null}::jsonb,
      cached = ${o.cached ?? false}, finished_at = now()
    WHERE id = ${id} AND status = 'RUNNING' AND worker = ${worker} RETURNING id`);
  return rows.length === 1;
}

/** QUEUED / RUNNING → CANCELLED; null when the job does not exist. */
export async function cancelJob(db: Db, id: string, error?: JobError): Promise<JobRow | null> {
  await db.query(sql`
    UPDATE estimate_job SET status = 'CANCELLED', finished_at = now(), error = ${error ? jsonText(error) : null}::jsonb
    WHERE id = ${id} AND status IN ('QUEUED', 'RUNNING')`);
  return getJob(db, id);
}

/** Status and holder of these jobs (a running job cancelled or taken over elsewhere is stopped here). */
export async function statusOf(db: Db, ids: string[]): Promise<Map<string, { status: JobStatus; worker: string | null }>> {
  if (!ids.length) return new Map();
  const rows = await db.query<{ id: string; status: JobStatus; worker: string | null }>(sql`SELECT id, status, worker FROM estimate_job WHERE id = ANY(${ids}::text[])`);
  return new Map(rows.map((r) => [r.id, { status: r.status, worker: r.worker }]));
}

/** This worker is alive: refresh the heartbeat of the active jobs it holds. */
export async function heartbeat(db: Db, worker: string): Promise<void> {
  await db.query(sql`UPDATE estimate_job SET heartbeat_at = now() WHERE worker = ${worker} AND status IN ('QUEUED', 'RUNNING')`);
}

/**
 * Active jobs whose holder stopped heartbeating for `staleSeconds` (0: every active job not held by `except`):
 * those with attempts left go back to QUEUED held by `worker` (or by nobody, for the shared queue), the others FAIL
 * naming the reason. Returns the re-queued ids.
 */
export async function recoverStale(db: Db, o: { staleSeconds: number; maxAttempts: number; worker: string | null; except: string }): Promise<{ requeued: string[]; failed: string[] }> {
  return db.transaction(async (tx) => {
    const stale = await tx.query<{ id: string; attempts: number; status: JobStatus }>(sql`
      SELECT id, attempts, status FROM estimate_job
      WHERE status IN ('QUEUED', 'RUNNING') AND worker IS DISTINCT FROM ${o.except}
        AND heartbeat_at < now() - make_interval(secs => ${o.staleSeconds}::double precision)
      ORDER BY submitted_at FOR UPDATE`);
    const requeue = stale.filter((j) => j.attempts < o.maxAttempts).map((j) => j.id);
    const fail = stale.filter((j) => j.attempts >= o.maxAttempts).map((j) => j.id);
    if (requeue.length) {
      await tx.query(sql`UPDATE estimate_job SET status = 'QUEUED', progress = 0, worker = ${o.worker}, heartbeat_at = now(), started_at = NULL
        WHERE id = ANY(${requeue}::text[])`);
    }
    if (fail.length) {
      const error = { message: `interrupted: the process running it stopped, and it had used its ${o.maxAttempts} attempt(s) (AGGLOMERA_JOB_MAX_ATTEMPTS)`, path: null, limit: 'AGGLOMERA_JOB_MAX_ATTEMPTS' };
      await tx.query(sql`UPDATE estimate_job SET status = 'FAILED', finished_at = now(), error = ${jsonText(error)}::jsonb
        WHERE id = ANY(${fail}::text[])`);
    }
    return { requeued: requeue, failed: fail };
  });
}

/** A stopping process hands its active jobs back (attempt not counted); the heartbeat is set stale for the sweep. */
export async function releaseHeld(db: Db, worker: string): Promise<{ id: string; attempts: number }[]> {
  return db.query(sql`
    UPDATE estimate_job SET status = 'QUEUED', progress = 0, worker = NULL, started_at = NULL,
      attempts = CASE WHEN status = 'RUNNING' THEN greatest(attempts - 1, 0) ELSE attempts END,
      heartbeat_at = '-infinity'::timestamptz
    WHERE worker = ${worker} AND status IN ('QUEUED', 'RUNNING') RETURNING id, attempts`);
}

export async function jobCounts(db: Db): Promise<Record<JobStatus, number>> {
  const rows = await db.query<{ status: JobStatus; n: number }>(sql`SELECT status, count(*)::int AS n FROM estimate_job GROUP BY status`);
  const out: Record<JobStatus, number> = { QUEUED: 0, RUNNING: 0, DONE: 0, FAILED: 0, CANCELLED: 0 };
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}

export async function cachedResult(db: Db, key: string): Promise<AnalysisResult | null> {
  const [r] = await db.query<{ result: unknown }>(sql`SELECT result FROM estimate_result WHERE cache_key = ${key}`);
  return r ? json<AnalysisResult>(r.result) : null;
}

export async function storeResult(db: Db, key: string, dataVersion: number, result: AnalysisResult): Promise<void> {
  await db.query(sql`INSERT INTO estimate_result (cache_key, data_version, result) VALUES (${key}, ${dataVersion}, ${jsonText(result)}::jsonb)
    ON CONFLICT (cache_key) DO NOTHING`);
}
