// The fast path of the fixed-layout CSV imports (src/import/csv-scan.ts, copy-text.ts, wide.ts): plain lines staged as
// they stand, other lines (spaces, '+', exponents, NA, quotes) through the precise checks, and both stored alike;
// problems name the same line / column / value / reason on either path; an unchanged re-import writes nothing and
// leaves the data version; the classification's SQL pre-filter (src/db/queries/kind-filter.ts) drops no kind.
// Everything runs in rolled-back transactions: the shared demo store is left as it was.
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { classifyPreview, ensureClassified } from '../src/domain/index.js';
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

const kindsOf = (tx: Db) => tx.query<{ id: number; year: number; kind: string }>(sql`
  SELECT firm_id AS id, year, kind FROM firm_kind WHERE firm_id IN (${A}, ${B}) AND rule_version = 'firm-kinds-v1' ORDER BY firm_id, year`);
const previewOf = async (tx: Db) => (await classifyPreview(tx, undefined, { firmIds: [A, B] }))
  .filter((c) => c.kind).map((c) => ({ id: c.firmId, year: c.year, kind: c.kind }));

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
    // a bare stream: no digest, so the file is read in and compared row by row
    const streamed = (text: string) => ({ fileName: 'panel.csv', body: Readable.from([Buffer.from(text)]) });
    const r = await rolledBack(db, async (tx) => {
      await importCsv(tx, firmsImporter, firms());
      const first = await runImport(tx, 'firm-years', input(file));
      const [v1, years1, kinds1] = [await currentDataVersion(tx), await digest(tx, 'firm_year'), await digest(tx, 'firm_kind')];
      const again = await runImport(tx, 'firm-years', streamed(file));
      const same = await runImport(tx, 'firm-years', input(file));
      const [v2, years2, kinds2] = [await currentDataVersion(tx), await digest(tx, 'firm_year'), await digest(tx, 'firm_kind')];
      const edit = await runImport(tx, 'firm-years', input(file.replace(`${A},2016,100`, `${A},2016,101`)));
      return { first, again, same, edit, v1, v2, v3: await currentDataVersion(tx), unchanged: years1 === years2 && kinds1 === kinds2, rows: await storedYears(tx) };
    });
    expect(r.first.status).toBe('ok');
    expect(r.first.counts).toEqual({ inserted: 4, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.again.counts).toEqual({ inserted: 0, updated: 0, unchanged: 4, deleted: 0 });
    expect(r.again.derived).toEqual([]);
    // the same bytes (digest known) with nothing written since: answered from the latest such import's record (the
    // streamed one: its digest was taken as it was read)
    expect(r.same.status).toBe('ok');
    expect(r.same.rowsRead).toBe(4);
    expect(r.same.counts).toEqual({ inserted: 0, updated: 0, unchanged: 4, deleted: 0 });
    expect(r.same.derived).toEqual([expect.stringMatching(new RegExp(`^unchanged: the same file \\(sha256 [0-9a-f]{12}…\\) and options as import ${r.again.id}, and nothing written since`))]);
    expect(r.v2).toBe(r.v1);
    expect(r.unchanged).toBe(true);
    expect(r.edit.counts).toEqual({ inserted: 0, updated: 1, unchanged: 3, deleted: 0 });
    // only the edited firm-year is classified again; A (founded 2015, R&D 10% of revenue, 6 patents, growth 30%) is a fledgling
    expect(r.edit.derived).toContain('classification: 1 firm-years of 1 firms recomputed (firm-kinds-v1), 1 classified');
    expect(r.v3).toBeGreaterThan(r.v2);
    expect(r.rows.map((x) => x.revenue)).toEqual([100, 101, 100, 500]);
  });

  it('the same file after any write since (a hand edit, other options) is compared in full: the edit is found and undone', async () => {
    const file = [HEADER, `${A},2016,100,40,80,0.3,10,6,,0.3`, `${B},2016,500,300,900,0.5,5,1,,0.02`].join('\n');
    const r = await rolledBack(db, async (tx) => {
      await importCsv(tx, firmsImporter, firms());
      const first = await runImport(tx, 'firm-years', input(file));
      // a write that is no import at all: the statement trigger moves the data version
      await tx.query(sql`UPDATE firm_year SET revenue = 999 WHERE firm_id = ${A} AND year = 2016`);
      const afterEdit = await runImport(tx, 'firm-years', input(file));
      const otherOptions = await runImport(tx, 'firm-years', input(file), { replace: true });
      const same = await runImport(tx, 'firm-years', input(file), { replace: true });
      await ensureClassified(tx); // current again after the hand edit: the next import keeps it current
      const kindsBefore = await kindsOf(tx);
      // R&D 0: A's 2016 is no fledgling any more; its stored kind goes, B's stays
      const noRnd = await runImport(tx, 'firm-years', input(file.replace(`${A},2016,100,40,80,0.3,10`, `${A},2016,100,40,80,0.3,0`)));
      return { first, afterEdit, otherOptions, same, noRnd, kindsBefore, kindsAfter: await kindsOf(tx), preview: await previewOf(tx), rows: await storedYears(tx) };
    });
    expect(r.first.counts).toEqual({ inserted: 2, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.afterEdit.counts).toEqual({ inserted: 0, updated: 1, unchanged: 1, deleted: 0 });
    expect(r.afterEdit.derived).not.toEqual([expect.stringMatching(/^unchanged: the same file/)]);
    expect(r.otherOptions.counts).toEqual({ inserted: 0, updated: 0, unchanged: 2, deleted: 0 });
    expect(r.otherOptions.derived).toEqual([]);
    expect(r.same.derived).toEqual([expect.stringMatching(/^unchanged: the same file/)]);
    expect(r.noRnd.derived).toEqual(['classification: 1 firm-years of 1 firms recomputed (firm-kinds-v1), 0 classified']);
    expect(r.kindsBefore.filter((k) => k.id === A)).toEqual([{ id: A, year: 2016, kind: 'fledgling' }]);
    expect(r.kindsAfter.filter((k) => k.id === A)).toEqual([]);
    expect(r.kindsAfter.filter((k) => k.id === B)).toEqual(r.kindsBefore.filter((k) => k.id === B));
    expect(r.kindsAfter).toEqual(r.preview); // as a full classification would have it
    expect(r.rows.map((x) => x.revenue)).toEqual([100, 500]);
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
  it('a bulk insert that at least doubles the table rebuilds its keys and indexes as they were, and they still hold', async () => {
    // every key and index on firm_year, and the foreign keys of other tables that reference it
    const shape = (tx: Db) => tx.query<{ owner: string; def: string }>(sql`
      SELECT conrelid::regclass::text AS owner, conname || ' ' || pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = 'firm_year'::regclass OR confrelid = 'firm_year'::regclass
      UNION ALL SELECT 'index', pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'firm_year'::regclass
      ORDER BY 1, 2`);
    const insert = (tx: Db, firm: number) => () => tx.query(sql`
      INSERT INTO firm_year (firm_id, year, revenue, employees, assets, leverage, rnd, patents) VALUES (${firm}, 2016, 1, 1, 1, 0.1, 1, 1)`);
    // rows claimed far above the table's: the path of a first load of a million rows, whatever the size here
    const HUGE = 1e9;
    const r = await rolledBack(db, async (tx) => {
      const before = await shape(tx);
      await importCsv(tx, firmsImporter, firms());
      await bulkInsert(tx, 'firm_year', HUGE, insert(tx, A), 0);
      return { before, after: await shape(tx), rows: await storedYears(tx) };
    });
    expect(r.before.map((x) => x.def)).toEqual(expect.arrayContaining([
      'firm_year_pkey PRIMARY KEY (firm_id, year)',
      'firm_year_firm_id_fkey FOREIGN KEY (firm_id) REFERENCES firm(id) ON DELETE CASCADE',
      'CREATE INDEX firm_year_year_idx ON public.firm_year USING btree (year)',
    ]));
    expect(r.before.filter((x) => x.owner === 'firm_kind')).toHaveLength(1);
    expect(r.after).toEqual(r.before);
    expect(r.rows.map((x) => [x.firm_id, x.year])).toEqual([[A, 2016]]);
    // the rebuilt primary key refuses a repeat, the rebuilt foreign keys a row without its firm / firm-year
    const [stored] = await db.query<{ firm_id: number }>(sql`SELECT firm_id FROM firm_year WHERE year = 2016 ORDER BY firm_id LIMIT 1`);
    await expect(rolledBack(db, (tx) => bulkInsert(tx, 'firm_year', HUGE, insert(tx, stored.firm_id), 0))).rejects.toThrow(/firm_year_pkey/);
    await expect(rolledBack(db, (tx) => bulkInsert(tx, 'firm_year', HUGE, insert(tx, 999999999), 0))).rejects.toThrow(/firm_year_firm_id_fkey/);
  });

  it('a first import (every row new) that repeats a firm-year is rejected at that line, nothing written', async () => {
    const r = await rolledBack(db, async (tx) => {
      await importCsv(tx, firmsImporter, firms());
      const before = await digest(tx, 'firm_year');
      const csv = `${HEADER}\n${A},2016,1,1,1,0.1,1,1,,\n${B},2016,2,2,2,0.2,2,2,,\n${A},2017,3,3,3,0.3,3,3,,\n${A},2016,4,4,4,0.4,4,4,,\n`;
      const out = await importCsv(tx, firmYearsImporter, csv);
      return { out, same: (await digest(tx, 'firm_year')) === before };
    });
    expect(r.out.rejected!.problemCount).toBe(1);
    expect(r.out.rejected!.problems.map((p) => [p.line, p.column, p.value, p.reason])).toEqual([[5, 'firm_id', `${A}, 2016`, 'duplicate firm-year (' + A + ', 2016): also on line 2']]);
    expect(r.same).toBe(true);
  });
});
