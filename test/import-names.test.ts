// Units by name through the real import core (runImport) on the demo store's 338 cities, on the embedded database
// and on PostgreSQL: a yearbook-style panel 2008–2014 keyed by names in every form lands on the right codes; 巢湖市
// rows are refused ("abolished 2011 (...)") or, with skipUnmatched, left out, listed and counted in import_log;
// firms by unit name (pinyin, province column, old names); the GraphQL door takes the options. The rows written
// here (variable yb_value, firms with ids from 9,100,001) are removed afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { runImport } from '../src/import/core.js';
import type { ImportOptions } from '../src/import/types.js';
import { dbKind, getStore, gql, keepDatasetMeta } from './helpers/store.js';

keepDatasetMeta();

let db: Db;
const csvInput = (text: string, fileName = 'yearbook.csv') => ({ fileName, body: Buffer.from(text, 'utf8') });
const run = (kind: 'city-years' | 'firms', text: string, opts: ImportOptions) => runImport(db, kind, csvInput(text), opts, undefined, { via: 'test' });

async function cleanUp() {
  await db.query(sql`DELETE FROM city_variable WHERE name = 'yb_value'`);
  await db.query(sql`DELETE FROM firm_year WHERE firm_id > 9100000`);
  await db.query(sql`DELETE FROM firm WHERE id > 9100000`);
}
beforeAll(async () => { db = (await getStore()).db; await cleanUp(); }, 600_000);
afterAll(async () => { await cleanUp(); });

// Yearbook rows: (name as printed that year, code it must land on). Every form of the issue appears.
const YEARS = [2008, 2009, 2010, 2011, 2012, 2013, 2014];
const SERIES: { code: string; name: (y: number) => string }[] = [
  { code: '520500', name: (y) => (y < 2011 ? '毕节地区' : '毕节市') },        // 地区 → 市 with a new code (old name, history)
  { code: '520600', name: (y) => (y < 2011 ? '铜仁地区' : '铜仁') },          // same, then the short form
  { code: '420600', name: (y) => (y < 2010 ? '襄樊市' : '襄阳市') },          // rename 2010
  { code: '522600', name: (y) => (y % 2 ? '黔东南州' : '黔东南') },           // autonomous prefecture short forms
  { code: '320100', name: (y) => (y % 2 ? '南京' : ' 南 京 ') },             // short form, stray spaces
  { code: '630200', name: (y) => (y < 2013 ? '海东地区' : '海东市') },        // 地区 → 市 2013
  { code: '331000', name: () => '臺州市' },                                  // traditional characters
  { code: '330100', name: (y) => (y % 2 ? 'Hangzhou' : 'ＨＡＮＧＺＨＯＵ') },    // pinyin, full-width
  { code: '110000', name: () => '110000' },                                  // the code itself
];
const value = (i: number, y: number) => i * 10000 + y + 0.25;
const panel = (withChaohu: boolean) => {
  const lines = ['城市,year,yb_value'];
  SERIES.forEach((s, i) => YEARS.forEach((y) => lines.push(`${s.name(y)},${y},${value(i, y)}`)));
  // 巢湖市 was abolished in 2011: a yearbook panel has it until 2010
  if (withChaohu) for (const y of [2008, 2009, 2010]) lines.push(`巢湖市,${y},${9e6 + y}`);
  return lines.join('\n');
};
const expected = SERIES.flatMap((s, i) => YEARS.map((y) => `${s.code}/${y}=${value(i, y)}`)).sort();
const stored = async () => (await db.query<{ c: string; y: number; v: number }>(sql`
  SELECT city_code AS c, year AS y, value AS v FROM city_variable WHERE name = 'yb_value'`)).map((r) => `${r.c}/${r.y}=${Number(r.v)}`).sort();

