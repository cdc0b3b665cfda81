// A small pool of worker threads (size max(1, cores - 1)) running estimates off the event loop.
// Tasks queue FIFO; cancelling a queued task removes it, cancelling a running one terminates its worker (a fresh
// one replaces it). Idle workers are unref'd so that a CLI process can exit.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { EstimationInputError, type EstimationResult } from '../estimation/result.js';
import type { ModelSpec } from '../estimation/spec.js';
import type { SpatialWeights } from '../estimation/spatial/index.js';
import type { DataFrame } from '../estimation/frame.js';
import { toPayload } from './payload.js';
import type { WorkerReply, WorkerTask } from './worker.js';

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export class CancelledError extends Error {
  constructor() { super('cancelled'); this.name = 'CancelledError'; }
}

interface Pending {
  id: number;
  task: WorkerTask;
  transfer: ArrayBuffer[];
  resolve: (r: EstimationResult) => void;
  reject: (e: Error) => void;
  onStart?: () => void;
}

interface Slot { worker: Worker; busy: Pending | null }

export class EstimatePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  constructor(readonly size = Math.max(1, os.cpus().length - 1)) {}

  private spawn(): Slot {
    const worker = new Worker(ENTRY);
    const slot: Slot = { worker, busy: null };
    worker.unref();
    worker.on('message', (m: WorkerReply | { ready: true }) => {
      if ('ready' in m) return;
      const p = slot.busy;
      if (!p || p.id !== m.id) return;
      slot.busy = null;
      worker.unref();
      if (m.ok) p.resolve(m.result as EstimationResult);
      else p.reject(m.error.user ? new EstimationInputError(m.error.message, m.error.field) : Object.assign(new Error(m.error.message), { stack: m.error.stack }));
      this.pump();
    });
    worker.on('error', (e) => this.replace(slot, e));
    worker.on('exit', (code) => { if (slot.busy) this.replace(slot, new Error(`estimate worker exited with code ${code}`)); });
    this.slots.push(slot);
    return slot;
  }

  private replace(slot: Slot, e: Error) {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const p = slot.busy;
    slot.busy = null;
    void slot.worker.terminate();
    p?.reject(e);
    this.pump();
  }

  private pump() {
    if (this.closed) return;
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.ref();
      p.onStart?.();
      slot.worker.postMessage(p.task, p.transfer);
    }
  }

  /** Runs estimate(spec, frame, {weights}) in a worker; `handle.cancel()` stops it (the promise rejects with CancelledError). */
  run(spec: ModelSpec, frame: DataFrame, weights?: SpatialWeights, onStart?: () => void): { promise: Promise<EstimationResult>; cancel: () => boolean } {
    if (this.closed) throw new Error('estimate pool is closed');
    const id = this.nextId++;
    const { payload, transfer } = toPayload(frame);
    let pending!: Pending;
    const promise = new Promise<EstimationResult>((resolve, reject) => {
      pending = { id, task: { id, spec, frame: payload, weights }, transfer, resolve, reject, onStart };
    });
    this.queue.push(pending);
    this.pump();
    const cancel = () => {
      const q = this.queue.indexOf(pending);
      if (q >= 0) { this.queue.splice(q, 1); pending.reject(new CancelledError()); return true; }
      const slot = this.slots.find((s) => s.busy === pending);
      if (slot) { this.replace(slot, new CancelledError()); return true; }
      return false;
    };
    return { promise, cancel };
  }

  get busy(): number { return this.slots.filter((s) => s.busy).length; }
  get queued(): number { return this.queue.length; }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new CancelledError());
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}

let shared: EstimatePool | undefined;
/** The process-wide pool (created on first use). */
export function sharedPool(): EstimatePool {
  shared ??= new EstimatePool(Number(process.env.AGGLOMERA_WORKERS) || undefined);
  return shared;
}
