// The domain layer on a small hand-made store (own in-memory database): classification with reasons and precedence,
// counts with the firm filters, the cache and its invalidation, NQP weights, the panels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../src/db/db.js';
import { migrate } from '../src/db/migrate.js';
import { insertCities, insertCityYears, insertFirms, insertFirmYears, type FirmRow, type FirmYearRow } from '../src/db/queries/load.js';
import { sql } from '../src/db/sql.js';
import {
  cityAgglomeration, cityPanel, classifyAll, compareWithIntended, dataVersion, firmsChangingKind, DomainInputError, explainFirmYear, firmKinds, firmPanel,
  nqpWeights, parseRuleSet, type RuleSet,
} from '../src/domain/index.js';

const rules: RuleSet = parseRuleSet({
  version: 'test-v1',
  ageBasis: 'calendar',
  precedence: ['unicorn', 'gazelle', 'fledgling'],
  kinds: {
    fledgling: { label: '雏鹰', wording: 'young and innovative', all: [
      { metric: 'age', op: '<', value: 10 },
      { any: [{ metric: 'rndIntensity', op: '>=', value: 0.05 }, { metric: 'patents', op: '>=', value: 5 }] },
    ] },
    gazelle: { label: '瞪羚', wording: 'fast growth', all: [
      { metric: 'age', op: '>=', value: 5 }, { metric: 'revenueGrowth', op: '>=', value: 0.2 },
      { metric: 'strategicEmerging', op: '==', value: true },
    ] },
    unicorn: { label: '独角兽', wording: 'valued', all: [
      { metric: 'age', op: '<', value: 10 }, { metric: 'valuationUsd', op: '>', value: 1e9 }, { metric: 'listed', op: '==', value: false },
    ] },
  },
});

const square = (x: number) => ({ type: 'Polygon', coordinates: [[[x, 30], [x + 1, 30], [x + 1, 31], [x, 31], [x, 30]]] });
const firm = (id: number, cityCode: string, founded: string, o: Partial<FirmRow> = {}): FirmRow => ({
  id, name: `F${id}`, cityCode, industry: 'software', techIntensive: true, strategicEmerging: false, founded,
  listed: false, listedOn: null, stFlag: false, financial: false, ...o,
});
const fy = (firmId: number, year: number, rndShare: number, growth: number | null, o: Partial<FirmYearRow> = {}): FirmYearRow => ({
  firmId, year, revenue: 100, employees: 50, assets: 200, leverage: 0.4, rnd: 100 * rndShare, patents: 0,
  valuationUsd: null, revenueGrowth: growth, intendedKind: null, ...o,
});

let db: Db;
beforeAll(async () => {
  db = await openDb({});
  await migrate(db);
  await insertCities(db, ['110100', '120100', '130100'].map((code, i) => ({
    code, name: `City${i}`, province: `P${i}`, provinceCode: code, region: 'East' as const, geometry: square(110 + 2 * i),
  })));
  await insertFirms(db, [
    firm(1, '110100', '2008-06-01'),
    firm(2, '110100', '2003-01-01', { strategicEmerging: true }),
    firm(3, '120100', '2004-05-05', { listed: true, listedOn: '2011-07-01' }),
    firm(4, '120100', '2009-01-01', { stFlag: true }),
    firm(5, '130100', '2009-01-01', { financial: true }),
    firm(6, '130100', '2000-01-01'),
  ]);
  await insertFirmYears(db, [2010, 2011, 2012].flatMap((y) => [
    fy(1, y, 0.1, 0.05),
    fy(2, y, y === 2012 ? 0.06 : 0.01, y === 2010 ? 0.1 : y === 2011 ? 0.3 : 0.25),
    fy(3, y, 0.08, 0.1, { valuationUsd: 2e9 }),
    fy(4, y, 0.2, 0.1),
    fy(5, y, 0.2, 0.1),
    fy(6, y, 0.0, 0.0),
  ]));
  await insertCityYears(db, ['110100', '120100', '130100'].flatMap((cityCode, c) => [2010, 2011, 2012].map((year, t) => ({
    cityCode, year, population: 100 * (c + 1), urbanShare: 0.5, fiscalSpending: 30, fiscalRevenue: 20 + t, tertiaryShare: 0.4,
    educationShare: 0.15, loans: 80, gdp: 100 + 10 * c, nqpIndicators: [1 + c + t, 10 - c * c, 3 + ((c * 7 + t) % 4)], dfu: 1, rid: 2, pc: 3 + c,
  }))));
}, 120_000);
afterAll(async () => { await db?.close(); });

