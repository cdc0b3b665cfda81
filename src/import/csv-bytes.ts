// The fastest reading of a large CSV file: while its lines are plain ASCII (no quote, no bare carriage return, no
// byte of a multi-byte character) they stay bytes, in blocks of whole lines, never decoded nor split into strings;
// ASCII reads the same in UTF-8 and GB18030. From the first line that is not plain (or a file that starts with a
// byte-order mark) the rest of the bytes is decoded as the ordinary reader decodes a file (src/import/encoding.ts)
// and read by the text scanner (src/import/csv-scan.ts), numbered on from that line.
import type { RawLine, ScannedRecord } from './csv-scan.js';

/** Whole plain lines, as bytes, each ending with '\n' (a CRLF's '\r' still in); the first is file line `firstLine`. */
export interface ByteBlock { firstLine: number; bytes: Buffer }

export const isBlock = (r: ByteBlock | ScannedRecord): r is ByteBlock => (r as ByteBlock).bytes !== undefined;

const NL = 10, CR = 13, QUOTE = 34;

/** Offset of the first byte that makes its line not plain, or -1. */
function firstNotPlain(b: Buffer): number {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c >= 0x80 || c === QUOTE || (c === CR && b[i + 1] !== NL)) return i;
  }
  return -1;
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NL); i >= 0; i = b.indexOf(NL, i + 1)) n++;
  return n;
}

/**
 * The header line (line 1, as a raw line), then blocks of plain lines, then — from the first line that is not plain —
 * what `rest(text bytes, its first file line)` makes of the remaining bytes.
 */
export async function* scanBytes(body: AsyncIterable<Buffer>, rest: (bytes: AsyncIterable<Buffer>, firstLine: number) => AsyncIterable<ScannedRecord>): AsyncGenerator<ByteBlock | ScannedRecord> {
  const it = body[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  let line = 0; // lines yielded so far
  const handOver = (from: Buffer) => rest((async function* () {
    yield from;
    for (;;) { const r = await it.next(); if (r.done) return; yield r.value; }
  })(), line + 1);
  for (let first = true; ; first = false) {
    const r = await it.next();
    const data = r.done ? (pending.length && pending[pending.length - 1] !== NL ? Buffer.concat([pending, Buffer.from('\n')]) : pending)
      : pending.length ? Buffer.concat([pending, r.value]) : r.value;
    // a byte-order mark (UTF-8, UTF-16): the ordinary decoder reads the whole file
    if (first && data.length >= 2 && (data[0] === 0xef || data[0] === 0xff || data[0] === 0xfe)) { yield* handOver(data); return; }
    const end = r.done ? data.length : data.lastIndexOf(NL) + 1;
    let block = data.subarray(0, end);
    pending = data.subarray(end);
    const bad = firstNotPlain(block);
    let stop: Buffer | null = null;
    if (bad >= 0) {
      const from = block.lastIndexOf(NL, bad) + 1;
      stop = Buffer.concat([data.subarray(from)]); // a copy: `data` may be a chunk the reader reuses
      block = block.subarray(0, from);
    }
    if (line === 0 && block.length && !block.toString('latin1', 0, block.indexOf(NL)).trim()) {
      // a blank first line: csv-parse skips it and reads the header below; the ordinary reader does it all
      yield* handOver(Buffer.concat([data])); return;
    }
    if (line === 0 && block.length) {
      // the header as a raw line (the caller parses it with csv-parse, as the ordinary reader does)
      const nl = block.indexOf(NL);
      const text = block.toString('latin1', 0, nl > 0 && block[nl - 1] === CR ? nl - 1 : nl);
      line = 1;
      block = block.subarray(nl + 1);
      const header: RawLine = { line: 1, text };
      yield header;
    }
    if (block.length) {
      yield { firstLine: line + 1, bytes: block };
      line += countLines(block);
    }
    if (stop) { yield* handOver(stop); return; }
    if (r.done) return;
  }
}

/** The non-blank lines of a block as raw lines (for a caller that stages nothing as it stands). */
export function blockLines(block: ByteBlock): RawLine[] {
  const out: RawLine[] = [];
  let line = block.firstLine, pos = 0;
  const b = block.bytes;
  while (pos < b.length) {
    const nl = b.indexOf(NL, pos);
    const end = nl > pos && b[nl - 1] === CR ? nl - 1 : nl;
    if (end > pos) out.push({ line, text: b.toString('latin1', pos, end) });
    line++;
    pos = nl + 1;
  }
  return out;
}
