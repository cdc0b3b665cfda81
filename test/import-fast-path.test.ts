// The fast path of the fixed-layout CSV imports (src/import/csv-scan.ts, copy-text.ts, wide.ts): plain lines staged as
// they stand, other lines (spaces, '+', exponents, NA, quotes) through the precise checks, and both stored alike;
// problems name the same line / column / value / reason on either path; an unchanged re-import writes nothing and
// leaves the data version; the classification's SQL pre-filter (src/db/queries/kind-filter.ts) drops no kind.
// Everything runs in rolled-back transactions: the shared demo store is left as it was.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { ensureClassified } from '../src/domain/index.js';
import { bulkInsert } from '../src/import/bulk.js';
import { reclassifyFirms } from '../src/import/classify.js';
import { currentDataVersion, runImport } from '../src/import/core.js';
import { firmsImporter } from '../src/import/firms.js';
import { firmYearsImporter } from '../src/import/firm-years.js';
import { digest, importCsv, input, rolledBack } from './import-helpers.js';
import { getStore, keepDatasetMeta } from './helpers/store.js';

keepDatasetMeta();

let db: Db;
let code: string;
const A = 910000001, B = 910000002;
const HEADER = 'firm_id,year,revenue,employees,assets,leverage,rnd,patents,valuation_usd,revenue_growth';

beforeAll(async () => {
  db = (await getStore()).db;
  [{ code }] = await db.query<{ code: string }>(sql`SELECT code FROM city ORDER BY code LIMIT 1`);
  await ensureClassified(db); // the partial reclassification applies when the stored kinds are current
}, 600_000);

const firms = () => `id,name,code,industry,founded\n${A},Fast A,${code},software,2015-01-01\n${B},Fast B,${code},software,2012-06-01\n`;

async function storedYears(tx: Db) {
  return tx.query<Record<string, unknown>>(sql`
    SELECT firm_id, year, revenue, employees, assets, leverage, rnd, patents, valuation_usd, revenue_growth
    FROM firm_year WHERE firm_id IN (${A}, ${B}) ORDER BY firm_id, year`);
}