describe('classification', () => {
  it('classifies each firm-year from its own figures, with precedence and reasons, in one transaction', async () => {
    const s = await classifyAll(db, rules);
    // f1 fledgling ×3, f2 none/gazelle/gazelle, f3 unicorn/fledgling/fledgling, f4 f5 fledgling ×3 each, f6 none
    expect(s).toEqual({ ruleVersion: 'test-v1', firmYears: 18, counts: { fledgling: 11, gazelle: 2, unicorn: 1, none: 4 }, multiQualified: 2 });
    const k = await firmKinds(db, [2, 3], 'test-v1');
    expect(k.map((r) => [r.firmId, r.year, r.kind, r.qualified])).toEqual([
      [2, 2011, 'gazelle', ['gazelle']],
      [2, 2012, 'gazelle', ['gazelle', 'fledgling']],
      // listed on 2011-07-01: a unicorn in 2010 only, then a fledgling (a kind changing over the firm's life)
      [3, 2010, 'unicorn', ['unicorn', 'fledgling']],
      [3, 2011, 'fledgling', ['fledgling']],
      [3, 2012, 'fledgling', ['fledgling']],
    ]);
    expect(k[2].reasons).toEqual(['age 6 < 10', 'valuation USD 2e9 > 1e9', 'not listed']);
    expect(k[0].reasons).toEqual(['age 8 ≥ 5', 'revenue growth 0.3 ≥ 0.2', 'strategic emerging industry']);
    expect(k[3].reasons).toEqual(['age 7 < 10', 'R&D/revenue 0.08 ≥ 0.05']);
  });

  it('compares with intended_kind and finds firms changing kind', async () => {
    // the hand-made firm-years carry no intended kind: only the 4 unclassified ones agree
    const a = await compareWithIntended(db, 'test-v1', 3);
    expect([a.firmYears, a.agree, a.mismatches.length]).toEqual([18, 4, 3]);
    expect(a.mismatches[0]).toEqual({ firmId: 1, year: 2010, stored: 'fledgling', intended: null });
    expect(await firmsChangingKind(db, 'test-v1')).toEqual({ firms: 2, example: { firmId: 2, kinds: [null, 'gazelle', 'gazelle'] } });
  });

  it('explains why a firm-year was not of a kind', async () => {
    const e = await explainFirmYear(db, 2, 2010, rules);
    expect(e.kind).toBeNull();
    expect(e.stored).toBeNull();
    const gazelle = e.checks.find((c) => c.kind === 'gazelle')!;
    expect(gazelle.met).toBe(false);
    expect(gazelle.reasons).toEqual(['age 7 ≥ 5', 'strategic emerging industry']);
    expect(gazelle.failures).toEqual(['revenue growth 0.1 < 0.2']);
    expect(e.checks.find((c) => c.kind === 'fledgling')!.failures).toEqual(['none of: R&D/revenue 0.01 < 0.05; patents 0 < 5']);
    const e3 = await explainFirmYear(db, 3, 2011, rules);
    expect(e3.stored?.kind).toBe('fledgling');
    expect(e3.checks[0].failures).toEqual(['listed']);
    await expect(explainFirmYear(db, 3, 1990, rules)).rejects.toThrow(DomainInputError);
  });

  it('rejects a malformed rule set naming the field', () => {
    const bad = { ...rules, kinds: { ...rules.kinds, unicorn: { ...rules.kinds.unicorn, all: [{ metric: 'height', op: '<', value: 1 }] } } };
    try { parseRuleSet(bad); expect.unreachable(); } catch (e) {
      expect((e as DomainInputError).field).toMatch(/^ruleSet\.kinds\.unicorn\.all\.0/);
    }
    expect(() => parseRuleSet({ ...rules, precedence: ['unicorn', 'unicorn', 'gazelle'] })).toThrow(/ruleSet\.precedence/);
  });
});

