// Firm and firm-year CSV imports on the demo store: firms located at their coordinates or their unit's interior
// point, upsert counts, firm-years with the classification of the affected firms recomputed (and still current),
// replace, and bad input (unknown unit / firm, bad numbers, years, dates, duplicates: every bad row, nothing written).
// Everything runs in rolled-back transactions: the shared demo store is left as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { classifyPreview, ensureClassified } from '../src/domain/index.js';
import { classificationFresh } from '../src/import/classify.js';
import { firmsImporter } from '../src/import/firms.js';
import { firmYearsImporter } from '../src/import/firm-years.js';
import { digests, importCsv, rolledBack } from './import-helpers.js';
import { getStore, keepDatasetMeta } from './helpers/store.js';

keepDatasetMeta();

let db: Db;
let a: string, b: string;
const A = 900000001, B = 900000002;

beforeAll(async () => {
  db = (await getStore()).db;
  [a, b] = (await db.query<{ code: string }>(sql`SELECT code FROM city ORDER BY code LIMIT 2`)).map((r) => r.code);
  await ensureClassified(db); // the partial reclassification applies when the stored kinds are current
}, 600_000);

const FIRMS = () => [
  'id,name,code,industry,founded,techIntensive,strategic_emerging,listed_on,lon,lat',
  `${A},Alpha Robotics,${a},robotics,2015-03-01,true,yes,,116.5,39.9`,
  `${B},Beta Data,${b},software,2012,1,0,2018-06-30,,`,
].join('\n');

const FIRM_YEARS = [
  'firm_id,year,revenue,employees,assets,leverage,rnd,patents,valuation_usd,revenue_growth',
  `${A},2018,100,40,80,0.3,10,6,,0.3`, // age 3, R&D 10%, 6 patents, growth 30%: fledgling
  `${A},2019,130,55,90,0.3,13,7,NA,0.25`, // age 4, strategic emerging, growth 25%: gazelle (precedence over fledgling)
  `${B},2019,500,300,900,0.5,5,1,,0.02`, // listed, slow: no kind
].join('\n');