describe('firm-year fast path', () => {
  it('round trip: plain, rewritten and quoted lines (CRLF) are stored with the values the precise checks give', async () => {
    const file = [
      HEADER,
      `${A},2016,100,40,80,0.3,10,6,,0.3`, // plain: staged as it stands
      `${A},2017, 120 ,+41,8e1,0.30,12,6,1e9,.5`, // spaces, '+', exponents: the precise checks
      `${A},2018,130,42,81,0.3,13,7,NaN,-0.25`, // NaN: a missing optional value (NULL)
      `${B},2016,"500",300,900,0.5,5,1,,0.02`, // a quote: the rest of the file through csv-parse
      `${B},2017,510,301,901,0.5,5,1,,`,
    ].join('\r\n');
    const r = await rolledBack(db, async (tx) => {
      await importCsv(tx, firmsImporter, firms());
      const rep = (await importCsv(tx, firmYearsImporter, file)).report!;
      return { rep, rows: await storedYears(tx) };
    });
    expect(r.rep.counts).toEqual({ inserted: 5, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.rep.rowsRead).toBe(5);
    expect(r.rows).toEqual([
      { firm_id: A, year: 2016, revenue: 100, employees: 40, assets: 80, leverage: 0.3, rnd: 10, patents: 6, valuation_usd: null, revenue_growth: 0.3 },
      { firm_id: A, year: 2017, revenue: 120, employees: 41, assets: 80, leverage: 0.3, rnd: 12, patents: 6, valuation_usd: 1e9, revenue_growth: 0.5 },
      { firm_id: A, year: 2018, revenue: 130, employees: 42, assets: 81, leverage: 0.3, rnd: 13, patents: 7, valuation_usd: null, revenue_growth: -0.25 },
      { firm_id: B, year: 2016, revenue: 500, employees: 300, assets: 900, leverage: 0.5, rnd: 5, patents: 1, valuation_usd: null, revenue_growth: 0.02 },
      { firm_id: B, year: 2017, revenue: 510, employees: 301, assets: 901, leverage: 0.5, rnd: 5, patents: 1, valuation_usd: null, revenue_growth: null },
    ]);
  });

  it('a bad value among plain lines is reported at its line and column, before and after a quoted line', async () => {
    const lines = [HEADER];
    for (let y = 1950; y < 2000; y++) lines.push(`${A},${y},100,40,80,0.3,10,6,,0.3`);
    lines[37] = `${A},1986,abc,40,80,0.3,10,6,,0.3`; // file line 38
    lines[41] = `${A},1990,100,-4,80,0.3,10,6,,0.3`; // file line 42
    lines.push(`${B},2000,"7",1,1,0.1,1,1,,`, '', `${B},2001,1,1,1,0.1,1,1,-5,`); // lines 52, 53 (blank), 54
    const r = await rolledBack(db, async (tx) => {
      await importCsv(tx, firmsImporter, firms());
      const out = await importCsv(tx, firmYearsImporter, `${lines.join('\n')}\n`);
      return { out, rows: await storedYears(tx) };
    });
    expect(r.out.report).toBeNull();
    expect(r.out.rejected!.problems).toEqual([
      { line: 38, column: 'revenue', value: 'abc', reason: 'not a number' },
      { line: 42, column: 'employees', value: '-4', reason: 'employees must be at least 0 and at most 2147483647' },
      { line: 54, column: 'valuation_usd', value: '-5', reason: 'valuation_usd must be at least 0' },
    ]);
    expect(r.out.rejected!.rowsRead).toBe(52);
    expect(r.rows).toEqual([]);
  });

  it('an unchanged re-import counts every row unchanged, writes nothing and keeps the data version; an edit updates one', async () => {
    const file = [HEADER, ...[2015, 2016, 2017].map((y) => `${A},${y},100,40,80,0.3,10,6,,0.3`), `${B},2016,500,300,900,0.5,5,1,,0.02`].join('\n');
    const r = await rolledBack(db, async (tx) => {
      await importCsv(tx, firmsImporter, firms());
      const first = await runImport(tx, 'firm-years', input(file));
      const [v1, years1, kinds1] = [await currentDataVersion(tx), await digest(tx, 'firm_year'), await digest(tx, 'firm_kind')];
      const again = await runImport(tx, 'firm-years', input(file));
      const [v2, years2, kinds2] = [await currentDataVersion(tx), await digest(tx, 'firm_year'), await digest(tx, 'firm_kind')];
      const edit = await runImport(tx, 'firm-years', input(file.replace(`${A},2016,100`, `${A},2016,101`)));
      return { first, again, edit, v1, v2, v3: await currentDataVersion(tx), same: years1 === years2 && kinds1 === kinds2, rows: await storedYears(tx) };
    });
    expect(r.first.status).toBe('ok');
    expect(r.first.counts).toEqual({ inserted: 4, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.again.counts).toEqual({ inserted: 0, updated: 0, unchanged: 4, deleted: 0 });
    expect(r.again.derived).toEqual([]);
    expect(r.v2).toBe(r.v1);
    expect(r.same).toBe(true);
    expect(r.edit.counts).toEqual({ inserted: 0, updated: 1, unchanged: 3, deleted: 0 });
    // A (founded 2015, R&D 10% of revenue, 6 patents, growth 30%) is a fledgling each year
    expect(r.edit.derived).toContain('classification: 3 firm-years of 1 firms recomputed (firm-kinds-v1), 3 classified');
    expect(r.v3).toBeGreaterThan(r.v2);
    expect(r.rows.map((x) => x.revenue)).toEqual([100, 101, 100, 500]);
  });

  it('the SQL pre-filter of the reclassification drops no kind: every stored firm reclassified gives the full classification', async () => {
    const r = await rolledBack(db, async (tx) => {
      const before = await digest(tx, 'firm_kind');
      const line = await reclassifyFirms(tx, sql`SELECT id FROM firm`, true);
      return { before, after: await digest(tx, 'firm_kind'), line };
    });
    expect(Number(r.before.split(':')[0])).toBeGreaterThan(0);
    expect(r.after).toBe(r.before);
    expect(r.line).toMatch(/^classification: \d+ firm-years of \d+ firms recomputed \(firm-kinds-v1\), \d+ classified$/);
  });

  it('a bulk insert puts the foreign keys back as they were, and they still refuse a row without its firm', async () => {
    const keys = (tx: Db) => tx.query<{ name: string; def: string }>(sql`
      SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'firm_year'::regclass AND contype = 'f'`);
    const r = await rolledBack(db, async (tx) => {
      const before = await keys(tx);
      await importCsv(tx, firmsImporter, firms());
      // minRows 0: the drop / re-add path whatever the size
      await bulkInsert(tx, 'firm_year', 1, () => tx.query(sql`
        INSERT INTO firm_year (firm_id, year, revenue, employees, assets, leverage, rnd, patents) VALUES (${A}, 2016, 1, 1, 1, 0.1, 1, 1)`), 0);
      return { before, after: await keys(tx), rows: await storedYears(tx) };
    });
    expect(r.before).toEqual([{ name: 'firm_year_firm_id_fkey', def: 'FOREIGN KEY (firm_id) REFERENCES firm(id) ON DELETE CASCADE' }]);
    expect(r.after).toEqual(r.before);
    expect(r.rows.map((x) => [x.firm_id, x.year])).toEqual([[A, 2016]]);
    await expect(rolledBack(db, (tx) => bulkInsert(tx, 'firm_year', 1, () => tx.query(sql`
      INSERT INTO firm_year (firm_id, year, revenue, employees, assets, leverage, rnd, patents) VALUES (999999999, 2016, 1, 1, 1, 0.1, 1, 1)`), 0)))
      .rejects.toThrow(/firm_year_firm_id_fkey/);
  });
});
