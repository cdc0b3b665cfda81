// Large inserts without PostgreSQL's per-row foreign-key checks: a foreign key is checked row by row (a lookup and a
// lock of the referenced row for each inserted row, several times the cost of writing the row). Dropping the table's
// foreign keys and adding them back after the insert checks them in one set query instead (the advice of the
// manual's "Populating a Database"). It runs inside the import's transaction, so the keys are back (or nothing
// happened) at commit; meanwhile other sessions wait for the table (ALTER TABLE locks it), so it is only worth it
// for an insert of many rows, large against the table (the re-check reads the whole table).
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';

/** New rows from which an insert goes without per-row key checks (and at least a tenth of the table's rows). */
export const BULK_INSERT_ROWS = 100_000;

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Runs `insert` (of `rows` new rows into `table`) with the table's foreign keys dropped and re-added when it pays. */
export async function bulkInsert<T>(tx: Db, table: string, rows: number, insert: () => Promise<T>, minRows = BULK_INSERT_ROWS): Promise<T> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`bad table name ${table}`);
  const [t] = await tx.query<{ rows: number }>(sql`SELECT greatest(reltuples, 0)::float8 AS rows FROM pg_class WHERE oid = ${table}::regclass`);
  if (rows < minRows || rows * 10 < (t?.rows ?? 0)) return insert();
  const keys = await tx.query<{ name: string; def: string }>(sql`
    SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE conrelid = ${table}::regclass AND contype = 'f' ORDER BY conname`);
  for (const k of keys) await tx.query(sql([`ALTER TABLE ${table} DROP CONSTRAINT ${quoted(k.name)}`]));
  const r = await insert();
  // the same definitions as before (read from the catalogue, not restated here); adding one checks every row
  for (const k of keys) await tx.query(sql([`ALTER TABLE ${table} ADD CONSTRAINT ${quoted(k.name)} ${k.def}`]));
  // the table grew by a tenth or more: the statements after the insert (reclassification) are planned on its new
  // size, not on statistics that still show the old one (a sample, cheap against the insert)
  await tx.query(sql([`ANALYZE ${table}`]));
  return r;
}
