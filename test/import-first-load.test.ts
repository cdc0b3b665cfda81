// A first load of firm-years straight into firm_year (src/import/firm-years-load.ts): the same rows, kinds, keys and
// indexes as the staged path gives; a stored firm-year, a repeat, a bad cell or an unknown firm make it give up and
// the file is read again and compared, so the report is the staged path's. Files are sized so the straight path
// applies: ~13 k rows (a tenth of the demo's firm-years: the primary key stays during the COPY) and ~120 k rows
// (more than the demo's: keys and indexes are set aside and rebuilt). Everything runs in rolled-back transactions.
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { classifyPreview, ensureClassified } from '../src/domain/index.js';
import { classificationFresh } from '../src/import/classify.js';
import { runImport } from '../src/import/core.js';
import { firmsImporter } from '../src/import/firms.js';
import { firmYearsImporter } from '../src/import/firm-years.js';
import { STRAIGHT_MIN_ROWS } from '../src/import/firm-years-load.js';
import { importCsv, input, rolledBack } from './import-helpers.js';
import { getStore, keepDatasetMeta } from './helpers/store.js';

keepDatasetMeta();

let db: Db;
let code: string;
const FIRST = 930000001;
const HEADER = 'firm_id,year,revenue,employees,assets,leverage,rnd,patents,valuation_usd,revenue_growth';

beforeAll(async () => {
  db = (await getStore()).db;
  [{ code }] = await db.query<{ code: string }>(sql`SELECT code FROM city ORDER BY code LIMIT 1`);
  await ensureClassified(db);
}, 600_000);

/** `n` firms founded 2005–2016, some listed, some strategic-emerging: a mix that meets each kind and none. */
const firmsCsv = (n: number) => ['id,name,code,industry,founded,strategic_emerging',
  ...Array.from({ length: n }, (_, i) => `${FIRST + i},Load ${i},${code},software,${2005 + (i % 12)}-0${1 + (i % 9)}-01,${i % 3 === 0}`)].join('\n');

