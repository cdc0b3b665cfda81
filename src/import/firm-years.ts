// Firm-year figures from CSV: firm id, year, revenue, employees, assets, leverage, R&D, patents (required), valuation
// and revenue growth (optional; missing = NULL), validated against the stored firms; upsert on (firm, year). The
// annual classification of the new and changed firm-years is recomputed. `replace`: the file's firms keep only the file's years.
// A large first load (no row of the file stored yet) goes straight into firm_year (src/import/firm-years-load.ts).
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import { bulkInsert } from './bulk.js';
import { classificationFresh, writeAndReclassify } from './classify.js';
import type { FieldSpec } from './csv.js';
import { loadFirmYearsStraight, straightRows } from './firm-years-load.js';
import { duplicateCheck, hasDuplicates, refusingRepeats, roomForSetQueries, stageCsv } from './wide.js';
import type { Importer, ImportInput, ImportOptions, Progress } from './types.js';

export function firmYearFields(yearField: string): FieldSpec[] {
  return [
    { name: 'firm_id', headers: ['firm_id', 'firmId', 'firm', 'id'], type: 'int', required: true, min: 1, max: 2_147_483_647 },
    { name: 'year', headers: [yearField], type: 'int', required: true, min: 1900, max: 2100 },
    { name: 'revenue', headers: ['revenue'], type: 'float', required: true },
    { name: 'employees', headers: ['employees'], type: 'int', required: true, min: 0, max: 2_147_483_647 },
    { name: 'assets', headers: ['assets'], type: 'float', required: true },
    { name: 'leverage', headers: ['leverage'], type: 'float', required: true },
    { name: 'rnd', headers: ['rnd', 'r_and_d'], type: 'float', required: true },
    { name: 'patents', headers: ['patents'], type: 'int', required: true, min: 0, max: 2_147_483_647 },
    { name: 'valuation_usd', headers: ['valuation_usd', 'valuationUsd', 'valuation'], type: 'float', min: 0 },
    { name: 'revenue_growth', headers: ['revenue_growth', 'revenueGrowth'], type: 'float' },
  ];
}

const VALUES = ['revenue', 'employees', 'assets', 'leverage', 'rnd', 'patents', 'valuation_usd', 'revenue_growth'];

