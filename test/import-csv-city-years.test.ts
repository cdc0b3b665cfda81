// City-year CSV import on the demo store: metrics and new variables stored (missing values as NULL), upsert counts,
// idempotent re-import, replace, name clashes, and bad input (every bad row with line and reason, nothing written).
// Writes happen in transactions that are rolled back, so the shared demo store is left as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { cityYearsImporter, variableNameProblem } from '../src/import/city-years.js';
import { digests, importCsv, rolledBack } from './import-helpers.js';
import { getStore, keepDatasetMeta } from './helpers/store.js';

keepDatasetMeta();

let db: Db;
let codes: string[];
beforeAll(async () => {
  db = (await getStore()).db;
  codes = (await db.query<{ code: string }>(sql`SELECT code FROM city ORDER BY code LIMIT 4`)).map((r) => r.code.trim());
}, 600_000);

const vars = (tx: Db, name: string) => tx.query<{ code: string; year: number; value: number | null }>(
  sql`SELECT city_code AS code, year, value FROM city_variable WHERE name = ${name} ORDER BY city_code, year`);

describe('city-years import', () => {
  it('stores known metrics (camelCase alias too) and new variables; NA / NaN / . / empty are NULL, never 0', async () => {
    const [a, b] = codes;
    const csv = [
      'code,year,population,urbanShare,greenspace,noise_db',
      `${a},2019,1234.5,0.61,12.25,NA`,
      `${a},2018,,0.6,.,NaN`,
      `${b},2019,99,0.5,-3e-2,`,
    ].join('\n');
    const out = await rolledBack(db, async (tx) => {
      const { report, rejected } = await importCsv(tx, cityYearsImporter, csv);
      expect(rejected).toBeNull();
      const cy = await tx.query<{ code: string; year: number; population: number | null; urban_share: number }>(sql`
        SELECT city_code AS code, year, population, urban_share FROM city_year
        WHERE (city_code = ${a} AND year IN (2018, 2019)) OR (city_code = ${b} AND year = 2019) ORDER BY city_code, year`);
      return { report: report!, cy, g: await vars(tx, 'greenspace'), n: await vars(tx, 'noise_db') };
    });
    expect(out.report.rowsRead).toBe(3);
    expect(out.report.counts).toEqual({ inserted: 0, updated: 3, unchanged: 0, deleted: 0 });
    expect(out.report.variables).toEqual(['greenspace', 'noise_db']);
    expect(out.cy).toEqual([
      { code: a, year: 2018, population: null, urban_share: 0.6 },
      { code: a, year: 2019, population: 1234.5, urban_share: 0.61 },
      { code: b, year: 2019, population: 99, urban_share: 0.5 },
    ]);
    expect(out.g).toEqual([{ code: a, year: 2018, value: null }, { code: a, year: 2019, value: 12.25 }, { code: b, year: 2019, value: -0.03 }]);
    expect(out.n.map((r) => r.value)).toEqual([null, null, null]);
  });

  it('re-import of the same file: unchanged; changed values: updated; replace drops the unit-years\' other variables', async () => {
    const [a, b] = codes;
    const first = `code,year,greenspace,parks\n${a},2019,1,10\n${b},2019,2,20\n`;
    const r = await rolledBack(db, async (tx) => {
      const r1 = (await importCsv(tx, cityYearsImporter, first)).report!;
      const v0 = (await tx.query<{ v: string }>(sql`SELECT value AS v FROM dataset_meta WHERE key = 'data_version'`))[0].v;
      const r2 = (await importCsv(tx, cityYearsImporter, first)).report!;
      const v1 = (await tx.query<{ v: string }>(sql`SELECT value AS v FROM dataset_meta WHERE key = 'data_version'`))[0].v;
      const r3 = (await importCsv(tx, cityYearsImporter, `code,year,greenspace\n${a},2019,1.5\n${b},2019,2\n`)).report!;
      const r4 = (await importCsv(tx, cityYearsImporter, `code,year,greenspace\n${a},2019,1.5\n`, { replace: true })).report!;
      return { r1, r2, r3, r4, v0, v1, parks: await vars(tx, 'parks'), g: await vars(tx, 'greenspace') };
    });
    expect(r.r1.counts).toEqual({ inserted: 0, updated: 2, unchanged: 0, deleted: 0 });
    expect(r.r2.counts).toEqual({ inserted: 0, updated: 0, unchanged: 2, deleted: 0 });
    expect(r.v1).toBe(r.v0); // a no-op import writes nothing, so cached results stay valid
    expect(r.r3.counts).toEqual({ inserted: 0, updated: 1, unchanged: 1, deleted: 0 });
    expect(r.r4.counts).toEqual({ inserted: 0, updated: 1, unchanged: 0, deleted: 1 });
    expect(r.parks).toEqual([{ code: b, year: 2019, value: 20 }]);
    expect(r.g).toEqual([{ code: a, year: 2019, value: 1.5 }, { code: b, year: 2019, value: 2 }]);
  });

  it('a new year of a stored unit is inserted (metrics not in the file are NULL); dryRun writes nothing', async () => {
    const [a] = codes;
    const r = await rolledBack(db, async (tx) => {
      const before = await digests(tx);
      const dry = (await importCsv(tx, cityYearsImporter, `code,year,gdp,greenspace\n${a},2031,5,7\n`, { dryRun: true })).report!;
      const same = await digests(tx);
      const rep = (await importCsv(tx, cityYearsImporter, `code,year,gdp,greenspace\n${a},2031,5,7\n`)).report!;
      const [row] = await tx.query<Record<string, unknown>>(sql`SELECT gdp, population, nqp_indicators FROM city_year WHERE city_code = ${a} AND year = 2031`);
      return { before, same, dry, rep, row };
    });
    expect(r.same).toEqual(r.before);
    expect(r.dry.counts.inserted).toBe(1);
    expect(r.rep.counts).toEqual({ inserted: 1, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.row).toEqual({ gdp: 5, population: null, nqp_indicators: [] });
  });

  it('refuses variable names that clash with known names or break the name rules', async () => {
    expect(variableNameProblem('greenspace')).toBeNull();
    expect(variableNameProblem('NQP')).toMatch(/clashes with the panel column NQP/);
    expect(variableNameProblem('Popsiz')).toMatch(/clashes/);
    expect(variableNameProblem('GDP')).toMatch(/stored metric gdp/);
    expect(variableNameProblem('2x')).toMatch(/not a variable name/);
    const { rejected } = await importCsv(db, cityYearsImporter, `code,year,RTA,green space,ok\n${codes[0]},2019,1,2,3\n`);
    expect(rejected!.problems).toEqual([
      { line: 1, column: 'RTA', reason: expect.stringMatching(/clashes with the panel column RTA/) },
      { line: 1, column: 'green space', reason: expect.stringMatching(/not a variable name/) },
    ]);
  });

  it('bad rows: every one reported with line, column, value and reason; nothing written', async () => {
    const [a, b, c] = codes;
    const csv = [
      'code,year,gdp,greenspace', // line 1
      `${a},2019,1,2`, // 2 ok
      `999999,2019,1,2`, // 3 unknown unit
      `${b},20x9,1,2`, // 4 bad year
      `${b},2019,abc,2`, // 5 bad number
      `${a},2019,3,4`, // 6 duplicate of line 2
      `${c},1850,1,2`, // 7 year out of range
      `${c},2019,1`, // 8 too few fields
      `${c},2018,1,1e999`, // 9 not finite
    ].join('\n');
    const before = await digests(db);
    const { report, rejected } = await importCsv(db, cityYearsImporter, csv);
    expect(report).toBeNull();
    expect(rejected!.rowsRead).toBe(8);
    expect(rejected!.problemCount).toBe(7);
    expect(rejected!.problems.map((p) => [p.line, p.column, p.value])).toEqual([
      [3, 'code', '999999'], [4, 'year', '20x9'], [5, 'gdp', 'abc'], [6, 'code', a], [7, 'year', '1850'], [8, undefined, undefined], [9, 'greenspace', '1e999'],
    ]);
    expect(rejected!.problems[0].reason).toMatch(/unknown unit '999999'/);
    expect(rejected!.problems[3].reason).toBe(`duplicate unit-year (${a}, 2019): also on line 2`);
    expect(rejected!.problems[5].reason).toBe('3 fields where the header has 4');
    expect(await digests(db)).toEqual(before);
  });

  it('maxProblems lists the first problems, counts them all; missing code / year columns; unparsable CSV', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => `X${i},2019,1`);
    const { rejected } = await importCsv(db, cityYearsImporter, `code,year,gdp\n${rows.join('\n')}\n`, { maxProblems: 10 });
    expect(rejected!.problemCount).toBe(250);
    expect(rejected!.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const noCode = await importCsv(db, cityYearsImporter, `unit,yr,gdp\n${codes[0]},2019,1\n`);
    expect(noCode.rejected!.problems.map((p) => p.column)).toEqual(['code', 'year']);
    const custom = await rolledBack(db, async (tx) => (await importCsv(tx, cityYearsImporter, `unit,yr,gdp\n${codes[0]},2019,1\n`, { codeField: 'unit', yearField: 'yr' })).report);
    expect(custom!.counts.updated).toBe(1);
    const broken = await importCsv(db, cityYearsImporter, `code,year,gdp\n${codes[0]},2019,1\n${codes[1]},"2019,1\n`);
    expect(broken.rejected!.problems[0].reason).toMatch(/CSV does not parse/);
  });

  it("streams an async-iterable body batch by batch (COPY / unnest), with progress; 12,200 new unit-years", async () => {
    const all = (await db.query<{ code: string }>(sql`SELECT code FROM city ORDER BY code LIMIT 200`)).map((r) => r.code);
    async function* body() {
      yield Buffer.from('code,year,stream_test\n');
      for (let y = 2040; y <= 2100; y++) {
        yield Buffer.from(all.map((c, i) => `${c},${y},${i % 7 === 0 ? 'NA' : i + y / 1000}\n`).join(''));
      }
    }
    const ticks: number[] = [];
    const r = await rolledBack(db, async (tx) => {
      const rep = await cityYearsImporter.run(tx, { fileName: 'stream.csv', body: body() }, {}, (done) => ticks.push(done));
      const [n] = await tx.query<{ rows: number; nulls: number }>(sql`SELECT count(*)::int AS rows, count(*) FILTER (WHERE value IS NULL)::int AS nulls FROM city_variable WHERE name = 'stream_test'`);
      return { rep, n };
    });
    const rows = 200 * 61; // years 2040..2100
    expect(r.rep.rowsRead).toBe(rows);
    expect(r.rep.counts).toEqual({ inserted: rows, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.n).toEqual({ rows, nulls: 61 * all.filter((_, i) => i % 7 === 0).length });
    expect(ticks.length).toBeGreaterThan(2);
    expect(ticks.at(-1)).toBe(rows);
    expect([...ticks].sort((p, q) => p - q)).toEqual(ticks);
  });
});
