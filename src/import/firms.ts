// Firm registers from CSV: one firm per row (id, name, unit code, industry, founding date, flags, optional lon/lat),
// validated against the stored units; upsert on id. A row without a unit code is placed by its point in the unit
// whose boundary contains it (placeStagedPoints). A firm with coordinates stands there, else at its unit's interior
// point (locateFirmsAtUnits). `replace`: the file's units keep only the file's firms (others deleted with their years).
import type { Db } from '../db/db.js';
import { locateFirmsAtUnits } from '../db/queries/load.js';
import { placeStagedPoints } from '../db/queries/locate.js';
import { sql } from '../db/sql.js';
import type { FieldSpec, Problems } from './csv.js';
import { classificationFresh, reclassifyFirms } from './classify.js';
import { duplicateCheck, stageCsv } from './wide.js';
import type { Importer, ImportInput, ImportOptions, Progress } from './types.js';
import { ImportUnitMatcher } from '../units/import-match.js';

const MAX_INT = 2_147_483_647;

export function firmFields(codeField: string, nameField: string): FieldSpec[] {
  return [
    { name: 'id', headers: ['id', 'firm_id', 'firmId'], type: 'int', required: true, min: 1, max: MAX_INT },
    { name: 'name', headers: [nameField], type: 'text', required: true },
    // no code: the row is placed by its point (lon/lat)
    { name: 'code', headers: [codeField, ...(codeField === 'code' ? ['city_code', 'cityCode'] : [])], type: 'text' },
    { name: 'industry', headers: ['industry'], type: 'text', required: true },
    { name: 'founded', headers: ['founded'], type: 'date', required: true },
    { name: 'tech_intensive', headers: ['tech_intensive', 'techIntensive'], type: 'bool', default: false },
    { name: 'strategic_emerging', headers: ['strategic_emerging', 'strategicEmerging'], type: 'bool', default: false },
    { name: 'listed', headers: ['listed'], type: 'bool' },
    { name: 'listed_on', headers: ['listed_on', 'listedOn'], type: 'date' },
    { name: 'st_flag', headers: ['st_flag', 'stFlag', 'st'], type: 'bool', default: false },
    { name: 'financial', headers: ['financial'], type: 'bool', default: false },
    { name: 'lon', headers: ['lon', 'longitude', 'lng'], type: 'float', min: -180, max: 180 },
    { name: 'lat', headers: ['lat', 'latitude'], type: 'float', min: -90, max: 90 },
  ];
}

