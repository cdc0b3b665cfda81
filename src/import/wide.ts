// Fixed-layout CSV files (firms, firm-years): stream the records, check each cell against its FieldSpec, stage the
// good rows (with their file line) in a temporary table; the importer then runs its set-based checks and upserts.
import type { Db } from '../db/db.js';
import { sql, type SqlFragment } from '../db/sql.js';
import { BATCH_ROWS, CsvSyntaxError, DEFAULT_MAX_PROBLEMS, headerIndex, locateFields, openCsv, Problems, readFields, type FieldSpec } from './csv.js';
import { Stage, type StageType } from './stage.js';
import { ImportRejected, type ImportInput, type ImportOptions, type Progress, type RowProblem } from './types.js';

// rows per staging batch: fewer round trips (COPY on PostgreSQL, unnest INSERT embedded) at bounded memory
const STAGE_ROWS = 20_000;

const STAGE_TYPE: Record<FieldSpec['type'], StageType> = { int: 'int', float: 'float8', text: 'text', bool: 'bool', date: 'date' };

export interface Staged {
  stage: Stage;
  rowsRead: number;
  problems: Problems;
  header: string[];
  /** fields whose column is in the file */
  present: Set<string>;
  reject(): never;
  /** Runs a check query returning (line, code, value, total) rows and records them as problems. */
  check(q: (max: number) => SqlFragment, problem: (r: { line: number; value: string; extra: string | null }) => RowProblem): Promise<void>;
}

/** Streams `input` into a temp table `table` (line int + one column per field); header and cell problems collected. */
export async function stageCsv(tx: Db, input: ImportInput, opts: ImportOptions, table: string, fields: FieldSpec[], progress?: Progress, rowCheck?: (v: unknown[], line: number, problems: Problems) => boolean): Promise<Staged> {
  const problems = new Problems(opts.maxProblems ?? DEFAULT_MAX_PROBLEMS);
  let rowsRead = 0;
  const reject = (): never => { throw new ImportRejected(problems.sorted(), problems.count, rowsRead); };
  const stage = new Stage(tx, table, [{ name: 'line', type: 'int' }, ...fields.map((f) => ({ name: f.name, type: STAGE_TYPE[f.type] }))], STAGE_ROWS);
  let header: string[] = [];
  try {
    const csv = await openCsv(input, opts);
    header = csv.header;
    if (!header.length) { problems.add({ line: 1, reason: 'empty file: expected a header row' }); reject(); }
    headerIndex(header, problems);
    const at = locateFields(header, fields, problems);
    if (problems.count) reject();
    await stage.create();
    for await (const rec of csv.records) {
      rowsRead++;
      if (rec.values.length !== header.length) {
        problems.add({ line: rec.line, reason: `${rec.values.length} fields where the header has ${header.length}` });
        continue;
      }
      const v = readFields(rec, header, fields, at, problems);
      if (v && (!rowCheck || rowCheck(v, rec.line, problems))) await stage.add([rec.line, ...v]);
      if (rowsRead % BATCH_ROWS === 0) progress?.(rowsRead);
    }
    await stage.flush();
    progress?.(rowsRead);
    if (!rowsRead) { problems.add({ line: 2, reason: 'no data rows' }); reject(); }
    const present = new Set(fields.filter((_, j) => at[j] !== null).map((f) => f.name));
    return {
      stage, rowsRead, problems, header, present, reject,
      async check(q, problem) {
        const rows = await tx.query<{ line: number; value: string; extra: string | null; total: number }>(q(problems.max));
        problems.addFound(rows.map(problem), rows[0]?.total ?? 0);
      },
    };
  } catch (e) {
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
