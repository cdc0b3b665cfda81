// City-year panels from CSV: a unit code column and a year column; the known metric columns (snake_case or camelCase)
// go to city_year, every other numeric column to city_variable as a named variable. Missing values are NULL. Bad
// rows (bad numbers or years, unknown units, duplicate unit-years) are all reported with their file line and nothing
// is written. Rows are staged in long form (line, code, year, name, value) in a temporary table, then checked and
// upserted on (unit, year) with set-based SQL; counts are per unit-year (inserted / updated / unchanged).
import type { Db } from '../db/db.js';
import { sql, type SqlFragment } from '../db/sql.js';
import { CITY_PANEL_COLUMNS } from '../domain/panel.js';
import { CsvSyntaxError, DEFAULT_MAX_PROBLEMS, headerIndex, openCsv, parseNumber, parseYear, Problems, BATCH_ROWS } from './csv.js';
import { Stage } from './stage.js';
import { ImportUnitMatcher } from '../units/import-match.js';
import { ImportRejected, type Importer, type ImportInput, type ImportOptions, type Progress } from './types.js';

/** Stored city_year metric columns by CSV name (snake_case as stored, camelCase as in GraphQL). */
export const KNOWN_METRICS: Record<string, string> = {};
for (const c of ['population', 'urban_share', 'fiscal_spending', 'fiscal_revenue', 'tertiary_share', 'education_share', 'loans', 'gdp', 'dfu', 'rid', 'pc']) {
  KNOWN_METRICS[c] = c;
  KNOWN_METRICS[c.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase())] = c;
}
/** The stored metric columns, in table order. */
export const METRIC_COLUMNS = [...new Set(Object.values(KNOWN_METRICS))];

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Names a variable may not take (case-insensitively): the panel's columns, stored columns and their aliases. */
const RESERVED = new Map<string, string>();
for (const c of CITY_PANEL_COLUMNS) RESERVED.set(c.toLowerCase(), `the panel column ${c}`);
for (const [alias, c] of Object.entries(KNOWN_METRICS)) RESERVED.set(alias.toLowerCase(), `the stored metric ${c} (write it as ${c})`);
for (const c of ['code', 'name', 'nqp_indicators', 'nqpindicators', 'id', 'firm', 'industry', 'kind']) RESERVED.set(c, `the reserved name ${c}`);

/** Why `name` cannot be an analyst variable, or null when it can. */
export function variableNameProblem(name: string): string | null {
  if (!VARIABLE_NAME.test(name)) return `'${name}' is not a variable name (a letter or _, then letters, digits or _, at most 63)`;
  const clash = RESERVED.get(name.toLowerCase());
  return clash ? `'${name}' clashes with ${clash}; rename the column` : null;
}

/** Text columns a panel file may carry beside the numbers; ignored (with a warning). */
const TEXT_COLUMNS = new Set(['name', 'province', 'region', 'province_code', 'provinceCode']);

