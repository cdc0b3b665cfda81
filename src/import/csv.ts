// Shared streaming CSV reading for the CSV importers: csv-parse over the input's chunks (never the whole file in
// memory), one record at a time with its 1-based file line, header checks, missing values and number parsing, and a
// problem list that keeps the first `max` problems in full while counting all of them.
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { checkEncoding, decodeText, EncodingError, type Decoded } from './encoding.js';
import { peek, sniffFormat } from './sniff.js';
import type { ImportInput, ImportOptions, RowProblem } from './types.js';
import { openXlsx, XlsxError } from './xlsx.js';

export interface CsvRecord {
  /** 1-based file line where the record starts */
  line: number;
  values: string[];
}

export interface CsvStream {
  header: string[];
  /** records after the header; a malformed file (unclosed quote, ...) throws CsvSyntaxError naming the line */
  records: AsyncIterable<CsvRecord>;
  /** what was read: "xlsx sheet 'Panel'", "CSV, gb18030 (detected)" (set once the first records are read) */
  source?: { format: 'csv' | 'xlsx'; sheet?: string } & Partial<Decoded>;
}

export class CsvSyntaxError extends Error {
  constructor(message: string, readonly line: number) { super(message); }
}

/**
 * Opens a tabular input — CSV in any encoding (detected, or opts.encoding) or an xlsx sheet (opts.sheet), told apart
 * by name and bytes — and applies opts.rename to its header. Every CSV-shaped importer reads through here.
 */
export async function openCsv(input: ImportInput, opts: Pick<ImportOptions, 'encoding' | 'sheet' | 'rename' | 'format'> = {}): Promise<CsvStream> {
  const { head, body } = await peek(input.body);
  const format = opts.format === 'xlsx' || opts.format === 'csv' ? opts.format : sniffFormat(input.fileName, head, 'csv');
  let table: CsvStream;
  try {
    if (format === 'xlsx') {
      const x = await openXlsx(body, opts.sheet);
      table = { header: x.header, records: x.records, source: { format: 'xlsx', sheet: x.sheet } };
    } else if (format === 'csv') {
      if (opts.encoding) checkEncoding(opts.encoding);
      const source: CsvStream['source'] = { format: 'csv' };
      table = await openText(decodeText(Buffer.isBuffer(body) ? [body] : body, opts.encoding, source));
      table.source = source;
    } else {
      throw new CsvSyntaxError(`expected a CSV or xlsx file, got ${format} (${input.fileName})`, 0);
    }
  } catch (e) {
    if (e instanceof XlsxError || e instanceof EncodingError) throw new CsvSyntaxError(e.message, 0);
    throw e;
  }
  return { ...table, header: renamed(table.header, opts.rename) };
}

/** The header with `rename` applied; a rename of a column the file lacks, or onto a name already there, is an error. */
export function renamed(header: string[], rename: Record<string, string> | undefined): string[] {
  if (!rename || !Object.keys(rename).length) return header;
  for (const [from, to] of Object.entries(rename)) {
    if (!header.includes(from)) throw new CsvSyntaxError(`--rename ${from}=${to}: no column '${from}' (columns: ${header.join(', ')})`, 1);
    if (header.includes(to) && rename[to] === undefined) throw new CsvSyntaxError(`--rename ${from}=${to}: the file already has a column '${to}'`, 1);
  }
  return header.map((h) => rename[h] ?? h);
}

/** Parses decoded CSV text: reads the header row, then yields records lazily (back-pressure through the async iterator). */
async function openText(text: AsyncIterable<string>): Promise<CsvStream> {
  const it = csvRecords(text, 1)[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return { header: [], records: (async function* () {})() };
  return { header: first.value.values, records: { [Symbol.asyncIterator]: () => it } };
}

/** The csv-parse options every CSV reader here uses (one place, so a record reads the same whichever path read it). */
export const CSV_OPTIONS = { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true } as const;

/**
 * Every record of decoded CSV text (the header too) with the 1-based file line it starts on; `firstLine` is the file
 * line of the text's first line (the fast scanner hands the rest of a file over from a line with quotes).
 */
export async function* csvRecords(text: AsyncIterable<string>, firstLine: number): AsyncGenerator<CsvRecord> {
  const src = Readable.from(text);
  const parser = src.pipe(parse({ ...CSV_OPTIONS, info: true }));
  // pipe() does not pass a source error on (e.g. bytes that are not valid UTF-8): the parser must end with it
  src.on('error', (e) => parser.destroy(e));
  const it = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number; records: number } }>;
  const offset = firstLine - 1;
  let lastLine = 1;
  let crlfInQuotes = 0;
  for (;;) {
    let r: IteratorResult<{ record: string[]; info: { lines: number; records: number } }>;
    try {
      r = await it.next();
    } catch (e) {
      const err = e as Error & { lines?: number };
      throw new CsvSyntaxError(`CSV does not parse: ${err.message}`, (err.lines ?? lastLine) + offset);
    }
    if (r.done) return;
    // info.lines is the line the record ends on, except that csv-parse counts a CRLF inside quotes as two lines;
    // a record with quoted newlines starts earlier than it ends
    let newlines = 0;
    for (const v of r.value.record) {
      if (!/[\r\n]/.test(v)) continue;
      crlfInQuotes += v.match(/\r\n/g)?.length ?? 0;
      newlines += v.match(/\r\n|\r|\n/g)?.length ?? 0;
    }
    lastLine = r.value.info.lines - crlfInQuotes;
    yield { line: lastLine - newlines + offset, values: r.value.record };
  }
}

const MISSING = new Set(['', 'na', 'nan', '.', 'null', 'n/a']);

