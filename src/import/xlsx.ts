// Excel workbooks (.xlsx) as the same records the CSV reader yields: exceljs's streaming reader (rows parsed as the
// zip is read; worksheets that come before the shared strings are parked in temporary files by exceljs), one sheet
// (--sheet NAME or 1-based number in tab order; default the first), the first non-empty row as the header.
// Cells become the text a CSV export would hold: numbers in full precision, dates as YYYY-MM-DD (or ISO time),
// formulas as their cached result, rich text as its plain text, #N/A and empty cells as missing.
import { Readable } from 'node:stream';
import type { CsvRecord, CsvStream } from './csv.js';
import type { ImportInput } from './types.js';

export class XlsxError extends Error {}

/** The text of one cell value as the CSV path would see it. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return '';
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  const o = v as { result?: unknown; formula?: string; sharedFormula?: string; richText?: { text: string }[]; text?: unknown; error?: string; hyperlink?: string };
  if (Array.isArray(o.richText)) return o.richText.map((r) => r.text).join('');
  if (o.formula !== undefined || o.sharedFormula !== undefined || 'result' in o) return o.result === undefined ? '' : cellText(o.result);
  if (o.error !== undefined) return o.error === '#N/A' ? 'NA' : o.error;
  if (o.text !== undefined) return cellText(o.text);
  return String(v);
}

interface SheetReader extends AsyncIterable<{ number: number; values: unknown[] | Record<string, unknown> }> { id: string | number; name?: string }

interface WorkbookReaderInternals { model?: { sheets?: { name: string; rId: string }[] }; workbookRels?: { Id: string; Target: string }[] }

/** Tab position (0-based) and name of a worksheet when the workbook part has been read, else by its part number. */
function sheetIdentity(reader: WorkbookReaderInternals, ws: SheetReader): { index: number; name: string } {
  const rel = reader.workbookRels?.find((r) => r.Target === `worksheets/sheet${ws.id}.xml` || r.Target === `/xl/worksheets/sheet${ws.id}.xml`);
  const sheets = reader.model?.sheets ?? [];
  const i = rel ? sheets.findIndex((s) => s.rId === rel.Id) : -1;
  return i >= 0 ? { index: i, name: sheets[i].name } : { index: Number(ws.id) - 1, name: ws.name ?? `sheet${ws.id}` };
}

/** Opens one sheet of a workbook as a CSV-like stream (header + records with their 1-based row numbers). */
export async function openXlsx(body: ImportInput['body'], sheet?: string): Promise<CsvStream & { sheet: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openSheet(body, sheet);
    } catch (e) {
      // exceljs's streaming reader now and then loses the workbook part of a well-formed file under load (its model
      // stays undefined and the worksheets read after the zip then throw "reading 'sheets'"; seen in CI, not on a
      // quiet machine): bytes given whole are read again, twice at most
      if (!(Buffer.isBuffer(body) && attempt < 3 && e instanceof XlsxError && /reading 'sheets'/.test(e.message))) throw e;
    }
  }
}

async function openSheet(body: ImportInput['body'], sheet?: string): Promise<CsvStream & { sheet: string }> {
  const stream = Buffer.isBuffer(body) ? Readable.from([body]) : Readable.from(body);
  // loaded here, not at the top: exceljs takes half a second to load and CSV imports never need it
  const { default: ExcelJS } = await import('exceljs');
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, {
    sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore',
  });
  const wanted = sheet === undefined || sheet === '' ? 0 : /^\d+$/.test(sheet) ? Number(sheet) - 1 : sheet;
  const seen: string[] = [];
  const it = (reader as unknown as AsyncIterable<SheetReader>)[Symbol.asyncIterator]();
  let ws: SheetReader | undefined;
  let name = '';
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      const id = sheetIdentity(reader as unknown as WorkbookReaderInternals, r.value);
      seen.push(id.name);
      if (typeof wanted === 'number' ? id.index === wanted : id.name === wanted) { ws = r.value; name = id.name; break; }
      // a sheet not asked for is read to its end before the next is asked for: when exceljs had to park it in a
      // temporary file (a sheet stored before the shared strings), asking for the next one deletes that file while
      // its read stream may still be opening it, an ENOENT thrown outside any caller
      for await (const _row of r.value) { /* skipped */ }
    }
  } catch (e) {
    throw new XlsxError(`not a readable xlsx workbook: ${(e as Error).message}`);
  }
  if (!ws) {
    const total = (reader as unknown as WorkbookReaderInternals).model?.sheets?.map((s) => s.name) ?? seen;
    throw new XlsxError(`no sheet ${typeof wanted === 'number' ? `number ${wanted + 1}` : `'${wanted}'`} in the workbook (sheets: ${total.join(', ') || 'none'})`);
  }
  const rows = ws[Symbol.asyncIterator]();
  const toValues = (v: unknown[] | Record<string, unknown>): string[] => {
    // row.values is 1-based (index 0 unused) and sparse
    const arr = Array.isArray(v) ? v : Object.assign([], v);
    const out: string[] = [];
    for (let i = 1; i < arr.length; i++) out.push(cellText(arr[i]).trim());
    return out;
  };
  let header: string[] = [];
  for (;;) {
    const r = await rows.next();
    if (r.done) break;
    const vals = toValues(r.value.values);
    if (vals.some((x) => x !== '')) { header = vals; break; }
  }
  while (header.length && header[header.length - 1] === '') header.pop();
  const width = header.length;
  async function* records(): AsyncGenerator<CsvRecord> {
    for (;;) {
      const r = await rows.next();
      if (r.done) break;
      const vals = toValues(r.value.values);
      if (!vals.some((x) => x !== '')) continue; // empty rows, as the CSV reader skips empty lines
      // cells beyond the header that are empty are formatting leftovers, not data
      while (vals.length > width && vals[vals.length - 1] === '') vals.pop();
      while (vals.length < width) vals.push('');
      yield { line: r.value.number, values: vals };
    }
    // read the rest of the zip so exceljs closes its streams and temporary files
    for (;;) { const r = await it.next(); if (r.done) break; }
  }
  return { header, records: records(), sheet: name };
}
