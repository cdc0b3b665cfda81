// The fast reader of large CSV files: most lines of a machine-written file have no quotes, so they are found with
// indexOf('\n') and handed on as the raw line (no per-cell strings, no parser state). From the first line holding a
// quote or a bare carriage return on, the rest of the file goes through csv-parse (src/import/csv.ts), which then
// names lines and reports syntax errors exactly as the ordinary reader does. Any raw line a caller cannot take as it
// is goes through `cellsOf`, the same parser and options, so its values are those the ordinary reader would give.
import { parse as parseSync } from 'csv-parse/sync';
import { scanBytes, isBlock, type ByteBlock } from './csv-bytes.js';
import { checkEncoding, decodeText } from './encoding.js';
import { CSV_OPTIONS, csvRecords, CsvSyntaxError, openCsv, renamed, type CsvRecord } from './csv.js';
import { peek, sniffFormat } from './sniff.js';
import type { ImportInput, ImportOptions } from './types.js';

/** A one-line record without quotes, as it stands in the file (line ending removed). */
export interface RawLine { line: number; text: string }

export type ScannedRecord = RawLine | CsvRecord;

export const isRaw = (r: ScannedRecord): r is RawLine => (r as RawLine).text !== undefined;

export interface ScannedCsv {
  header: string[];
  records: AsyncIterable<ScannedRecord | ByteBlock>;
}

// encodings in which ASCII bytes are ASCII characters (and a non-ASCII character has no ASCII byte)
const ASCII_BASED = new Set(['utf8', 'gb18030', 'gbk', 'gb2312', 'cp936', 'big5', 'latin1', 'ascii']);

/** The cells of a raw line, read by csv-parse with the ordinary reader's options (trimmed as it trims). */
export function cellsOf(r: RawLine): CsvRecord | null {
  const rows = parseSync(r.text, CSV_OPTIONS) as string[][];
  return rows.length ? { line: r.line, values: rows[0] } : null;
}

/**
 * Opens `input` like openCsv (format, encoding, sheet and renames alike), but a CSV's unquoted lines come back raw.
 * An xlsx sheet comes back as openCsv reads it.
 */
export async function scanCsv(input: ImportInput, opts: Pick<ImportOptions, 'encoding' | 'sheet' | 'rename' | 'format'> = {}): Promise<ScannedCsv> {
  const { head, body } = await peek(input.body);
  const format = opts.format === 'xlsx' || opts.format === 'csv' ? opts.format : sniffFormat(input.fileName, head, 'csv');
  if (format !== 'csv') return openCsv({ ...input, body }, opts);
  if (opts.encoding) {
    try { checkEncoding(opts.encoding); } catch (e) { throw new CsvSyntaxError((e as Error).message, 0); }
  }
  const bytes: AsyncIterable<Buffer> = Buffer.isBuffer(body) ? (async function* () { yield body; })() : body;
  const text = (b: AsyncIterable<Buffer>, firstLine: number) => scanLines(decodeText(b, opts.encoding), firstLine);
  // bytes stay bytes while they are plain ASCII, which every encoding the byte scanner is used for reads alike
  const ascii = !opts.encoding || ASCII_BASED.has(checkEncoding(opts.encoding));
  const it: AsyncIterator<ScannedRecord | ByteBlock> = (ascii ? scanBytes(bytes, text) : text(bytes, 1))[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return { header: [], records: (async function* () {})() };
  if (isBlock(first.value)) throw new Error('the byte scanner yields the header first');
  const header = (isRaw(first.value) ? cellsOf(first.value)?.values : first.value.values) ?? [];
  return { header: renamed(header, opts.rename), records: { [Symbol.asyncIterator]: () => it } };
}

/** Records of decoded text whose first line is file line `firstLine`: raw lines while they are plain, csv-parse
 *  records from the first line that is not. */
async function* scanLines(text: AsyncIterable<string>, firstLine: number): AsyncGenerator<ScannedRecord> {
  const it = text[Symbol.asyncIterator]();
  let buf = '';
  let line = firstLine - 1;
  const handOver = async function* (rest: string) {
    yield rest;
    for (;;) { const r = await it.next(); if (r.done) return; yield r.value; }
  };
  let yielded = Math.max(1, firstLine - 1);
  for (;;) {
    let r: IteratorResult<string>;
    try {
      r = await it.next();
    } catch (e) {
      // as csv-parse reports a failing source (e.g. bytes that are not valid UTF-8): at the last record read
      throw new CsvSyntaxError(`CSV does not parse: ${(e as Error).message}`, yielded);
    }
    if (!r.done) buf += r.value;
    let start = 0;
    for (;;) {
      let nl = buf.indexOf('\n', start);
      if (nl < 0) {
        if (!r.done || start >= buf.length) break;
        nl = buf.length; // the last line, without a line end
      }
      const end = nl > start && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      const text = buf.slice(start, end);
      if (text.includes('"') || text.includes('\r')) {
        yield* csvRecords(handOver(buf.slice(start)), line + 1);
        return;
      }
      line++;
      // csv-parse skips empty lines too (skip_empty_lines), counting them
      if (text.length) { yielded = line; yield { line, text }; }
      start = nl + 1;
    }
    buf = buf.slice(start);
    if (r.done) return;
  }
}