async function run(tx: Db, input: ImportInput, opts: ImportOptions, progress?: Progress) {
  const fresh = await classificationFresh(tx);
  const codeField = opts.codeField ?? 'code';
  const fields = firmFields(codeField, opts.nameField ?? 'name');
  // the province of a unit name (name matching looks only there); staged but not stored
  if (opts.provinceField) fields.push({ name: 'unit_province', headers: [opts.provinceField], type: 'text', required: true });
  const ix = (n: string) => fields.findIndex((f) => f.name === n);
  const [code, lon, lat, founded, listed, listedOn, province] = ['code', 'lon', 'lat', 'founded', 'listed', 'listed_on', 'unit_province'].map(ix);
  // the unit column holds codes or unit names, read in the names of --match-year (default: the latest names); a row
  // without one is placed by its coordinates (placeStagedPoints)
  const units = await ImportUnitMatcher.open(tx, opts);
  const rowCheck = (v: unknown[], line: number, problems: Problems) => {
    if (v[code] === null && v[lon] === null && v[lat] === null) { problems.add({ line, column: codeField, reason: `no unit: give ${codeField} or lon/lat` }); return false; }
    if (v[code] !== null) {
      const year = opts.matchYear === 'founded' ? Number(String(v[founded]).slice(0, 4)) : opts.matchYear ?? null;
      const resolved = units.resolve(String(v[code]), { line, column: codeField, province: province >= 0 ? (v[province] as string) : null, year }, problems);
      if (resolved === null) return false;
      v[code] = resolved;
    }
    if ((v[lon] === null) !== (v[lat] === null)) { problems.add({ line, column: v[lon] === null ? 'lon' : 'lat', reason: 'give both lon and lat, or neither' }); return false; }
    if (v[listedOn] !== null && v[listed] === false) { problems.add({ line, column: 'listed_on', value: String(v[listedOn]), reason: 'listed_on given but listed is false' }); return false; }
    if (v[listedOn] !== null && (v[listedOn] as string) < (v[founded] as string)) { problems.add({ line, column: 'listed_on', value: String(v[listedOn]), reason: `listed before it was founded (${v[founded]})` }); return false; }
    return true;
  };
  const s = await stageCsv(tx, input, opts, 'import_firm_stage', fields, progress, rowCheck);
  const S = s.stage.ref;
  await tx.query(sql`CREATE INDEX ON ${S} (id)`);
  await tx.query(sql`ANALYZE ${S}`);
  // how each row finds its unit (code / point), counted in the report
  await tx.query(sql`ALTER TABLE ${S} ADD COLUMN how text`);
  await tx.query(sql`UPDATE ${S} SET how = 'code' WHERE code IS NOT NULL`);
  const points = await placeStagedPoints(tx, S, s.problems.max);
  s.problems.addFound(points.problems, points.problemCount);
  await s.check((max) => sql`
    SELECT line, code AS value, NULL AS extra, count(*) OVER ()::int AS total FROM ${S} s
    WHERE how = 'code' AND NOT EXISTS (SELECT 1 FROM city c WHERE c.code = s.code) ORDER BY line LIMIT ${max}::int`,
  (r) => ({ line: r.line, column: codeField, value: r.value, reason: `unknown unit '${r.value}' (not among the stored units)` }));
  await s.check(duplicateCheck(S, ['id'], 'id'), (r) => ({ line: r.line, column: 'id', value: r.value, reason: `duplicate firm id ${r.value}: also on line ${r.extra}` }));
  if (s.problems.count) s.reject();

  // the row as it will be stored; `listed` defaults to having a listing date
  const target = sql`
    SELECT s.id, s.name, s.code, s.industry, s.tech_intensive, s.strategic_emerging, s.founded,
           coalesce(s.listed, s.listed_on IS NOT NULL) AS listed, s.listed_on, s.st_flag, s.financial,
           CASE WHEN s.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END AS point,
           coalesce(CASE WHEN s.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) END, c.centroid) AS location
    FROM ${S} s JOIN city c ON c.code = s.code`;
  const replace = opts.replace === true;
  const [c] = await tx.query<{ inserted: number; updated: number; unchanged: number; deleted: number }>(sql`
    WITH t AS (${target}),
    k AS (SELECT f.id IS NULL AS new,
            (f.name, f.city_code, f.industry, f.tech_intensive, f.strategic_emerging, f.founded, f.listed, f.listed_on, f.st_flag, f.financial)
              IS DISTINCT FROM (t.name, t.code, t.industry, t.tech_intensive, t.strategic_emerging, t.founded, t.listed, t.listed_on, t.st_flag, t.financial)
            OR ST_AsEWKB(f.location) IS DISTINCT FROM ST_AsEWKB(t.location) AS changed
          FROM t LEFT JOIN firm f ON f.id = t.id)
    SELECT count(*) FILTER (WHERE new)::int AS inserted, count(*) FILTER (WHERE NOT new AND changed)::int AS updated,
           count(*) FILTER (WHERE NOT new AND NOT changed)::int AS unchanged,
           (SELECT count(*) FROM firm f WHERE ${replace}::bool AND f.city_code IN (SELECT code FROM ${S}) AND f.id NOT IN (SELECT id FROM ${S}))::int AS deleted
    FROM k`);
  const counts = { inserted: c.inserted, updated: c.updated, unchanged: c.unchanged, deleted: c.deleted };
  const m = units.report();
  const placed = Object.fromEntries((await tx.query<{ how: string; n: number }>(sql`SELECT how, count(*)::int AS n FROM ${S} GROUP BY how ORDER BY how`)).map((r) => [r.how, r.n]));
  const report = { rowsRead: s.rowsRead, counts, placed, problems: [], problemCount: 0, warnings: m.warnings, derived: [] as string[], matched: m.matched, skipped: m.skipped, skippedRows: m.skippedRows };
  if (opts.dryRun || c.inserted + c.updated + c.deleted === 0) return report;

  if (replace && c.deleted) await tx.query(sql`DELETE FROM firm f WHERE f.city_code IN (SELECT code FROM ${S}) AND f.id NOT IN (SELECT id FROM ${S})`);
  await tx.query(sql`
    INSERT INTO firm (id, name, city_code, industry, tech_intensive, strategic_emerging, founded, listed, listed_on, st_flag, financial, location)
    SELECT id, name, code, industry, tech_intensive, strategic_emerging, founded, listed, listed_on, st_flag, financial, point FROM (${target}) t
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, city_code = EXCLUDED.city_code, industry = EXCLUDED.industry,
      tech_intensive = EXCLUDED.tech_intensive, strategic_emerging = EXCLUDED.strategic_emerging, founded = EXCLUDED.founded,
      listed = EXCLUDED.listed, listed_on = EXCLUDED.listed_on, st_flag = EXCLUDED.st_flag, financial = EXCLUDED.financial,
      location = EXCLUDED.location`);
  await locateFirmsAtUnits(tx);
  // founding and listing dates and flags enter the classification: recompute the file's firms that have years
  report.derived.push(await reclassifyFirms(tx, sql`SELECT id FROM ${S}`, fresh));
  return report;
}

export const firmsImporter: Importer = { kind: 'firms', run };

/** Registered by the import core (src/import/registry.ts loads this module for its kind). */
export const importer = firmsImporter;
