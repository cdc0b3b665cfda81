// The same file again: an import whose result depends only on the file, its options and tables whose every write
// moves the data version (Importer.sameFileUnchanged) finds every row unchanged when an earlier import of the same
// bytes (SHA-256) with the same options succeeded and the data version is still the one that import left — nothing
// was written since, by anyone (triggers move it on every statement that writes those tables). Such an import is
// answered from that import's record instead of reading a million rows into the database to compare them.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import type { ImporterResult, ImportInput, ImportKind, ImportOptions, RowProblem } from './types.js';

/** SHA-256 (hex) of the input's bytes, to look an earlier import up: when the door gave them whole, or a regular file
 *  on disk (read once more for this; a pipe or FIFO can be read only once, so it has none); null otherwise. */
export async function inputDigest(input: ImportInput): Promise<string | null> {
  if (Buffer.isBuffer(input.body)) return createHash('sha256').update(input.body).digest('hex');
  if (!input.path || !(await stat(input.path).catch(() => null))?.isFile()) return null;
  const h = createHash('sha256');
  for await (const chunk of createReadStream(input.path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The input with its bytes hashed as the importer reads them, and their digest once all were read (null before,
 *  or when the importer stopped early). This is the digest recorded: that of the bytes imported, even if the file
 *  changed after inputDigest read it. `known`: inputDigest's answer, reused for bytes given whole. Where the bytes can
 *  be read again (given whole, or a regular file), the input has `reread` and `size`, and the digest is that of the
 *  last read that reached the end. */
export function digesting(input: ImportInput, known: string | null): { input: ImportInput; digest: () => string | null } {
  const body = input.body;
  if (Buffer.isBuffer(body)) {
    // bytes given whole are the bytes read: inputDigest hashed these already
    let d = known;
    const whole: ImportInput = { ...input, size: body.length, reread: () => whole };
    return { input: whole, digest: () => (d ??= createHash('sha256').update(body).digest('hex')) };
  }
  const file = input.path ? statSync(input.path, { throwIfNoEntry: false }) : undefined;
  let last: string | null = null;
  const pass = (bytes: AsyncIterable<Buffer>): ImportInput => {
    const h = createHash('sha256');
    const hashed = (async function* () {
      for await (const chunk of bytes) { h.update(chunk); yield chunk; }
      last = h.digest('hex');
    })();
    const again = file?.isFile() ? { reread: () => pass(createReadStream(input.path!, { highWaterMark: 1 << 20 })), size: file.size } : {};
    return { ...input, body: hashed, ...again };
  };
  return { input: pass(body), digest: () => last };
}

/** Whether an import of `kind` with these options may find its file unchanged at all: an earlier one succeeded and
 *  nothing was written since. When not, the input is not read a first time only to take its digest. */
export async function sameFileCandidate(db: Db, kind: ImportKind, opts: ImportOptions): Promise<boolean> {
  const [r] = await db.query<{ some: boolean }>(sql`
    SELECT EXISTS (SELECT 1 FROM import_log l WHERE l.kind = ${kind} AND l.digest IS NOT NULL AND l.status = 'ok'
      AND l.options = ${JSON.stringify(loggedOptions(opts))}::jsonb
      AND l.data_version = (SELECT value::bigint FROM dataset_meta WHERE key = 'data_version')) AS some`);
  return r.some;
}

/** The options as import_log records them (the problem-list length is how much is shown, not what is done). */
export function loggedOptions(opts: ImportOptions): Omit<ImportOptions, 'maxProblems'> {
  const { maxProblems: _m, ...options } = opts;
  return options;
}

/** The result of importing `digest` again, or null when this import has to run: no earlier successful import of
 *  the same bytes and options, or anything written since it. */
export async function sameFileResult(db: Db, kind: ImportKind, digest: string, opts: ImportOptions): Promise<ImporterResult | null> {
  const [r] = await db.query<{
    id: string; rows_read: number; rows: number; skipped: number; skipped_rows: unknown; matched: unknown; warnings: unknown;
  }>(sql`
    SELECT l.id::text AS id, l.rows_read, (l.inserted + l.updated + l.unchanged)::int AS rows, l.skipped, l.skipped_rows,
           l.matched, l.warnings
    FROM import_log l
    WHERE l.kind = ${kind} AND l.digest = ${digest} AND l.status = 'ok' AND l.options = ${JSON.stringify(loggedOptions(opts))}::jsonb
      AND l.data_version = (SELECT value::bigint FROM dataset_meta WHERE key = 'data_version')
    ORDER BY l.id DESC LIMIT 1`);
  if (!r) return null;
  const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
  return {
    rowsRead: Number(r.rows_read),
    counts: { inserted: 0, updated: 0, unchanged: Number(r.rows), deleted: 0 },
    problems: [], problemCount: 0, warnings: json<string[]>(r.warnings),
    skipped: Number(r.skipped), skippedRows: json<RowProblem[]>(r.skipped_rows), matched: json(r.matched),
    derived: [`unchanged: the same file (sha256 ${digest.slice(0, 12)}…) and options as import ${r.id}, and nothing written since; not read in again`],
  };
}