describe('counts, co-agglomeration and the cache', () => {
  const pick = (rows: { cityCode: string; year: number }[], c: string, y: number) => rows.find((r) => r.cityCode === c && r.year === y)!;

  it('counts Q1..Q3 per city-year in one statement, without ST and financial firms by default', async () => {
    const r = await cityAgglomeration(db, { ruleSet: rules });
    expect(r.rows).toHaveLength(9);
    const q = (c: string, y: number) => { const x = pick(r.rows, c, y) as (typeof r.rows)[0]; return [x.q1, x.q2, x.q3, x.nFirms]; };
    expect(q('110100', 2010)).toEqual([1, 0, 0, 2]);
    expect(q('110100', 2011)).toEqual([1, 1, 0, 2]);
    expect(q('120100', 2010)).toEqual([0, 0, 1, 1]);
    expect(q('120100', 2011)).toEqual([1, 0, 0, 1]);
    expect(q('130100', 2012)).toEqual([0, 0, 0, 1]);
    const all = await cityAgglomeration(db, { ruleSet: rules, dropStFirms: false, dropFinancialFirms: false });
    expect([pick(all.rows, '120100', 2010), pick(all.rows, '130100', 2012)].map((x: any) => [x.q1, x.q2, x.q3, x.nFirms])).toEqual([[1, 0, 1, 2], [1, 0, 0, 2]]);
    // (1, 1, 0): population Var 2/9 → RTA 4.5; (0, 0, 0) capped at 4.5 with a note
    const a = pick(r.rows, '110100', 2011) as (typeof r.rows)[0];
    expect(a.rta).toBeCloseTo(4.5, 12);
    expect(a.invHhi).toBeCloseTo(2, 12);
    expect((pick(r.rows, '130100', 2012) as (typeof r.rows)[0]).rtaNote).toMatch(/capped/);
  });

  it('serves the cache for the same data version and recomputes when data change (rolled back)', async () => {
    const first = await cityAgglomeration(db, { ruleSet: rules, rta: { zeroVariance: 'null' } });
    const again = await cityAgglomeration(db, { ruleSet: rules, rta: { zeroVariance: 'null' } });
    expect(again.cached).toBe(true);
    expect(again.dataVersion).toBe(first.dataVersion);
    expect(again.rows).toEqual(first.rows);
    const v0 = await dataVersion(db);
    const rollback = new Error('rollback');
    await expect(db.transaction(async (tx) => {
      // firm 2 no longer grows fast in 2011: not a gazelle → city 110100 2011 goes from (1,1,0) to (1,0,0)
      await tx.query(sql`UPDATE firm_year SET revenue_growth = 0.1 WHERE firm_id = 2 AND year = 2011`);
      expect(await dataVersion(tx)).toBeGreaterThan(v0);
      const changed = await cityAgglomeration(tx, { ruleSet: rules, rta: { zeroVariance: 'null' } });
      expect(changed.cached).toBe(false);
      expect(changed.dataVersion).toBeGreaterThan(v0);
      const row = pick(changed.rows, '110100', 2011) as (typeof changed.rows)[0];
      expect([row.q1, row.q2, row.q3]).toEqual([1, 0, 0]);
      expect(row.invHhi).toBe(1);
      expect(row.entropy).toBe(0);
      throw rollback;
    })).rejects.toBe(rollback);
    expect(await dataVersion(db)).toBe(v0);
    const after = await cityAgglomeration(db, { ruleSet: rules, rta: { zeroVariance: 'null' } });
    expect(after.cached).toBe(true);
    expect((pick(after.rows, '110100', 2011) as (typeof after.rows)[0]).q2).toBe(1);
  });

  it('rejects bad options naming the field', async () => {
    await expect(cityAgglomeration(db, { ruleSet: rules, rta: { variance: 'n' as never } })).rejects.toMatchObject({ field: 'agglomeration.rta.variance' });
    await expect(cityAgglomeration(db, { ruleSet: rules, dropStFirms: 'yes' as never })).rejects.toMatchObject({ field: 'agglomeration.dropStFirms' });
  });
});

