// Worker thread: receives {id, spec, frame payload, weights} and runs the pure estimation library on it.
import { parentPort } from 'node:worker_threads';
import { EstimationInputError } from '../estimation/result.js';
import type { ModelSpec } from '../estimation/spec.js';
import type { SpatialWeights } from '../estimation/spatial/index.js';
import { runPrepared } from './analysis.js';
import { fromPayload, type FramePayload } from './payload.js';

export interface WorkerTask { id: number; spec: ModelSpec; frame: FramePayload; weights?: SpatialWeights }
export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; field?: string; user: boolean; stack?: string } };

parentPort!.on('message', (t: WorkerTask) => {
  let reply: WorkerReply;
  try {
    reply = { id: t.id, ok: true, result: runPrepared(t.spec, fromPayload(t.frame), t.weights) };
  } catch (e) {
    const err = e as Error & { field?: string };
    reply = { id: t.id, ok: false, error: { message: err.message, field: err.field, user: e instanceof EstimationInputError, stack: err.stack } };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
