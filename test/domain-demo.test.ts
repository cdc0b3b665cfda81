// The domain layer on the demo store (shared, migrated, demo-loaded): the v1 rule set reproduces the generator's
// intended kinds on every firm-year, kinds change over firms' lives, reasons are kept, panels and the cache work.
import { namedVariables } from '../src/composites/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import {
  cityAgglomeration, cityPanel, classifyAll, compareWithIntended, CITY_PANEL_COLUMNS, dataVersion, DEFAULT_RULE_SET,
  explainFirmYear, firmPanel, firmsChangingKind, nqpWeights, rta,
} from '../src/domain/index.js';
import { getStore } from './helpers/store.js';
import { loadCityFeatures } from '../src/demo/cities.js';
import { DEMO_RULES_V1, generateDemo, NQP_INDICATORS as DEMO_INDICATORS } from '../src/demo/generate.js';
import { NQP_INDICATORS } from '../src/domain/indicators.js';
import type { Condition } from '../src/domain/rules.js';

let db: Db;
beforeAll(async () => {
  db = (await getStore()).db;
  await classifyAll(db, DEFAULT_RULE_SET);
}, 600_000);

describe('alignment with the generator', () => {
  it('the v1 rule set has the thresholds of DEMO_RULES_V1', () => {
    const r = DEFAULT_RULE_SET, d = DEMO_RULES_V1;
    const cond = (kind: 'fledgling' | 'gazelle' | 'unicorn', metric: string) =>
      r.kinds[kind].all.filter((c): c is Condition => 'metric' in c && c.metric === metric).map((c) => [c.op, c.value]);
    expect(r.precedence).toEqual([...d.precedence]);
    expect(r.ageBasis).toBe('calendar'); // d.age: year − year(founded)
    expect(r.exclude).toEqual([{ metric: 'stFlag', op: '==', value: d.exclude.stFlag }, { metric: 'financial', op: '==', value: d.exclude.financial }]);
    expect(cond('fledgling', 'age')).toEqual([['<', d.fledgling.maxAgeExclusive]]);
    expect(cond('fledgling', 'rndIntensity')).toEqual([['>=', d.fledgling.minRndIntensity]]);
    expect(cond('fledgling', 'patents')).toEqual([['>=', d.fledgling.minPatents]]);
    expect(cond('fledgling', 'revenueGrowth')).toEqual([['>=', d.fledgling.minRevenueGrowth]]);
    expect(cond('gazelle', 'age')).toEqual([['>=', d.gazelle.minAge]]);
    expect(cond('gazelle', 'revenueGrowth')).toEqual([['>=', d.gazelle.minRevenueGrowth]]);
    expect(cond('gazelle', 'strategicEmerging')).toEqual([['==', d.gazelle.strategicEmerging]]);
    expect(cond('unicorn', 'age')).toEqual([['<', d.unicorn.maxAgeExclusive]]);
    expect(cond('unicorn', 'valuationUsd')).toEqual([['>', d.unicorn.minValuationUsdExclusive]]);
    expect(cond('unicorn', 'listed')).toEqual([['==', !d.unicorn.unlisted]]);
    expect(r.kinds.fledgling.all).toHaveLength(4);
    expect(r.kinds.gazelle.all).toHaveLength(3);
    expect(r.kinds.unicorn.all).toHaveLength(3);
  });

  it('the NQP indicators and directions are those of the generator', () => {
    expect(NQP_INDICATORS.map((i) => [i.key, i.dimension, i.direction])).toEqual(DEMO_INDICATORS.map((i) => [i.key, i.dimension, i.direction]));
  });

  it('default counts and RTA reproduce the counts and RTA the generator used, on every city-year', async () => {
    const cities = loadCityFeatures().map((f) => ({ code: f.properties.code, region: f.properties.region }));
    const truth = generateDemo(cities, { seed: 20260101 }).truth.panel;
    const got = new Map((await cityAgglomeration(db)).rows.map((r) => [`${r.cityCode}|${r.year}`, r]));
    expect(got.size).toBe(truth.length);
    let worst = 0;
    for (const t of truth) {
      const g = got.get(`${t.cityCode}|${t.year}`)!;
      expect([g.q1, g.q2, g.q3]).toEqual([t.q1, t.q2, t.q3]);
      worst = Math.max(worst, Math.abs(g.rta! - t.rtaUsed));
    }
    expect(worst).toBeLessThan(1e-12);
  }, 300_000);
});