/** `years` firm-years of each of `n` firms from 2010, figures varied so that some firm-years classify. */
function yearsCsv(n: number, years: number): string {
  const lines = [HEADER];
  for (let y = 0; y < years; y++) {
    for (let i = 0; i < n; i++) {
      const k = i * 31 + y * 7;
      lines.push(`${FIRST + i},${2010 + y},${50 + (k % 900)},${5 + (k % 400)},${80 + (k % 700)},0.${k % 9},${1 + (k % 60)},${k % 11},${k % 5 === 0 ? 1e9 + k : ''},0.${k % 8}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const ours = (n: number) => sql`firm_id BETWEEN ${FIRST}::int AND ${FIRST + n - 1}::int`;
const rowsOf = (tx: Db, n: number) => tx.query<Record<string, unknown>>(sql`
  SELECT firm_id, year, revenue, employees, assets, leverage, rnd, patents, valuation_usd, revenue_growth, intended_kind
  FROM firm_year WHERE ${ours(n)} ORDER BY firm_id, year`);
const kindsOf = (tx: Db, n: number) => tx.query<Record<string, unknown>>(sql`
  SELECT firm_id, year, kind, qualified::text AS qualified, reasons::text AS reasons FROM firm_kind
  WHERE rule_version = 'firm-kinds-v1' AND ${ours(n)} ORDER BY firm_id, year`);
// every key and index on firm_year and the foreign keys that reference it
const shape = (tx: Db) => tx.query<{ owner: string; def: string }>(sql`
  SELECT conrelid::regclass::text AS owner, conname || ' ' || pg_get_constraintdef(oid) AS def FROM pg_constraint
  WHERE conrelid = 'firm_year'::regclass OR confrelid = 'firm_year'::regclass
  UNION ALL SELECT 'index', pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'firm_year'::regclass
  ORDER BY 1, 2`);

/** Statistics of firm_year as they are: the straight path weighs the file against the rows the planner counts, and a
 *  rolled-back load leaves its rows in that count (an index build or ANALYZE writes it in place, whatever the
 *  transaction does after). */
const current = () => db.query(sql`ANALYZE firm_year`);

/** Imports the firms, then `file` through the core (a Buffer: it can be read again) or, `staged`, through the
 *  importer itself (no second read: the staged path); returns the report and what was stored. */
async function load(n: number, file: string, staged = false) {
  await current();
  return rolledBack(db, async (tx) => {
    const before = await shape(tx);
    expect((await importCsv(tx, firmsImporter, firmsCsv(n))).report?.counts.inserted).toBe(n);
    const report = staged
      ? await firmYearsImporter.run(tx, input(file), {}).then((r) => ({ ...r, status: 'ok' as const }), (e) => ({ status: 'rejected' as const, problems: e.problems, derived: [] as string[], counts: null }))
      : await runImport(tx, 'firm-years', input(file));
    return {
      report, rows: await rowsOf(tx, n), kinds: await kindsOf(tx, n), sameShape: JSON.stringify(await shape(tx)) === JSON.stringify(before),
      fresh: await classificationFresh(tx),
      preview: (await classifyPreview(tx, undefined, { firmIds: Array.from({ length: n }, (_, i) => FIRST + i) })).filter((c) => c.kind)
        .map((c) => ({ firm_id: c.firmId, year: c.year, kind: c.kind })),
    };
  });
}

describe('first load of firm-years straight into firm_year', () => {
  const N = 1000, YEARS = 13;
  const file = yearsCsv(N, YEARS);

  it('the file is large enough for the straight path (by its size) and a tenth of the stored firm-years', async () => {
    const [s] = await db.query<{ rows: number }>(sql`SELECT count(*)::int AS rows FROM firm_year`);
    expect(Buffer.byteLength(file) / 48).toBeGreaterThanOrEqual(STRAIGHT_MIN_ROWS);
    expect(N * YEARS * 10).toBeGreaterThanOrEqual(s.rows);
    expect(N * YEARS).toBeLessThan(s.rows); // the primary key stays during this COPY
  });

  it('stores the rows, kinds, keys and indexes the staged path stores; the classification stays current', async () => {
    const straight = await load(N, file);
    const staged = await load(N, file, true);
    expect(straight.report.status).toBe('ok');
    expect(straight.report.counts).toEqual({ inserted: N * YEARS, updated: 0, unchanged: 0, deleted: 0 });
    expect(straight.report.derived?.[0]).toBe(`firm_year: ${N * YEARS} new rows copied straight in (none of the file's firm-years was stored)`);
    expect(straight.report.derived?.[1]).toMatch(new RegExp(`^classification: the ${N * YEARS} new firm-years classified \\(firm-kinds-v1\\), ${straight.kinds.length} classified$`));
    expect(staged.report.derived?.join('\n')).not.toMatch(/straight/);
    expect(straight.rows).toHaveLength(N * YEARS);
    expect(straight.rows).toEqual(staged.rows);
    expect(straight.kinds.length).toBeGreaterThan(100);
    expect(straight.kinds).toEqual(staged.kinds);
    expect(straight.kinds.map((k) => ({ firm_id: k.firm_id, year: k.year, kind: k.kind }))).toEqual(straight.preview);
    expect(new Set(straight.kinds.map((k) => k.kind))).toEqual(new Set(['fledgling', 'gazelle', 'unicorn']));
    expect(straight.sameShape).toBe(true);
    expect(straight.fresh).toBe(true);
  }, 120_000);

  /** Imports the firms; returns the file with a stored firm-year (with other figures) before its data line `at`. */
  async function withStoredYear(tx: Db, at: number): Promise<string> {
    const [d] = await tx.query<{ firm_id: number; year: number }>(sql`SELECT firm_id, year FROM firm_year ORDER BY firm_id, year LIMIT 1`);
    await importCsv(tx, firmsImporter, firmsCsv(N));
    const lines = file.trimEnd().split('\n');
    lines.splice(at, 0, `${d.firm_id},${d.year},1,1,1,0.1,1,1,,`);
    return `${lines.join('\n')}\n`;
  }

  // past the first 64 kB (line 6001): tried, refused by the primary key, read again; among the first lines: not tried
  it.each([
    [6000, 'a first load straight into firm_year was tried and given up (a firm-year is stored already or repeated in the file): the file was read again and compared with the store'],
    [3, 'not loaded straight into firm_year: the firm-year on line 4 is stored already, so the file is compared with the store'],
  ])('a firm-year already stored before data line %i: that row is updated, and the report says how', async (at, line) => {
    await current();
    const r = await rolledBack(db, async (tx) => runImport(tx, 'firm-years', input(await withStoredYear(tx, at))));
    expect(r.status).toBe('ok');
    expect(r.counts).toEqual({ inserted: N * YEARS, updated: 1, unchanged: 0, deleted: 0 });
    expect(r.derived![0]).toBe(line);
  }, 120_000);

  it('a file on disk read twice (an attempt given up) is recorded with its digest: the same file again is known unchanged', async () => {
    await current();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agglomera-first-load-'));
    try {
      const r = await rolledBack(db, async (tx) => {
        const f = path.join(dir, 'years.csv');
        writeFileSync(f, await withStoredYear(tx, 6000));
        const fromDisk = () => ({ fileName: 'years.csv', body: createReadStream(f, { highWaterMark: 1 << 20 }), path: f });
        return { first: await runImport(tx, 'firm-years', fromDisk()), again: await runImport(tx, 'firm-years', fromDisk()) };
      });
      expect(r.first.counts).toEqual({ inserted: N * YEARS, updated: 1, unchanged: 0, deleted: 0 });
      expect(r.first.derived![0]).toMatch(/^a first load straight into firm_year was tried and given up/);
      expect(r.again.counts).toEqual({ inserted: 0, updated: 0, unchanged: N * YEARS + 1, deleted: 0 });
      expect(r.again.derived).toEqual([expect.stringMatching(new RegExp(`^unchanged: the same file \\(sha256 [0-9a-f]{12}…\\) and options as import ${r.first.id}`))]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a repeat, a bad cell or an unknown firm: the report of the staged path, nothing written', async () => {
    const lines = file.trimEnd().split('\n');
    const variants = {
      repeat: [...lines.slice(0, 9000), lines[4000], ...lines.slice(9000)],
      badCell: lines.map((l, i) => (i === 7000 ? l.replace(/^(\d+,\d+),\d+/, '$1,lots') : l)),
      unknownFirm: lines.map((l, i) => (i === 8000 ? l.replace(/^\d+/, '999999999') : l)),
    };
    for (const [name, v] of Object.entries(variants)) {
      const text = `${v.join('\n')}\n`;
      const straight = await load(N, text);
      const staged = await load(N, text, true);
      expect(straight.report.status, name).toBe('rejected');
      expect(straight.report.problems, name).toEqual(staged.report.problems);
      expect(straight.report.problems.length, name).toBe(1);
      expect(straight.rows, name).toEqual([]);
      expect(straight.sameShape, name).toBe(true);
    }
  }, 240_000);

  it('a stream that cannot be read again takes the staged path', async () => {
    await current();
    const r = await rolledBack(db, async (tx) => {
      await importCsv(tx, firmsImporter, firmsCsv(N));
      return runImport(tx, 'firm-years', { fileName: 'panel.csv', body: Readable.from([Buffer.from(file)]) });
    });
    expect(r.counts.inserted).toBe(N * YEARS);
    expect(r.derived!.join('\n')).not.toMatch(/straight/);
  }, 120_000);
});

describe('first load larger than the stored firm-years (keys and indexes rebuilt)', () => {
  const N = 12_000, YEARS = 12;
  const file = yearsCsv(N, YEARS);

  it('loads straight, with every key and index back as it was; a repeat is found when the key is rebuilt', async () => {
    const [s] = await db.query<{ rows: number }>(sql`SELECT count(*)::int AS rows FROM firm_year`);
    expect(Buffer.byteLength(file) / 48).toBeGreaterThanOrEqual(s.rows);
    const ok = await load(N, file);
    expect(ok.report.status).toBe('ok');
    expect(ok.report.derived?.[0]).toBe(`firm_year: ${N * YEARS} new rows copied straight in (none of the file's firm-years was stored)`);
    expect(ok.rows).toHaveLength(N * YEARS);
    expect(ok.kinds.map((k) => ({ firm_id: k.firm_id, year: k.year, kind: k.kind }))).toEqual(ok.preview);
    expect(ok.sameShape).toBe(true);
    // the last line again at the end: only the rebuilt primary key can see it
    const lines = file.trimEnd().split('\n');
    const repeated = await load(N, `${[...lines, lines[lines.length - 1]].join('\n')}\n`);
    expect(repeated.report.status).toBe('rejected');
    expect(repeated.report.problems.map((p: { line: number; reason: string }) => [p.line, p.reason]))
      .toEqual([[lines.length + 1, `duplicate firm-year (${FIRST + N - 1}, ${2010 + YEARS - 1}): also on line ${lines.length}`]]);
    expect(repeated.rows).toEqual([]);
    expect(repeated.sameShape).toBe(true);
  }, 300_000);
});