describe(`yearbook panel by name (${dbKind})`, () => {
  it('巢湖市 rows are refused with the year of abolition and the successors; nothing is written', async () => {
    const r = await run('city-years', panel(true), { codeField: '城市' });
    expect(r.status).toBe('rejected');
    expect(r.problemCount).toBe(3);
    expect(r.problems.map((p) => [p.line, p.column, p.value, p.reason])).toEqual([65, 66, 67].map((line) =>
      [line, '城市', '巢湖市', '巢湖市: abolished 2011 (合肥市 / 芜湖市 / 马鞍山市)']));
    expect(await stored()).toEqual([]);
  });

  it('with skipUnmatched every other row lands on the right code; the skipped rows are listed and logged', async () => {
    const r = await run('city-years', panel(true), { codeField: '城市', skipUnmatched: true });
    expect(r.status).toBe('ok');
    expect(r.rowsRead).toBe(66);
    expect(r.counts.inserted + r.counts.updated + r.counts.unchanged).toBe(63);
    expect(r.skipped).toBe(3);
    expect(r.skippedRows!.map((p) => `${p.line}:${p.reason}`)).toEqual([65, 66, 67].map((l) => `${l}:巢湖市: abolished 2011 (合肥市 / 芜湖市 / 马鞍山市)`));
    // rows per method: 毕节地区 ×3, 铜仁地区 ×3, 襄樊市 ×2, 海东地区 ×5 by history; 110000 by code; ...
    // name: 毕节市 ×4, 襄阳市 ×5, 海东市 ×2; short: 铜仁 ×4, 黔东南(州) ×7, 南京 / ' 南 京 ' ×7; normalised: 臺州市 ×7
    expect(r.matched).toEqual({ history: 3 + 3 + 2 + 5, name: 4 + 5 + 2, short: 4 + 7 + 7, normalised: 7, pinyin: 7, code: 7 });
    expect(await stored()).toEqual(expected);
    const [log] = await db.query<{ skipped: number; skipped_rows: unknown; matched: unknown; status: string }>(sql`
      SELECT skipped, skipped_rows, matched, status FROM import_log WHERE id = ${r.id}::bigint`);
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    expect(log.status).toBe('ok');
    expect(log.skipped).toBe(3);
    expect(json(log.skipped_rows)).toHaveLength(3);
    expect(json(log.matched)).toEqual(r.matched);
    // idempotent: the same file again changes nothing
    const again = await run('city-years', panel(true), { codeField: '城市', skipUnmatched: true });
    expect(again.counts).toMatchObject({ inserted: 0, updated: 0, deleted: 0, unchanged: 63 });
  });

  it('two forms of one unit in one year are a duplicate unit-year; --match code refuses names', async () => {
    const dup = await run('city-years', '城市,year,yb_value\n南京市,2010,1\n南京,2010,2\nNanjing City,2011,3', { codeField: '城市', dryRun: true });
    expect(dup.status).toBe('rejected');
    expect(dup.problems.map((p) => p.reason)).toEqual(['duplicate unit-year (320100, 2010): also on line 2']);
    const code = await run('city-years', '城市,year,yb_value\n320100,2010,1\n南京,2011,2', { codeField: '城市', match: 'code', dryRun: true });
    expect(code.problems.map((p) => p.reason)).toEqual(["unknown unit '南京' (not among the stored units by code; similar: 南京市 (320100, 江苏省))"]);
  });

  it('ambiguous pinyin names the candidates; a province column settles it', async () => {
    const amb = await run('city-years', 'city,year,yb_value\nFuzhou,2012,1\nTaizhou,2012,2', { codeField: 'city', dryRun: true });
    expect(amb.status).toBe('rejected');
    expect(amb.problems.map((p) => p.reason)).toEqual([
      "ambiguous unit 'Fuzhou': 福州市 (350100, 福建省) / 抚州市 (361000, 江西省); give a province column (--province) or the code",
      "ambiguous unit 'Taizhou': 泰州市 (321200, 江苏省) / 台州市 (331000, 浙江省); give a province column (--province) or the code",
    ]);
    const ok = await run('city-years', 'city,prov,year,yb_value\nFuzhou,江西,2012,1\nTaizhou,Jiangsu,2012,2\nTaizhou,浙江省,2012,3', { codeField: 'city', provinceField: 'prov', dryRun: true });
    expect(ok.status).toBe('dry-run');
    expect(ok.variables).toEqual(['yb_value']);
    expect(ok.matched).toEqual({ pinyin: 3 });
  });
});

