// Fixed-layout CSV files (firms, firm-years): stream the records, check each cell against its FieldSpec, stage the
// good rows (with their file line) in a temporary table; the importer then runs its set-based checks and upserts.
// Large files take the fast path: a plain line whose cells already read as their values (src/import/copy-text.ts) is
// staged as it stands through COPY; every other line gets the precise per-cell check, so problems read the same.
import type { Db } from '../db/db.js';
import { sql, type SqlFragment } from '../db/sql.js';
import { BATCH_ROWS, CsvSyntaxError, DEFAULT_MAX_PROBLEMS, headerIndex, locateFields, Problems, readFields, type CsvRecord, type FieldSpec } from './csv.js';
import { blockLines, isBlock } from './csv-bytes.js';
import { cellsOf, isRaw, scanCsv, type RawLine } from './csv-scan.js';
import { csvField } from '../db/copy-csv.js';
import { CopyText, plainBytes, plainCell, stageBlock } from './copy-text.js';
import { createStageTable, type StageType } from './stage.js';
import { ImportRejected, type ImportInput, type ImportOptions, type Progress, type RowProblem } from './types.js';

const STAGE_TYPE: Record<FieldSpec['type'], StageType> = { int: 'int', float: 'float8', text: 'text', bool: 'bool', date: 'date' };

export interface Staged {
  /** the staging table (a temp table: line + one column per field), dropped at commit or rollback */
  stage: { table: string; ref: SqlFragment };
  rowsRead: number;
  /** rows in the staging table (rows read less those with a problem) */
  rowsStaged: number;
  problems: Problems;
  header: string[];
  /** fields whose column is in the file */
  present: Set<string>;
  reject(): never;
  /** Runs a check query returning (line, code, value, total) rows and records them as problems. */
  check(q: (max: number) => SqlFragment, problem: (r: { line: number; value: string; extra: string | null }) => RowProblem): Promise<void>;
}

/** Streams `input` into a temp table `table` (line int + one column per field); header and cell problems collected.
 *  `straight`: `table` is instead a table of the store, written as it stands (no line column). */
export async function stageCsv(tx: Db, input: ImportInput, opts: ImportOptions, table: string, fields: FieldSpec[], progress?: Progress,
  rowCheck?: (v: unknown[], line: number, problems: Problems) => boolean, straight = false): Promise<Staged> {
  const problems = new Problems(opts.maxProblems ?? DEFAULT_MAX_PROBLEMS);
  let rowsRead = 0;
  const reject = (): never => { throw new ImportRejected(problems.sorted(), problems.count, rowsRead); };
  let header: string[] = [];
  let copy: CopyText | undefined;
  try {
    const csv = await scanCsv(input, opts);
    header = csv.header;
    if (!header.length) { problems.add({ line: 1, reason: 'empty file: expected a header row' }); reject(); }
    headerIndex(header, problems);
    const at = locateFields(header, fields, problems);
    if (problems.count) reject();
    // staged columns: line, the fields in the file's column order, then absent fields with a default
    const order = [
      ...header.map((_, i) => at.indexOf(i)).filter((j) => j >= 0),
      ...fields.map((f, j) => j).filter((j) => at[j] === null && fields[j].default !== undefined),
    ];
    if (!straight) await createStageTable(tx, table, [{ name: 'line', type: 'int' }, ...fields.map((f) => ({ name: f.name, type: STAGE_TYPE[f.type] }))]);
    const names = order.map((j) => fields[j].name);
    copy = straight ? CopyText.for(tx, table, names, false) : CopyText.for(tx, table, ['line', ...names]);
    // a raw line goes in as it stands when each file column is a field in `order` and each cell is plain
    const rawOk = !rowCheck && order.length === header.length;
    // per file column, the check of its field (only used when every column is a field)
    const plain = rawOk ? header.map((_, i) => plainCell(fields[at.indexOf(i)])) : [];
    const width = header.length;
    let reported = 0;
    const precise = async (rec: CsvRecord) => {
      if (rec.values.length !== width) {
        problems.add({ line: rec.line, reason: `${rec.values.length} fields where the header has ${width}` });
        return;
      }
      const v = readFields(rec, header, fields, at, problems);
      if (v && (!rowCheck || rowCheck(v, rec.line, problems))) copy!.add(rec.line, order.map((j) => csvField(v[j])).join(','));
    };
    const bytes = rawOk ? header.map((_, i) => plainBytes(fields[at.indexOf(i)])) : [];
    const raw = async (rec: RawLine) => {
      let ok = rawOk;
      if (ok) {
        const cells = rec.text.split(',');
        ok = cells.length === width;
        for (let i = 0; ok && i < width; i++) ok = plain[i](cells[i]);
      }
      if (ok) { rowsRead++; copy!.add(rec.line, rec.text); return; }
      const r = cellsOf(rec);
      if (!r) return; // a line csv-parse skips (blank once trimmed)
      rowsRead++;
      await precise(r);
    };
    for await (const rec of csv.records) {
      if (isBlock(rec)) {
        const others: RawLine[] = [];
        rowsRead += rawOk ? stageBlock(rec.bytes, rec.firstLine, bytes, copy, others) : 0;
        if (!rawOk) others.push(...blockLines(rec));
        for (const o of others) await raw(o);
      } else if (isRaw(rec)) await raw(rec);
      else { rowsRead++; await precise(rec); }
      if (copy.full) await copy.flush();
      if (rowsRead - reported >= BATCH_ROWS) { reported = rowsRead; progress?.(rowsRead); }
    }
    await copy.end();
    progress?.(rowsRead);
    if (!rowsRead) { problems.add({ line: 2, reason: 'no data rows' }); reject(); }
    const present = new Set(fields.filter((_, j) => at[j] !== null).map((f) => f.name));
    return {
      stage: { table, ref: sql([table]) }, rowsRead, rowsStaged: copy.rows, problems, header, present, reject,
      async check(q, problem) {
        const rows = await tx.query<{ line: number; value: string; extra: string | null; total: number }>(q(problems.max));
        problems.addFound(rows.map(problem), rows[0]?.total ?? 0);
      },
    };
  } catch (e) {
    // a batch still being written must be done before the transaction rolls back
    await copy?.end().catch(() => undefined);
    if (e instanceof CsvSyntaxError) { problems.add({ line: e.line, reason: e.message }); reject(); }
    throw e;
  }
}