describe('firms import', () => {
  it('inserts firms at their coordinates or their unit\'s interior point; re-import unchanged; an edit updates', async () => {
    const r = await rolledBack(db, async (tx) => {
      const r1 = (await importCsv(tx, firmsImporter, FIRMS())).report!;
      const rows = await tx.query<Record<string, unknown>>(sql`
        SELECT f.id, f.name, f.city_code AS code, f.tech_intensive, f.strategic_emerging, to_char(f.founded, 'YYYY-MM-DD') AS founded,
               f.listed, to_char(f.listed_on, 'YYYY-MM-DD') AS listed_on, f.st_flag, ST_X(f.location) AS lon, ST_Y(f.location) AS lat,
               ST_Equals(f.location, c.centroid) AS at_unit
        FROM firm f JOIN city c ON c.code = f.city_code WHERE f.id IN (${A}, ${B}) ORDER BY f.id`);
      const r2 = (await importCsv(tx, firmsImporter, FIRMS())).report!;
      const r3 = (await importCsv(tx, firmsImporter, FIRMS().replace('Beta Data', 'Beta Data Ltd'))).report!;
      return { r1, r2, r3, rows };
    });
    expect(r.r1.counts).toEqual({ inserted: 2, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.r2.counts).toEqual({ inserted: 0, updated: 0, unchanged: 2, deleted: 0 });
    expect(r.r3.counts).toEqual({ inserted: 0, updated: 1, unchanged: 1, deleted: 0 });
    expect(r.rows[0]).toMatchObject({ id: A, code: a, tech_intensive: true, strategic_emerging: true, founded: '2015-03-01', listed: false, listed_on: null, st_flag: false, lon: 116.5, lat: 39.9, at_unit: false });
    expect(r.rows[1]).toMatchObject({ id: B, code: b, founded: '2012-01-01', listed: true, listed_on: '2018-06-30', at_unit: true });
  });

  it('firm-years: stored, the affected firms classified from each year\'s figures, the stored kinds still current', async () => {
    const r = await rolledBack(db, async (tx) => {
      const others = await tx.query<{ d: string }>(sql`SELECT md5(string_agg(k::text, '|' ORDER BY k::text)) AS d FROM firm_kind k`);
      await importCsv(tx, firmsImporter, FIRMS());
      const rep = (await importCsv(tx, firmYearsImporter, FIRM_YEARS)).report!;
      const again = (await importCsv(tx, firmYearsImporter, FIRM_YEARS)).report!;
      const kinds = await tx.query<{ id: number; year: number; kind: string }>(sql`SELECT firm_id AS id, year, kind FROM firm_kind WHERE firm_id IN (${A}, ${B}) ORDER BY firm_id, year`);
      const after = await tx.query<{ d: string }>(sql`SELECT md5(string_agg(k::text, '|' ORDER BY k::text)) AS d FROM firm_kind k WHERE firm_id NOT IN (${A}, ${B})`);
      const preview = (await classifyPreview(tx, undefined, { firmIds: [A, B] })).filter((c) => c.kind).map((c) => ({ id: c.firmId, year: c.year, kind: c.kind }));
      const fy = await tx.query<Record<string, unknown>>(sql`SELECT firm_id, year, valuation_usd, revenue_growth FROM firm_year WHERE firm_id = ${A} ORDER BY year`);
      return { rep, again, kinds, preview, same: others[0].d === after[0].d, fresh: await classificationFresh(tx), fy };
    });
    expect(r.rep.counts).toEqual({ inserted: 3, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.rep.derived).toEqual(['classification: 3 firm-years of 2 firms recomputed (firm-kinds-v1), 2 classified']);
    expect(r.again.counts).toEqual({ inserted: 0, updated: 0, unchanged: 3, deleted: 0 });
    expect(r.kinds).toEqual([{ id: A, year: 2018, kind: 'fledgling' }, { id: A, year: 2019, kind: 'gazelle' }]);
    expect(r.kinds).toEqual(r.preview);
    expect(r.same).toBe(true); // other firms' kinds untouched
    expect(r.fresh).toBe(true); // no full reclassification needed at the next query
    expect(r.fy).toEqual([{ firm_id: A, year: 2018, valuation_usd: null, revenue_growth: 0.3 }, { firm_id: A, year: 2019, valuation_usd: null, revenue_growth: 0.25 }]);
  });

  it('replace: the file\'s firms keep only the file\'s years', async () => {
    const r = await rolledBack(db, async (tx) => {
      await importCsv(tx, firmsImporter, FIRMS());
      await importCsv(tx, firmYearsImporter, FIRM_YEARS);
      const rep = (await importCsv(tx, firmYearsImporter, FIRM_YEARS.split('\n').filter((l) => !l.startsWith(`${A},2018`)).join('\n'), { replace: true })).report!;
      const years = await tx.query<{ year: number }>(sql`SELECT year FROM firm_year WHERE firm_id = ${A} ORDER BY year`);
      const kinds = await tx.query<{ year: number }>(sql`SELECT year FROM firm_kind WHERE firm_id = ${A} ORDER BY year`);
      return { rep, years: years.map((y) => y.year), kinds: kinds.map((y) => y.year) };
    });
    expect(r.rep.counts).toEqual({ inserted: 0, updated: 0, unchanged: 2, deleted: 1 });
    expect(r.years).toEqual([2019]);
    expect(r.kinds).toEqual([2019]);
  });

  it('bad firms: unknown unit, bad date, bad flag, half coordinates, duplicate id, missing name: every row, nothing written', async () => {
    const csv = [
      'id,name,code,industry,founded,financial,lon,lat',
      `${A},Alpha,${a},x,2015-01-01,false,,`, // 2 ok
      `${B},Beta,ZZ999,x,2015-01-01,false,,`, // 3 unknown unit
      `900000003,Gamma,${a},x,2015-02-30,false,,`, // 4 no such date
      `900000004,Delta,${a},x,2015-01-01,maybe,,`, // 5 not a boolean
      `900000005,Eps,${a},x,2015-01-01,false,116,`, // 6 lon without lat
      `${A},Alpha again,${a},x,2015-01-01,false,,`, // 7 duplicate id
      `900000006,,${a},x,2015-01-01,false,,`, // 8 missing name
      `-4,Neg,${a},x,2015-01-01,false,,`, // 9 id below 1
    ].join('\n');
    const before = await digests(db);
    const { rejected } = await importCsv(db, firmsImporter, csv);
    expect(rejected!.problemCount).toBe(7);
    expect(rejected!.problems.map((p) => [p.line, p.column])).toEqual([[3, 'code'], [4, 'founded'], [5, 'financial'], [6, 'lat'], [7, 'id'], [8, 'name'], [9, 'id']]);
    expect(rejected!.problems.map((p) => p.reason)).toEqual([
      "unknown unit 'ZZ999' (not among the stored units)", 'not a date YYYY-MM-DD', 'not true or false', 'give both lon and lat, or neither',
      `duplicate firm id ${A}: also on line 2`, 'missing name (required)', 'id must be at least 1 and at most 2147483647',
    ]);
    expect(await digests(db)).toEqual(before);
  });

  it('bad firm-years: unknown firm, bad year, bad number, negative count, duplicate key, missing column: every row, nothing written', async () => {
    const [firm] = (await db.query<{ id: number }>(sql`SELECT id FROM firm ORDER BY id LIMIT 1`)).map((r) => r.id);
    const csv = [
      'firm_id,year,revenue,employees,assets,leverage,rnd,patents',
      `${firm},2030,1,1,1,0.1,0,0`, // 2 ok
      `999999999,2030,1,1,1,0.1,0,0`, // 3 unknown firm
      `${firm},20.5,1,1,1,0.1,0,0`, // 4 bad year
      `${firm},2031,lots,1,1,0.1,0,0`, // 5 bad number
      `${firm},2032,1,-3,1,0.1,0,0`, // 6 negative employees
      `${firm},2030,2,1,1,0.1,0,0`, // 7 duplicate of line 2
      `${firm},2033,1,1,,0.1,0,0`, // 8 missing required value
    ].join('\n');
    const before = await digests(db);
    const { rejected } = await importCsv(db, firmYearsImporter, csv);
    expect(rejected!.problemCount).toBe(6);
    expect(rejected!.problems.map((p) => [p.line, p.column, p.value])).toEqual([
      [3, 'firm_id', '999999999'], [4, 'year', '20.5'], [5, 'revenue', 'lots'], [6, 'employees', '-3'], [7, 'firm_id', `${firm}, 2030`], [8, 'assets', ''],
    ]);
    expect(rejected!.problems[0].reason).toMatch(/unknown firm 999999999/);
    expect(rejected!.problems[4].reason).toBe(`duplicate firm-year (${firm}, 2030): also on line 2`);
    expect(await digests(db)).toEqual(before);
    const noCol = await importCsv(db, firmYearsImporter, `firm_id,year,revenue\n${firm},2030,1\n`);
    expect(noCol.rejected!.problems.map((p) => p.column)).toEqual(['employees', 'assets', 'leverage', 'rnd', 'patents']);
  });
});
