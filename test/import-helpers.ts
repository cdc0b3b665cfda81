// Helpers of the CSV importer tests: run an importer in its own transaction (as the import core does), run work in a
// transaction that is always rolled back (the shared demo store stays as it was), and digest tables.
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { ImportRejected, type Importer, type ImportOptions } from '../src/import/types.js';

export const input = (text: string, fileName = 'panel.csv') => ({ fileName, body: Buffer.from(text, 'utf8') });

/** Runs the importer in one transaction; returns its report, or the rejection (rolled back). */
export async function importCsv(db: Db, importer: Importer, text: string, opts: ImportOptions = {}) {
  try {
    return { report: await db.transaction((tx) => importer.run(tx, input(text), opts)), rejected: null };
  } catch (e) {
    if (e instanceof ImportRejected) return { report: null, rejected: e };
    throw e;
  }
}

class Rollback extends Error {}

/** Runs `fn` in a transaction that is rolled back afterwards; returns what `fn` returned. */
export async function rolledBack<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  let out: T;
  try {
    await db.transaction(async (tx) => { out = await fn(tx); throw new Rollback(); });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  return out!;
}

/** md5 of a table's rows in key order (any change to any row changes it). */
export async function digest(db: Db, table: 'city_year' | 'city_variable' | 'firm' | 'firm_year' | 'firm_kind'): Promise<string> {
  const [r] = await db.query<{ d: string; n: number }>(sql([`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS d, count(*)::int AS n FROM ${table} t`]));
  return `${r.n}:${r.d}`;
}

export async function digests(db: Db) {
  const out: Record<string, string> = {};
  for (const t of ['city_year', 'city_variable', 'firm', 'firm_year', 'firm_kind'] as const) out[t] = await digest(db, t);
  return out;
}