/** Lines whose `key` columns repeat an earlier line's (every repeat after the first), as check() rows. */
export function duplicateCheck(S: SqlFragment, key: string[], valueExpr: string) {
  const k = key.join(', ');
  return (max: number) => sql`
    SELECT line, value, first::text AS extra, count(*) OVER ()::int AS total FROM (
      SELECT line, ${sql([valueExpr])}::text AS value, min(line) OVER (PARTITION BY ${sql([k])}) AS first FROM ${S}) d
    WHERE line > first ORDER BY line LIMIT ${max}::int`;
}

/** Whether any `key` repeats in the staged rows: one hash aggregate, so that the line-by-line report (a sort of the
 *  whole stage, duplicateCheck) runs only for a file that has repeats. */
export async function hasDuplicates(tx: Db, S: SqlFragment, key: string[]): Promise<boolean> {
  const [r] = await tx.query<{ dup: boolean }>(sql`
    SELECT EXISTS (SELECT 1 FROM ${S} GROUP BY ${sql([key.join(', ')])} HAVING count(*) > 1) AS dup`);
  return r.dup;
}

/** Runs `write` (an insert the stage's key repeats would break) in a savepoint: when a unique key refuses a row
 *  (23505), the write is rolled back and the file's repeats are looked up and reported (the import is rejected). */
export async function refusingRepeats<T>(tx: Db, staged: Staged, write: () => Promise<T>, repeats: (max: number) => SqlFragment,
  problem: (r: { line: number; value: string; extra: string | null }) => RowProblem): Promise<T> {
  await tx.query(sql`SAVEPOINT import_write`);
  try {
    const r = await write();
    await tx.query(sql`RELEASE SAVEPOINT import_write`);
    return r;
  } catch (e) {
    if ((e as { code?: string }).code !== '23505') throw e;
    await tx.query(sql`ROLLBACK TO SAVEPOINT import_write`);
    await staged.check(repeats, problem);
    if (staged.problems.count) staged.reject();
    throw e; // a key the stage does not repeat: not the file's doing
  }
}

/**
 * Memory for the import's set queries (hash joins and aggregates over the whole file) for this transaction only:
 * with the default 4 MB a join of a million staged rows with the stored ones spills to disk batch by batch. The
 * embedded database keeps its default (it runs inside this process, whose memory the import bounds).
 */
export async function roomForSetQueries(tx: Db): Promise<void> {
  if (tx.kind === 'postgres') await tx.query(sql`SET LOCAL work_mem = '256MB'`);
}
