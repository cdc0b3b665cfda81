// A DataFrame as a structured-clone / transfer friendly value: numeric columns stay Float64Array (their buffers are
// transferred to the worker, not copied), string columns plain arrays.
import type { DataFrame } from '../estimation/frame.js';

export interface FramePayload {
  nrows: number;
  columns: Record<string, Float64Array | (string | null)[]>;
}

/** Copies the numeric columns so the caller's frame survives the transfer. */
export function toPayload(frame: DataFrame): { payload: FramePayload; transfer: ArrayBuffer[] } {
  const columns: FramePayload['columns'] = {};
  const transfer: ArrayBuffer[] = [];
  for (const [name, c] of Object.entries(frame.columns)) {
    if (c instanceof Float64Array) {
      const copy = Float64Array.from(c);
      columns[name] = copy;
      transfer.push(copy.buffer as ArrayBuffer);
    } else columns[name] = [...(c as (string | null)[])];
  }
  return { payload: { nrows: frame.nrows, columns }, transfer };
}

export function fromPayload(p: FramePayload): DataFrame {
  return { nrows: p.nrows, columns: p.columns } as DataFrame;
}