describe('classification on the demo data', () => {
  it('reproduces intended_kind on every demo firm-year', async () => {
    const a = await compareWithIntended(db, DEFAULT_RULE_SET.version);
    expect(a.firmYears).toBeGreaterThan(1000);
    expect(a.mismatches).toEqual([]);
    expect(a.agree).toBe(a.firmYears);
  });

  it('has all three kinds, firms that change kind over their lives, and reasons on every row', async () => {
    const [k] = await db.query<{ kinds: number; rows: number; noReason: number }>(sql`
      SELECT count(DISTINCT kind)::int AS kinds, count(*)::int AS rows,
             count(*) FILTER (WHERE jsonb_array_length(reasons) = 0)::int AS "noReason"
      FROM firm_kind WHERE rule_version = ${DEFAULT_RULE_SET.version}`);
    expect(k.kinds).toBe(3);
    expect(k.rows).toBeGreaterThan(0);
    expect(k.noReason).toBe(0);
    const ch = await firmsChangingKind(db, DEFAULT_RULE_SET.version);
    expect(ch.firms).toBeGreaterThan(0);
    expect(new Set(ch.example!.kinds).size).toBeGreaterThan(1);
  });

  it('explains a stored classification with the reasons it was stored with', async () => {
    const [g] = await db.query<{ firmId: number; year: number }>(sql`
      SELECT firm_id AS "firmId", year FROM firm_kind WHERE rule_version = ${DEFAULT_RULE_SET.version} AND kind = 'gazelle'
      ORDER BY firm_id, year LIMIT 1`);
    const e = await explainFirmYear(db, g.firmId, g.year);
    expect(e.kind).toBe('gazelle');
    expect(e.stored?.kind).toBe('gazelle');
    expect(e.checks.find((c) => c.kind === 'gazelle')!.reasons).toEqual(e.stored!.reasons);
  });
});

describe('indices and panels on the demo data', () => {
  it('NQP weights sum to 1, pooled and per year', async () => {
    const w = await nqpWeights(db);
    expect(w.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(w.weights.every((x) => x > 0)).toBe(true);
    const [{ year }] = await db.query<{ year: number }>(sql`SELECT min(year)::int AS year FROM city_year`);
    const wy = await nqpWeights(db, year);
    expect(wy.year).toBe(year);
    expect(wy.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('assembles the city panel with every documented column and a report', async () => {
    const p = await cityPanel(db);
    // the documented columns, then every other named variable (the demo's 28 NQP indicators, imported ones, composites)
    const keys = Object.keys(p.columns);
    expect(keys.slice(0, CITY_PANEL_COLUMNS.length)).toEqual([...CITY_PANEL_COLUMNS]);
    const named = (await namedVariables(db)).map((v) => v.name).filter((n) => !(CITY_PANEL_COLUMNS as readonly string[]).includes(n));
    expect(new Set(keys.slice(CITY_PANEL_COLUMNS.length))).toEqual(new Set(named));
    expect(named.length).toBeGreaterThanOrEqual(28);
    expect(p.nrows).toBeGreaterThan(1000);
    for (const c of ['NQP', 'RTA', 'Popsiz', 'Findev']) expect((p.columns[c] as Float64Array).every(Number.isFinite)).toBe(true);
    expect(p.report.map((r) => r.rule)).toEqual(['years', 'dropStFirms', 'dropFinancialFirms', 'dropBrokenCities', 'dropMissing', 'nqpOutlier', 'balanced', 'log', 'winsorize']);
    expect(p.report.at(-1)!.rowsAfter).toBe(p.nrows);
    const f = await firmPanel(db, { sample: { winsorize: null } });
    expect(f.nrows).toBeGreaterThan(0);
    expect((f.columns.st as Float64Array).every((v) => v === 0)).toBe(true);
  });

  it('recomputes the cached measures when a firm-year changes (rolled back)', async () => {
    const before = await cityAgglomeration(db);
    expect((await cityAgglomeration(db)).cached).toBe(true);
    const [t] = await db.query<{ firmId: number; year: number; cityCode: string; kind: string }>(sql`
      SELECT k.firm_id AS "firmId", k.year, f.city_code AS "cityCode", k.kind FROM firm_kind k JOIN firm f ON f.id = k.firm_id
      WHERE k.rule_version = ${DEFAULT_RULE_SET.version} AND k.kind = 'unicorn' AND NOT f.st_flag AND NOT f.financial
      ORDER BY k.firm_id, k.year LIMIT 1`);
    const row = (r: typeof before) => r.rows.find((x) => x.cityCode === t.cityCode && x.year === t.year)!;
    const v0 = await dataVersion(db);
    const stop = new Error('rollback');
    await expect(db.transaction(async (tx) => {
      // without a valuation or growth the firm-year is of no kind any more
      await tx.query(sql`UPDATE firm_year SET valuation_usd = NULL, revenue_growth = 0 WHERE firm_id = ${t.firmId}::int AND year = ${t.year}::int`);
      const after = await cityAgglomeration(tx);
      expect(after.cached).toBe(false);
      expect(after.dataVersion).toBeGreaterThan(v0);
      const b = row(before), a = row(after);
      expect([a.q1, a.q2, a.q3]).toEqual([b.q1, b.q2, b.q3 - 1]);
      expect(a.rta).toBe(rta([b.q1, b.q2, b.q3 - 1]).value);
      expect(a.rta).not.toBe(b.rta);
      throw stop;
    })).rejects.toBe(stop);
    expect(await dataVersion(db)).toBe(v0);
    expect(row(await cityAgglomeration(db)).q3).toBe(row(before).q3);
  });
});
