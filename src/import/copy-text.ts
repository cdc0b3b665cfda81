// Staging rows as COPY (FORMAT csv) text: a raw file line whose cells already read as the stored values goes in as
// it stands, behind its line number (or without one, straight into a table of the store); any other row goes in as
// the values the field checks made of it. Batches are written while the next one is read (on PostgreSQL into one
// COPY statement, whose server parses one batch while this process reads the next).
import type { Db } from '../db/db.js';
import { isMissing, type FieldSpec } from './csv.js';
import type { RawLine } from './csv-scan.js';

// text per COPY batch: big enough that a batch costs one round trip, small enough to bound memory (two in flight)
const BATCH_CHARS = 8 << 20;


const INT = /^-?\d{1,10}$/;
// no exponent (1e400 is not finite: the precise check says so), no sign '+' (the precise check drops it)
const FLOAT = /^-?(?:\d+\.?\d*|\.\d+)$/;
const float = (c: string) => c.length < 300 && FLOAT.test(c);

/**
 * Whether a cell as written already is the value the precise check (readFields) would store, so that COPY may read
 * it as it stands: a plain integer / decimal within the field's bounds, plain text, or an empty optional cell.
 * Anything else (missing markers, spaces, '+', exponents, booleans, dates, a bad value) is left to the precise check.
 */
export function plainCell(f: FieldSpec): (cell: string) => boolean {
  const bounded = (x: number) => (f.min === undefined || x >= f.min) && (f.max === undefined || x <= f.max);
  const empty = (cell: string) => cell === '' && !f.required;
  switch (f.type) {
    case 'int': return (c) => (INT.test(c) && bounded(Number(c))) || empty(c);
    case 'float': return f.min === undefined && f.max === undefined
      ? (c) => float(c) || empty(c)
      : (c) => (float(c) && bounded(Number(c))) || empty(c);
    // quotes and line ends never reach here (the scanner hands such lines to csv-parse)
    case 'text': return (c) => (c.length > 0 && c.trim() === c && !isMissing(c)) || empty(c);
    default: return () => false;
  }
}

/** A check of one cell given as bytes b[s, e) of a plain ASCII line: true when the bytes are the stored value as
 *  it stands (as plainCell says for text); anything else goes to the precise check. */
export type CellBytes = (b: Buffer, s: number, e: number) => boolean;

export function plainBytes(f: FieldSpec): CellBytes {
  const { min, max, required } = f;
  const bounded = min !== undefined || max !== undefined;
  switch (f.type) {
    case 'int': return (b, s, e) => {
      if (s === e) return !required;
      let i = s;
      const neg = b[i] === 45; // '-'
      if (neg) i++;
      if (i === e || e - i > 10) return false;
      let x = 0;
      for (; i < e; i++) { const d = b[i] - 48; if (d < 0 || d > 9) return false; x = x * 10 + d; }
      if (neg) x = -x;
      return (min === undefined || x >= min) && (max === undefined || x <= max);
    };
    case 'float': return (b, s, e) => {
      if (s === e) return !required;
      if (e - s >= 300) return false;
      let i = s;
      if (b[i] === 45) i++;
      let digits = 0, dot = false;
      for (; i < e; i++) {
        const c = b[i];
        if (c >= 48 && c <= 57) digits++;
        else if (c === 46 && !dot) dot = true;
        else return false;
      }
      if (!digits) return false;
      if (!bounded) return true;
      const x = Number(b.toString('latin1', s, e));
      return (min === undefined || x >= min) && (max === undefined || x <= max);
    };
    default: return () => false;
  }
}

/** Whether the line b[s, end) has exactly `checks.length` cells, each plain. */
function plainLine(b: Buffer, s: number, end: number, checks: CellBytes[]): boolean {
  const last = checks.length - 1;
  for (let j = 0; j <= last; j++) {
    let e = s;
    while (e < end && b[e] !== 44) e++; // ','
    if (j < last ? e === end : e !== end) return false;
    if (!checks[j](b, s, e)) return false;
    s = e + 1;
  }
  return true;
}

/** Stages the plain lines of a block of whole lines (first one file line `firstLine`) as they stand; every other
 *  non-blank line goes to `others` as a raw line. Returns the number of lines staged. */
export function stageBlock(bytes: Buffer, firstLine: number, checks: CellBytes[], out: CopyText, others: RawLine[]): number {
  let line = firstLine, pos = 0, staged = 0;
  while (pos < bytes.length) {
    const nl = bytes.indexOf(10, pos);
    const end = nl > pos && bytes[nl - 1] === 13 ? nl - 1 : nl;
    if (end > pos) {
      if (plainLine(bytes, pos, end, checks)) { out.addLine(line, bytes, pos, end); staged++; }
      else others.push({ line, text: bytes.toString('latin1', pos, end) });
    }
    line++;
    pos = nl + 1;
  }
  return staged;
}