/** Empty, NA, NaN, `.` (and NULL, N/A) are missing values: stored as NULL, never 0. */
export const isMissing = (v: string | undefined) => v === undefined || MISSING.has(v.trim().toLowerCase());

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A finite number, null when missing, or undefined when the text is not a number. */
export function parseNumber(v: string | undefined): number | null | undefined {
  if (isMissing(v)) return null;
  const t = v!.trim().replace(/^\+/, '');
  if (!NUMBER.test(t)) return undefined;
  const x = Number(t);
  return Number.isFinite(x) ? x : undefined;
}

/** A year between 1900 and 2100, or undefined. */
export function parseYear(v: string | undefined): number | undefined {
  const x = parseNumber(v);
  return typeof x === 'number' && Number.isInteger(x) && x >= 1900 && x <= 2100 ? x : undefined;
}

const TRUE = new Set(['true', 't', '1', 'yes', 'y']);
const FALSE = new Set(['false', 'f', '0', 'no', 'n']);

/** true / false (also t/f, 1/0, yes/no), null when missing, undefined when neither. */
export function parseBool(v: string | undefined): boolean | null | undefined {
  if (isMissing(v)) return null;
  const t = v!.trim().toLowerCase();
  return TRUE.has(t) ? true : FALSE.has(t) ? false : undefined;
}

/** A calendar date YYYY-MM-DD (a bare year means 1 January), null when missing, undefined when invalid. */
export function parseDate(v: string | undefined): string | null | undefined {
  if (isMissing(v)) return null;
  const t = v!.trim();
  const m = /^(\d{4})(?:-(\d{2})-(\d{2}))?$/.exec(t);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2] ?? 1), Number(m[3] ?? 1)];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || y < 1800 || y > 2100) return undefined;
  return `${m[1]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Problems of one import: the first `max` in full, all counted. */
export class Problems {
  readonly list: RowProblem[] = [];
  count = 0;
  constructor(readonly max: number) {}
  add(p: RowProblem) {
    this.count++;
    if (this.list.length < this.max) this.list.push(p);
  }
  /** Adds problems found elsewhere (e.g. by a database check) whose total is known. */
  addFound(found: RowProblem[], total: number) {
    this.count += total;
    for (const p of found) if (this.list.length < this.max) this.list.push(p);
  }
  sorted(): RowProblem[] {
    return [...this.list].sort((a, b) => a.line - b.line);
  }
}

export { DEFAULT_MAX_PROBLEMS } from './types.js';

/** Index of each header name; problems for duplicate and empty header names (line 1). */
export function headerIndex(header: string[], problems: Problems): Map<string, number> {
  const m = new Map<string, number>();
  header.forEach((h, i) => {
    if (!h) problems.add({ line: 1, column: `#${i + 1}`, reason: 'empty column name' });
    else if (m.has(h)) problems.add({ line: 1, column: h, reason: `column '${h}' appears twice in the header` });
    else m.set(h, i);
  });
  return m;
}

/** Rows per batch written to the database (bounds memory whatever the file size). */
export const BATCH_ROWS = 5_000;

export type FieldType = 'int' | 'float' | 'text' | 'bool' | 'date';

/** A column of a fixed-layout CSV (firms, firm-years): its stored name, accepted header names, type and rules. */
export interface FieldSpec {
  name: string;
  headers: string[];
  type: FieldType;
  /** the column must be in the header and every row must have a value */
  required?: boolean;
  /** value when the column is absent or the cell is empty */
  default?: unknown;
  /** inclusive lower / upper bounds of numbers */
  min?: number;
  max?: number;
}

const TYPE_WORDS: Record<FieldType, string> = {
  int: 'an integer', float: 'a number', text: 'text', bool: 'true or false', date: 'a date YYYY-MM-DD',
};

/** Finds each field's column in the header (null when absent); problems for absent required columns. */
export function locateFields(header: string[], fields: FieldSpec[], problems: Problems): (number | null)[] {
  return fields.map((f) => {
    const i = header.findIndex((h) => f.headers.includes(h));
    if (i < 0 && f.required) problems.add({ line: 1, column: f.headers[0], reason: `no '${f.headers[0]}' column${f.headers.length > 1 ? ` (also accepted: ${f.headers.slice(1).join(', ')})` : ''}` });
    return i < 0 ? null : i;
  });
}

/** One record's values by field, or null when a cell is bad (each bad cell reported). */
export function readFields(rec: CsvRecord, header: string[], fields: FieldSpec[], at: (number | null)[], problems: Problems): unknown[] | null {
  let ok = true;
  const out = fields.map((f, j) => {
    const i = at[j];
    const raw = i === null ? undefined : rec.values[i];
    const bad = (reason: string) => { problems.add({ line: rec.line, column: header[i!], value: raw, reason }); ok = false; return null; };
    if (isMissing(raw)) return f.required ? bad(`missing ${f.name} (required)`) : f.default ?? null;
    let v: unknown;
    switch (f.type) {
      case 'text': v = raw!.trim(); break;
      case 'bool': v = parseBool(raw); break;
      case 'date': v = parseDate(raw); break;
      case 'int': { const x = parseNumber(raw); v = typeof x === 'number' && Number.isInteger(x) ? x : undefined; break; }
      case 'float': v = parseNumber(raw); break;
    }
    if (v === undefined) return bad(`not ${TYPE_WORDS[f.type]}`);
    if (typeof v === 'number' && ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)))
      return bad(`${f.name} must be ${f.min !== undefined ? `at least ${f.min}` : ''}${f.min !== undefined && f.max !== undefined ? ' and ' : ''}${f.max !== undefined ? `at most ${f.max}` : ''}`);
    return v;
  });
  return ok ? out : null;
}