async function run(tx: Db, input: ImportInput, opts: ImportOptions, progress?: Progress) {
  const fresh = await classificationFresh(tx);
  const yearField = opts.yearField ?? 'year';
  const fields = firmYearFields(yearField);
  // a first load needs no comparison with the store (src/import/firm-years-load.ts); when it gives up, the file is
  // read again and compared
  let gaveUp: string | undefined;
  const rows = await straightRows(tx, input, opts);
  if (rows !== null) {
    const r = await loadFirmYearsStraight(tx, input, opts, fields, rows, fresh, progress);
    if (!('gaveUp' in r)) return r;
    gaveUp = r.gaveUp;
    if (r.read) input = input.reread!();
  }
  await roomForSetQueries(tx);
  const s = await stageCsv(tx, input, opts, 'import_firm_year_stage', fields, progress);
  const S = s.stage.ref;
  const firmColumn = s.header.find((h) => fields[0].headers.includes(h))!;
  // the one comparison of the file with the store: per firm, its new and its changed rows (unchanged rows: neither)
  const stored = (p: string) => sql([VALUES.map((v) => `${p}.${v}`).join(', ')]);
  await tx.query(sql`DROP TABLE IF EXISTS import_firm_year_changed`);
  await tx.query(sql`
    CREATE TEMP TABLE import_firm_year_changed ON COMMIT DROP AS
    SELECT s.firm_id, count(*) FILTER (WHERE y.firm_id IS NULL)::int AS inserted, count(y.firm_id)::int AS updated
    FROM ${S} s LEFT JOIN firm_year y ON y.firm_id = s.firm_id AND y.year = s.year
    WHERE y.firm_id IS NULL OR (${stored('y')}) IS DISTINCT FROM (${stored('s')})
    GROUP BY s.firm_id`);
  // a firm that is not stored has no stored rows, so all its lines are new and it is among the firms above: the
  // file's lines are searched for unknown firms only when one of those is unknown
  const [u] = await tx.query<{ unknown: boolean }>(sql`
    SELECT EXISTS (SELECT 1 FROM import_firm_year_changed c WHERE NOT EXISTS (SELECT 1 FROM firm f WHERE f.id = c.firm_id)) AS unknown`);
  if (u.unknown) {
    await s.check((max) => sql`
      SELECT line, firm_id::text AS value, NULL AS extra, count(*) OVER ()::int AS total FROM ${S} s
      WHERE NOT EXISTS (SELECT 1 FROM firm f WHERE f.id = s.firm_id) ORDER BY line LIMIT ${max}::int`,
    (r) => ({ line: r.line, column: firmColumn, value: r.value, reason: `unknown firm ${r.value} (import it with the firms first)` }));
  }
  const replace = opts.replace === true;
  const [c] = await tx.query<{ inserted: number; updated: number; deleted: number; firms: number }>(sql`
    SELECT coalesce(sum(inserted), 0)::int AS inserted, coalesce(sum(updated), 0)::int AS updated, count(*)::int AS firms,
           (SELECT count(*) FROM firm_year y WHERE ${replace}::bool AND y.firm_id IN (SELECT firm_id FROM ${S})
              AND NOT EXISTS (SELECT 1 FROM ${S} s WHERE s.firm_id = y.firm_id AND s.year = y.year))::int AS deleted
    FROM import_firm_year_changed`);
  // every staged row new (a first import): no row of the stage is stored. A firm-year such a file repeats cannot
  // slip through, since the primary key refuses it at the insert (and the repeats are reported then), so the
  // separate search for repeats (a hash aggregate over the whole file) is left to the other imports and dry runs
  const allNew = c.inserted === s.rowsStaged;
  const repeats = duplicateCheck(S, ['firm_id', 'year'], `firm_id || ', ' || year`);
  const repeated = (r: { line: number; value: string; extra: string | null }) => ({ line: r.line, column: firmColumn, value: r.value, reason: `duplicate firm-year (${r.value}): also on line ${r.extra}` });
  if ((!allNew || opts.dryRun || s.problems.count) && await hasDuplicates(tx, S, ['firm_id', 'year'])) await s.check(repeats, repeated);
  if (s.problems.count) s.reject();

  const counts = { inserted: c.inserted, updated: c.updated, unchanged: s.rowsStaged - c.inserted - c.updated, deleted: c.deleted };
  const report = { rowsRead: s.rowsRead, counts, problems: [], problemCount: 0, warnings: [] as string[], derived: gaveUp ? [gaveUp] : [] };
  if (opts.dryRun || c.inserted + c.updated + c.deleted === 0) return report;

  if (replace && c.deleted) {
    await tx.query(sql`DELETE FROM firm_year y WHERE y.firm_id IN (SELECT firm_id FROM ${S})
      AND NOT EXISTS (SELECT 1 FROM ${S} s WHERE s.firm_id = y.firm_id AND s.year = y.year)`);
  }
  // changed rows first, then the new ones: so the update never meets the rows just inserted; unchanged rows are
  // not rewritten, and a statement runs only when it has rows to write
  const write = async () => {
    if (c.updated) {
      await tx.query(sql`
        UPDATE firm_year y SET ${sql([VALUES.map((v) => `${v} = s.${v}`).join(', ')])} FROM ${S} s
        WHERE y.firm_id = s.firm_id AND y.year = s.year AND (${stored('y')}) IS DISTINCT FROM (${stored('s')})`);
    }
    if (c.inserted) {
      // all new: no second join to find the new rows
      await refusingRepeats(tx, s, () => bulkInsert(tx, 'firm_year', c.inserted, () => tx.query(sql`
        INSERT INTO firm_year (firm_id, year, ${sql([VALUES.join(', ')])}) SELECT firm_id, year, ${sql([VALUES.join(', ')])} FROM ${S} s
        ${allNew ? sql`` : sql`WHERE NOT EXISTS (SELECT 1 FROM firm_year y WHERE y.firm_id = s.firm_id AND y.year = s.year)`}`)),
      repeats, repeated);
    }
  };
  // only new and changed firm-years can change kinds (deleted rows take theirs along by cascade)
  report.derived.push(await writeAndReclassify(tx, S, VALUES, fresh, write, { firmYears: c.inserted + c.updated, firms: c.firms, changed: c.updated > 0, allNew }));
  return report;
}

export const firmYearsImporter: Importer = { kind: 'firm-years', run, sameFileUnchanged: true };

/** Registered by the import core (src/import/registry.ts loads this module for its kind). */
export const importer = firmYearsImporter;