/** Writes COPY csv text to `table` (`columns` in order) batch by batch; `end()` waits for the last batch.
 *  `numbered`: add and addLine put the file line number first (the first column is the line's). */
export class CopyText {
  private parts: (string | Buffer)[] = [];
  private size = 0;
  private buf = Buffer.allocUnsafe(BATCH_CHARS);
  private pos = 0;
  /** rows added */
  rows = 0;
  private pending: Promise<void> = Promise.resolve();
  private channel?: ReturnType<typeof copyChannel>;
  constructor(private readonly db: Db, private readonly statement: string, private readonly numbered = true) {}

  static for(db: Db, table: string, columns: string[], numbered = true): CopyText {
    return new CopyText(db, `COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT csv)`, numbered);
  }

  /** Whether a batch is ready: the caller awaits flush() (reading on meanwhile would only grow it). */
  get full(): boolean { return this.size + this.pos >= BATCH_CHARS; }

  /** Adds `line` and a comma (when numbered), then one row (its fields already joined by commas, no line end). */
  add(line: number, row: string): void {
    const text = this.numbered ? `${line},${row}\n` : `${row}\n`;
    this.parts.push(text);
    this.size += text.length;
    this.rows++;
  }

  /** Adds `line` and a comma (when numbered), then the bytes b[s, e) as one row. */
  addLine(line: number, b: Buffer, s: number, e: number): void {
    if (this.pos + 12 + e - s > this.buf.length) this.takeBuffer(Math.max(BATCH_CHARS, 12 + e - s));
    const out = this.buf;
    let p = this.pos;
    if (this.numbered) {
      // the line number's digits, without a string per row
      let digits = 1;
      for (let x = line; x >= 10; x = Math.floor(x / 10)) digits++;
      for (let k = digits - 1, x = line; k >= 0; k--, x = Math.floor(x / 10)) out[p + k] = 48 + (x % 10);
      p += digits;
      out[p++] = 44;
    }
    b.copy(out, p, s, e);
    p += e - s;
    out[p++] = 10;
    this.pos = p;
    this.rows++;
  }

  private takeBuffer(next: number): void {
    if (this.pos) { this.parts.push(this.buf.subarray(0, this.pos)); this.size += this.pos; }
    this.buf = Buffer.allocUnsafe(next);
    this.pos = 0;
  }

  async flush(): Promise<void> {
    this.takeBuffer(BATCH_CHARS);
    const parts = this.parts;
    this.parts = [];
    this.size = 0;
    if (!parts.length) return;
    if (this.db.kind === 'postgres') {
      // one COPY statement for all batches: no statement (and round trip) per batch, and the server reads on while
      // the next batch is being made
      this.channel ??= copyChannel(this.db, this.statement);
      await this.channel.push(parts);
      return;
    }
    await this.pending; // one batch at a time on the connection; its error surfaces here
    const copy = this.db.copyFrom!.bind(this.db);
    this.pending = copy(this.statement, parts);
    // a failure is awaited (and so thrown) at the next flush or at end(); keep it from counting as unhandled meanwhile
    this.pending.catch(() => undefined);
  }

  async end(): Promise<void> {
    await this.flush();
    await this.pending;
    if (this.channel) await this.channel.close();
  }
}

/** One COPY fed batch by batch: push() hands a batch over and returns once at most one is waiting to be sent (or
 *  throws the COPY's error); close() ends the data and waits for the statement. */
function copyChannel(db: Db, statement: string): { push(parts: (string | Buffer)[]): Promise<void>; close(): Promise<void> } {
  const queue: (string | Buffer)[][] = [];
  let closed = false;
  let wake: (() => void) | undefined; // the COPY waiting for a batch
  let room: (() => void) | undefined; // push() waiting for the queue to shrink
  const source = async function* () {
    for (;;) {
      const parts = queue.shift();
      if (parts) { room?.(); yield* parts; continue; }
      if (closed) return;
      await new Promise<void>((r) => { wake = r; });
    }
  };
  let settled = false;
  const done = db.copyFrom!(statement, source()).finally(() => { settled = true; });
  done.catch(() => undefined); // thrown from push() or close()
  const nudge = () => { const w = wake; wake = undefined; w?.(); };
  return {
    async push(parts) {
      queue.push(parts);
      nudge();
      while (queue.length > 1 && !settled) await Promise.race([new Promise<void>((r) => { room = r; }), done]);
      if (settled) await done; // the COPY ended before its data did: its error, or a statement that read no more
      if (settled) throw new Error('COPY ended before all its rows were sent');
    },
    async close() {
      closed = true;
      nudge();
      await done;
    },
  };
}
