// Firm-year figures from CSV: firm id, year, revenue, employees, assets, leverage, R&D, patents (required), valuation
// and revenue growth (optional; missing = NULL), validated against the stored firms; upsert on (firm, year). The
// annual classification of the affected firms is recomputed. `replace`: the file's firms keep only the file's years.
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import { classificationFresh, reclassifyFirms } from './classify.js';
import type { FieldSpec } from './csv.js';
import { duplicateCheck, stageCsv } from './wide.js';
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
  const s = await stageCsv(tx, input, opts, 'import_firm_year_stage', fields, progress);
  const S = s.stage.ref;
  await tx.query(sql`CREATE INDEX ON ${S} (firm_id, year)`);
  await tx.query(sql`ANALYZE ${S}`);
  const firmColumn = s.header.find((h) => fields[0].headers.includes(h))!;
  await s.check((max) => sql`
    SELECT line, firm_id::text AS value, NULL AS extra, count(*) OVER ()::int AS total FROM ${S} s
    WHERE NOT EXISTS (SELECT 1 FROM firm f WHERE f.id = s.firm_id) ORDER BY line LIMIT ${max}::int`,
  (r) => ({ line: r.line, column: firmColumn, value: r.value, reason: `unknown firm ${r.value} (import it with the firms first)` }));
  await s.check(duplicateCheck(S, ['firm_id', 'year'], `firm_id || ', ' || year`), (r) => ({ line: r.line, column: firmColumn, value: r.value, reason: `duplicate firm-year (${r.value}): also on line ${r.extra}` }));
  if (s.problems.count) s.reject();

  const cols = VALUES.join(', ');
  const replace = opts.replace === true;
  const [c] = await tx.query<{ inserted: number; updated: number; unchanged: number; deleted: number }>(sql`
    WITH k AS (SELECT y.firm_id IS NULL AS new,
                 (${sql([VALUES.map((v) => `y.${v}`).join(', ')])}) IS DISTINCT FROM (${sql([VALUES.map((v) => `s.${v}`).join(', ')])}) AS changed
               FROM ${S} s LEFT JOIN firm_year y ON y.firm_id = s.firm_id AND y.year = s.year)
    SELECT count(*) FILTER (WHERE new)::int AS inserted, count(*) FILTER (WHERE NOT new AND changed)::int AS updated,
           count(*) FILTER (WHERE NOT new AND NOT changed)::int AS unchanged,
           (SELECT count(*) FROM firm_year y WHERE ${replace}::bool AND y.firm_id IN (SELECT firm_id FROM ${S})
              AND NOT EXISTS (SELECT 1 FROM ${S} s WHERE s.firm_id = y.firm_id AND s.year = y.year))::int AS deleted
    FROM k`);
  const counts = { inserted: c.inserted, updated: c.updated, unchanged: c.unchanged, deleted: c.deleted };
  const report = { rowsRead: s.rowsRead, counts, problems: [], problemCount: 0, warnings: [] as string[], derived: [] as string[] };
  if (opts.dryRun || c.inserted + c.updated + c.deleted === 0) return report;

  // the firms with a new or changed row: the only ones whose kinds can move (deleted rows take theirs along by cascade)
  const changed = sql`SELECT DISTINCT s.firm_id FROM ${S} s LEFT JOIN firm_year y ON y.firm_id = s.firm_id AND y.year = s.year
    WHERE y.firm_id IS NULL OR (${sql([VALUES.map((v) => `y.${v}`).join(', ')])}) IS DISTINCT FROM (${sql([VALUES.map((v) => `s.${v}`).join(', ')])})`;
  await tx.query(sql`DROP TABLE IF EXISTS import_firm_year_changed`);
  await tx.query(sql`CREATE TEMP TABLE import_firm_year_changed ON COMMIT DROP AS ${changed}`);
  if (replace && c.deleted) {
    await tx.query(sql`DELETE FROM firm_year y WHERE y.firm_id IN (SELECT firm_id FROM ${S})
      AND NOT EXISTS (SELECT 1 FROM ${S} s WHERE s.firm_id = y.firm_id AND s.year = y.year)`);
  }
  await tx.query(sql`
    INSERT INTO firm_year (firm_id, year, ${sql([cols])}) SELECT firm_id, year, ${sql([cols])} FROM ${S}
    ON CONFLICT (firm_id, year) DO UPDATE SET ${sql([VALUES.map((v) => `${v} = EXCLUDED.${v}`).join(', ')])}
    WHERE (${sql([VALUES.map((v) => `firm_year.${v}`).join(', ')])}) IS DISTINCT FROM (${sql([VALUES.map((v) => `EXCLUDED.${v}`).join(', ')])})`);
  // unchanged rows are neither rewritten (the WHERE above) nor reclassified
  report.derived.push(await reclassifyFirms(tx, sql`SELECT firm_id FROM import_firm_year_changed`, fresh));
  return report;
}

export const firmYearsImporter: Importer = { kind: 'firm-years', run };

/** Registered by the import core (src/import/registry.ts loads this module for its kind). */
export const importer = firmYearsImporter;
