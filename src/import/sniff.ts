// Which reader a file needs: the extension when it names a format, else the bytes (the HTTP and GraphQL doors get
// bytes whose name may be made up). xlsx is a zip holding [Content_Types].xml and xl/; a GeoPackage is an SQLite file.
import type { ImportFormat, ImportInput } from './types.js';

const EXT: Record<string, ImportFormat> = {
  csv: 'csv', xlsx: 'xlsx', xlsm: 'xlsx', geojson: 'geojson', json: 'geojson',
  topojson: 'topojson', gpkg: 'gpkg', zip: 'zip', shp: 'shp',
};

export const extensionFormat = (fileName: string): ImportFormat | undefined => EXT[/\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? ''];

const SQLITE = Buffer.from('SQLite format 3\0', 'latin1');

/** True for a zip (PK\3\4) that is an Office Open XML workbook (its directory names [Content_Types].xml and xl/). */
export function isXlsx(bytes: Buffer): boolean {
  return bytes.length > 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4
    && bytes.includes('[Content_Types].xml', 0, 'latin1') && bytes.includes('xl/', 0, 'latin1');
}

export const isSqlite = (bytes: Buffer) => bytes.length >= 16 && bytes.subarray(0, 16).equals(SQLITE);

/**
 * The format of `head` (the first bytes, or all of them) named `fileName`: bytes that are plainly an xlsx or an
 * SQLite file win over the name (an upload named upload.csv may be a workbook); then the extension; then `fallback`.
 */
export function sniffFormat(fileName: string, head: Buffer, fallback: ImportFormat): ImportFormat {
  const byExt = extensionFormat(fileName);
  if (isSqlite(head)) return 'gpkg';
  // xlsx's [Content_Types].xml entry is usually the first local header; the check on the head suffices then
  if (head.length > 4 && head[0] === 0x50 && head[1] === 0x4b && (byExt === 'xlsx' || head.includes('[Content_Types].xml', 0, 'latin1'))) return 'xlsx';
  return byExt ?? fallback;
}

/** Reads at least `n` bytes (or all) off the front of a body and gives a body that still yields every byte. */
export async function peek(body: ImportInput['body'], n = 64 * 1024): Promise<{ head: Buffer; body: ImportInput['body'] }> {
  if (Buffer.isBuffer(body)) return { head: body.subarray(0, n), body };
  const it = body[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let size = 0;
  while (size < n) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    first.push(b);
    size += b.length;
  }
  const head = Buffer.concat(first);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    }
  }
  return { head: head.subarray(0, n), body: rest() };
}