async function run(tx: Db, input: ImportInput, opts: ImportOptions, progress?: Progress) {
  const problems = new Problems(opts.maxProblems ?? DEFAULT_MAX_PROBLEMS);
  const codeField = opts.codeField ?? 'code', yearField = opts.yearField ?? 'year';
  const warnings: string[] = [];
  let rowsRead = 0;
  const reject = (): never => { throw new ImportRejected(problems.sorted(), problems.count, rowsRead); };

  let csv;
  try {
    csv = await openCsv(input, opts);
  } catch (e) {
    if (e instanceof CsvSyntaxError) { problems.add({ line: e.line, reason: e.message }); reject(); }
    throw e;
  }
  const cols = headerIndex(csv.header, problems);
  if (!csv.header.length) problems.add({ line: 1, reason: 'empty file: expected a header row' });
  const provinceField = opts.provinceField;
  for (const [f, what] of [[codeField, 'unit code'], [yearField, 'year'], ...(provinceField ? [[provinceField, 'province'] as const] : [])] as const) {
    if (csv.header.length && !cols.has(f)) problems.add({ line: 1, column: f, reason: `no ${what} column '${f}' (columns: ${csv.header.join(', ')})` });
  }
  // value columns: known metrics and analyst variables
  const valueCols: { name: string; index: number; metric: string | null }[] = [];
  const ignored: string[] = [];
  for (const [h, i] of cols) {
    if (h === codeField || h === yearField || h === opts.nameField || h === provinceField) continue;
    if (KNOWN_METRICS[h]) {
      if (valueCols.some((v) => v.metric === KNOWN_METRICS[h])) problems.add({ line: 1, column: h, reason: `metric ${KNOWN_METRICS[h]} given twice (snake_case and camelCase)` });
      else valueCols.push({ name: KNOWN_METRICS[h], index: i, metric: KNOWN_METRICS[h] });
    } else if (TEXT_COLUMNS.has(h)) ignored.push(h);
    else {
      const p = variableNameProblem(h);
      // a header that is not an identifier (人均GDP) keeps its data through a rename: the variable gets the new name
      if (p) problems.add({ line: 1, column: h, reason: VARIABLE_NAME.test(h) ? p : `${p}; map it to one with --rename '${h}=NEWNAME'` });
      else valueCols.push({ name: h, index: i, metric: null });
    }
  }
  if (ignored.length) warnings.push(`text column${ignored.length > 1 ? 's' : ''} ${ignored.join(', ')} ignored`);
  if (problems.count) reject();
  if (!valueCols.length) warnings.push('no value column: only the unit-years are recorded');

  const stage = new Stage(tx, 'import_city_year_stage', [
    { name: 'line', type: 'int' }, { name: 'code', type: 'text' }, { name: 'year', type: 'int' },
    { name: 'name', type: 'text' }, { name: 'value', type: 'float8' },
  ], BATCH_ROWS * 4);
  await stage.create();
  const ci = cols.get(codeField)!, yi = cols.get(yearField)!, pi = provinceField ? cols.get(provinceField)! : -1;
  // the unit column holds codes or names (any form, any year's reading): one matcher per import, cached per distinct key
  const units = await ImportUnitMatcher.open(tx, opts);
  try {
    for await (const rec of csv.records) {
      rowsRead++;
      const v = rec.values;
      let bad = false;
      if (v.length !== csv.header.length) {
        problems.add({ line: rec.line, reason: `${v.length} fields where the header has ${csv.header.length}` });
        continue;
      }
      const year = parseYear(v[yi]);
      if (year === undefined) { problems.add({ line: rec.line, column: yearField, value: v[yi], reason: 'not a year (an integer from 1900 to 2100)' }); bad = true; }
      let code: string | null = v[ci];
      if (!code) { problems.add({ line: rec.line, column: codeField, value: '', reason: 'missing unit code' }); bad = true; }
      else {
        code = units.resolve(code, { line: rec.line, column: codeField, province: pi >= 0 ? v[pi] : null, year }, problems);
        if (code === null) continue; // a problem recorded, or the row skipped (--skip-unmatched)
      }
      const values = valueCols.map((c) => {
        const x = parseNumber(v[c.index]);
        if (x === undefined) { problems.add({ line: rec.line, column: csv.header[c.index], value: v[c.index], reason: 'not a number' }); bad = true; }
        return x;
      });
      if (bad) continue;
      // one row per unit-year even without value columns (name NULL), so the unit-year itself is recorded
      if (!valueCols.length) await stage.add([rec.line, code, year, null, null]);
      for (let j = 0; j < valueCols.length; j++) await stage.add([rec.line, code, year, valueCols[j].name, values[j]]);
      if (rowsRead % BATCH_ROWS === 0) progress?.(rowsRead);
    }
  } catch (e) {
    if (e instanceof CsvSyntaxError) { problems.add({ line: e.line, reason: e.message }); reject(); }
    throw e;
  }
  await stage.flush();
  progress?.(rowsRead);
  if (!rowsRead) { problems.add({ line: 2, reason: 'no data rows' }); reject(); }

  const S = stage.ref;
  await tx.query(sql`CREATE INDEX ON ${S} (code, year)`);
  await tx.query(sql`ANALYZE ${S}`); // temporary tables get no statistics otherwise
  // unknown units, one problem per line
  const max = problems.max;
  const unknown = await tx.query<{ line: number; code: string; total: number }>(sql`
    SELECT line, code, count(*) OVER ()::int AS total FROM (SELECT DISTINCT line, code FROM ${S} s
      WHERE NOT EXISTS (SELECT 1 FROM city c WHERE c.code = s.code)) u ORDER BY line LIMIT ${max}::int`);
  problems.addFound(unknown.map((r) => ({ line: r.line, column: codeField, value: r.code, reason: `unknown unit '${r.code}' (not among the stored units)` })), unknown[0]?.total ?? 0);
  // duplicate unit-years: every line after the first of a key
  const dups = await tx.query<{ line: number; code: string; year: number; first: number; total: number }>(sql`
    SELECT line, code, year, first, count(*) OVER ()::int AS total FROM (
      SELECT DISTINCT line, code, year, min(line) OVER (PARTITION BY code, year) AS first FROM ${S}) d
    WHERE line > first ORDER BY line LIMIT ${max}::int`);
  problems.addFound(dups.map((r) => ({ line: r.line, column: codeField, value: r.code, reason: `duplicate unit-year (${r.code}, ${r.year}): also on line ${r.first}` })), dups[0]?.total ?? 0);
  if (problems.count) reject();

  const metrics = valueCols.filter((c) => c.metric).map((c) => c.metric!);
  const variables = valueCols.filter((c) => !c.metric).map((c) => c.name);
  const replace = opts.replace === true;
  // the file's unit-years, wide: one column per metric it carries
  const wide = sql`SELECT code, year ${sql([metrics.map((m) => `, max(value) FILTER (WHERE name = '${m}') AS "${m}"`).join('')])} FROM ${S} GROUP BY code, year`;
  const metricDiff: SqlFragment = metrics.length
    ? sql([metrics.map((m) => `w."${m}" IS DISTINCT FROM cy."${m}"`).join(' OR ')])
    : sql`FALSE`;
  // set-based (no correlated subqueries): per unit-year, did a metric or a variable change, and what replace removes
  const [c] = await tx.query<{ inserted: number; updated: number; unchanged: number; deleted: number }>(sql`
    WITH w AS (${wide}),
    vd AS (SELECT s.code, s.year, bool_or(v.city_code IS NULL OR v.value IS DISTINCT FROM s.value) AS changed
           FROM ${S} s LEFT JOIN city_variable v ON v.city_code = s.code AND v.year = s.year AND v.name = s.name
           WHERE s.name = ANY(${variables}::text[]) GROUP BY s.code, s.year),
    gone AS (SELECT v.city_code AS code, v.year, count(*)::int AS n FROM city_variable v JOIN w ON v.city_code = w.code AND v.year = w.year
             WHERE ${replace}::bool AND NOT v.name = ANY(${variables}::text[]) GROUP BY v.city_code, v.year),
    k AS (
      SELECT cy.city_code IS NULL AS new, (${metricDiff}) OR coalesce(vd.changed, FALSE) OR gone.n IS NOT NULL AS changed
      FROM w LEFT JOIN city_year cy ON cy.city_code = w.code AND cy.year = w.year
      LEFT JOIN vd ON vd.code = w.code AND vd.year = w.year
      LEFT JOIN gone ON gone.code = w.code AND gone.year = w.year)
    SELECT count(*) FILTER (WHERE new)::int AS inserted, count(*) FILTER (WHERE NOT new AND changed)::int AS updated,
           count(*) FILTER (WHERE NOT new AND NOT changed)::int AS unchanged,
           (SELECT coalesce(sum(n), 0) FROM gone)::int AS deleted
    FROM k`);

  const counts = { inserted: c.inserted, updated: c.updated, unchanged: c.unchanged, deleted: c.deleted };
  const m = units.report();
  warnings.push(...m.warnings);
  const report = { rowsRead, counts, problems: [], problemCount: 0, variables, warnings, matched: m.matched, skipped: m.skipped, skippedRows: m.skippedRows };
  // nothing to write: leave the tables (and the data version) untouched
  if (opts.dryRun || (c.inserted + c.updated + c.deleted === 0)) return report;

  if (replace) {
    await tx.query(sql`DELETE FROM city_variable v USING (SELECT DISTINCT code, year FROM ${S}) k
      WHERE v.city_code = k.code AND v.year = k.year`);
  }
  const set = metrics.length ? sql([`DO UPDATE SET ${metrics.map((m) => `"${m}" = EXCLUDED."${m}"`).join(', ')} WHERE ${metrics.map((m) => `city_year."${m}" IS DISTINCT FROM EXCLUDED."${m}"`).join(' OR ')}`]) : sql`DO NOTHING`;
  const mcols = sql([metrics.map((m) => `, "${m}"`).join('')]);
  await tx.query(sql`
    INSERT INTO city_year (city_code, year, nqp_indicators ${mcols})
    SELECT code, year, '{}'::float8[] ${mcols} FROM (${wide}) w
    ON CONFLICT (city_code, year) ${set}`);
  if (variables.length) {
    await tx.query(sql`
      INSERT INTO city_variable (city_code, year, name, value)
      SELECT code, year, name, value FROM ${S} WHERE name = ANY(${variables}::text[])
      ON CONFLICT (city_code, year, name) DO UPDATE SET value = EXCLUDED.value
      WHERE city_variable.value IS DISTINCT FROM EXCLUDED.value`);
  }
  return report;
}

export const cityYearsImporter: Importer = { kind: 'city-years', run };

/** Registered by the import core (src/import/registry.ts loads this module for its kind). */
export const importer = cityYearsImporter;