describe('NQP and panels', () => {
  it('entropy weights sum to 1, pooled and per year', async () => {
    const pooled = await nqpWeights(db, undefined, { directions: [1, 1, -1] });
    expect(pooled.year).toBeNull();
    expect(pooled.n).toBe(9);
    expect(pooled.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const y = await nqpWeights(db, 2011, { directions: [1, 1, -1] });
    expect(y.year).toBe(2011);
    expect(y.n).toBe(3);
    expect(y.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    await expect(nqpWeights(db, undefined, { directions: [1, 1] })).rejects.toMatchObject({ field: 'nqp.directions' });
  });

  it('assembles the city panel with controls and the report', async () => {
    const p = await cityPanel(db, { ruleSet: rules, nqp: { directions: [1, 1, -1] }, sample: { winsorize: null, nqpOutlierK: null } });
    expect(p.nrows).toBe(9);
    const i = (p.columns.city as string[]).findIndex((c, k) => c === '120100' && (p.columns.year as Float64Array)[k] === 2011);
    const col = (n: string) => (p.columns[n] as Float64Array)[i];
    expect(col('Popsiz')).toBeCloseTo(Math.log(200), 12);
    expect(col('Fispress')).toBeCloseTo(30 / 21, 12);
    expect(col('Findev')).toBeCloseTo(80 / 110, 12);
    expect([col('Q1'), col('Q2'), col('Q3')]).toEqual([1, 0, 0]);
    expect(p.columns.province[i]).toBe('P1');
    expect(p.report.map((r) => r.rule)).toContain('dropBrokenCities');
    expect(p.report.find((r) => r.rule === 'dropStFirms')!.upstream).toEqual({ firms: 1, firmYears: 3 });
    expect(p.meta.ruleVersion).toBe('test-v1');
    await expect(cityPanel(db, { ruleSet: rules, sample: { years: [2012, 2010] } })).rejects.toMatchObject({ field: 'sample.years' });
  });

  it('assembles the firm panel with the city-year variables of each firm', async () => {
    const p = await firmPanel(db, { ruleSet: rules, nqp: { directions: [1, 1, -1] }, sample: { winsorize: null, nqpOutlierK: null }, firm: { log: ['revenue'] } });
    // firms 4 (ST) and 5 (financial) left out: 4 firms × 3 years
    expect(p.nrows).toBe(12);
    const k = (p.columns.firm as string[]).findIndex((f, j) => f === '3' && (p.columns.year as Float64Array)[j] === 2010);
    expect(p.columns.kind[k]).toBe('unicorn');
    expect((p.columns.age as Float64Array)[k]).toBe(6);
    expect((p.columns.revenue as Float64Array)[k]).toBeCloseTo(Math.log(100), 12);
    expect((p.columns.Q3 as Float64Array)[k]).toBe(1);
    await expect(firmPanel(db, { ruleSet: rules, firm: { log: ['height' as never] } })).rejects.toMatchObject({ field: 'firm.log.0' });
  });
});