describe(`firms by unit name (${dbKind})`, () => {
  const firms = (rows: string[], header = 'id,name,city,industry,founded') => [header, ...rows].join('\n');
  it('a unit name column (any form, old names, pinyin with province) places firms on the right units', async () => {
    const r = await run('firms', firms([
      '9100001,甲科技,襄樊市,C39,2005-03-01',
      '9100002,乙科技,Nanjing,C39,2012-01-01',
      '9100003,丙科技,黔东南州,I65,2015-06-30',
      '9100004,丁科技,毕节地区,I65,2009-01-01',
      '9100005,戊科技,520600,I65,2009-01-01',
    ]), { codeField: 'city' });
    expect(r.status).toBe('ok');
    expect(r.counts.inserted).toBe(5);
    expect(r.matched).toEqual({ history: 2, pinyin: 1, short: 1, code: 1 });
    const rows = await db.query<{ id: number; city_code: string }>(sql`SELECT id, city_code FROM firm WHERE id > 9100000 ORDER BY id`);
    expect(rows.map((x) => `${x.id}:${x.city_code}`)).toEqual(['9100001:420600', '9100002:320100', '9100003:522600', '9100004:520500', '9100005:520600']);
  });

  it('巢湖市 and ambiguous names are problems; a province column and --skip-unmatched', async () => {
    const bad = await run('firms', firms(['9100011,己,巢湖市,C39,2005-03-01', '9100012,庚,Fuzhou,C39,2005-03-01']), { codeField: 'city', dryRun: true });
    expect(bad.problems.map((p) => p.reason)).toEqual([
      '巢湖市: abolished 2011 (合肥市 / 芜湖市 / 马鞍山市)',
      "ambiguous unit 'Fuzhou': 福州市 (350100, 福建省) / 抚州市 (361000, 江西省); give a province column (--province) or the code"]);
    const ok = await run('firms', firms(['9100011,己,巢湖市,C39,2005-03-01,安徽', '9100012,庚,Fuzhou,C39,2005-03-01,Fujian'], 'id,name,city,industry,founded,province'),
      { codeField: 'city', provinceField: 'province', skipUnmatched: true });
    expect(ok.status).toBe('ok');
    expect(ok.skipped).toBe(1);
    expect(ok.skippedRows![0]).toMatchObject({ line: 2, value: '巢湖市' });
    const [f] = await db.query<{ city_code: string }>(sql`SELECT city_code FROM firm WHERE id = 9100012`);
    expect(f.city_code).toBe('350100');
  });

  it("--match-year founded reads a name in the firm's founding year: 三沙市 before 2012 is no unit", async () => {
    const r = await run('firms', firms(['9100021,辛,三沙市,C39,2010-03-01', '9100022,壬,三沙市,C39,2013-03-01']), { codeField: 'city', matchYear: 'founded', dryRun: true });
    expect(r.problems.map((p) => `${p.line}:${p.reason}`)).toEqual(['2:三沙市: established 2012, no such unit in 2010']);
    const latest = await run('firms', firms(['9100021,辛,三沙市,C39,2010-03-01']), { codeField: 'city', dryRun: true });
    expect(latest.status).toBe('dry-run');
  });
});

describe(`GraphQL door (${dbKind})`, () => {
  it('importData takes match / skipUnmatched and reports matched and skipped rows', async () => {
    const r = await gql(`mutation($c: String!) { importData(kind: "city-years", content: $c, options: { codeField: "城市", skipUnmatched: true, dryRun: true, match: "name" }) {
      status skipped skippedRows { line value reason } matched { method rows } } }`, { c: panel(true) });
    expect(r.errors).toBeUndefined();
    expect(r.data!.importData.status).toBe('dry-run');
    expect(r.data!.importData.skipped).toBe(10); // 巢湖市 ×3 and, by name only, the 7 rows giving the code 110000
    expect(r.data!.importData.matched).toEqual([{ method: 'history', rows: 13 }, { method: 'name', rows: 11 }, { method: 'short', rows: 18 }, { method: 'normalised', rows: 7 }, { method: 'pinyin', rows: 7 }]);
    const bad = await gql('mutation { importData(kind: "city-years", content: "code,year\\n1,2", options: { match: "fuzzy" }) { status } }');
    expect(bad.errors?.[0].message).toBe('options.match: must be auto, code or name, got "fuzzy"');
  });
});
