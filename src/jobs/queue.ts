// The shared queue (REDIS_URL set): BullMQ carries job ids only; the job itself (request, status, result) lives in
// estimate_job. Every job-running process (an app process, `agglomera worker`) runs a BullMQ worker with as many slots
// as its thread pool, so whichever process is free takes the next job; a process started with AGGLOMERA_RUN_JOBS=false
// opens the queue without a worker (concurrency 0) and only adds to it. Redis may lose its data (it keeps nothing on disk here): the database sweep re-adds jobs.
import { Queue, Worker } from 'bullmq';

export const QUEUE_NAME = 'agglomera-estimates';

export class JobQueue {
  private readonly queue: Queue;
  private readonly worker?: Worker;

  /** concurrency 0: add only, never take (a submit-only process) */
  constructor(redisUrl: string, concurrency: number, run: (id: string) => Promise<void>, prefix = 'agglomera') {
    const connection = { url: redisUrl, maxRetriesPerRequest: null };
    this.queue = new Queue(QUEUE_NAME, { connection, prefix });
    if (concurrency > 0) this.worker = new Worker(QUEUE_NAME, async (job) => { await run(String(job.data.id)); }, { connection, prefix, concurrency });
    // a Redis hiccup must not kill the process: BullMQ reconnects by itself
    this.worker?.on('error', () => undefined);
    this.queue.on('error', () => undefined);
  }

  get takesJobs(): boolean { return Boolean(this.worker); }

  async ready(): Promise<void> {
    await this.queue.waitUntilReady();
    await this.worker?.waitUntilReady();
  }

  /** One BullMQ job per attempt of a stored job: re-adding the same attempt is a no-op while it is still queued (a
   * tag makes a new one; a duplicate is harmless: only one process can claim the stored job). */
  async add(id: string, attempt: number, tag = ''): Promise<void> {
    await this.queue.add('estimate', { id }, { jobId: `${id}-a${attempt}${tag}`, removeOnComplete: true, removeOnFail: true });
  }

  async counts(): Promise<{ waiting: number; active: number }> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return { waiting: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0 };
  }

  /** Stops taking jobs (waits for the running processors); the queue stays open for hand-backs. */
  async closeWorker(): Promise<void> {
    await this.worker?.close();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
