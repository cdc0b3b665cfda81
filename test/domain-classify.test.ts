// The pure classifier under the v1 rule set: one year's figures only, listing by year-end, exclusions, precedence,
// reasons and failures as written, and rule-set validation.
import { describe, expect, it } from 'vitest';
import { checkKinds, classifyFirmYear, DEFAULT_RULE_SET as v1, DomainInputError, metricsOf, parseRuleSet, type FirmYearFacts } from '../src/domain/index.js';

const base: FirmYearFacts = {
  firmId: 1, year: 2015, founded: '2010-06-15', listedOn: null, strategicEmerging: true, techIntensive: true,
  stFlag: false, financial: false, revenue: 100, employees: 80, assets: 150, leverage: 0.3, rnd: 12, patents: 8,
  valuationUsd: null, revenueGrowth: 0.3,
};
const at = (o: Partial<FirmYearFacts>) => classifyFirmYear({ ...base, ...o }, v1);

describe('v1 classification of one firm-year', () => {
  it('meets fledgling and gazelle; gazelle wins by precedence, with the reasons of the winner', () => {
    const c = at({});
    expect(c).toEqual({
      firmId: 1, year: 2015, kind: 'gazelle', qualified: ['gazelle', 'fledgling'], ruleVersion: 'firm-kinds-v1',
      reasons: ['age 5 ≥ 4', 'revenue growth 0.3 ≥ 0.2', 'strategic emerging industry'],
    });
    expect(at({ strategicEmerging: false }).reasons).toEqual(['age 5 < 10', 'R&D/revenue 0.12 ≥ 0.05', 'patents 8 ≥ 5', 'revenue growth 0.3 ≥ 0.15']);
  });

  it('a unicorn until the year it lists (listed_on ≤ 31 December), then not', () => {
    const u = { valuationUsd: 1.5e9, listedOn: '2016-12-31' };
    expect(at({ ...u, year: 2015 }).kind).toBe('unicorn');
    expect(at({ ...u, year: 2015 }).reasons).toEqual(['age 5 < 10', 'valuation USD 1.5e9 > 1e9', 'not listed']);
    expect(at({ ...u, year: 2016 }).kind).toBe('gazelle');
    expect(metricsOf({ ...base, ...u, year: 2016 }, v1).listed).toBe(true);
    // exactly USD 1 bn is not above it
    expect(at({ valuationUsd: 1e9 }).kind).toBe('gazelle');
  });

  it('uses calendar age: a firm founded in December is 1 in January of the next year', () => {
    expect(metricsOf({ ...base, founded: '2014-12-31' }, v1).age).toBe(1);
    expect(metricsOf({ ...base, founded: '2014-12-31' }, { ...v1, ageBasis: 'startOfYear' }).age).toBe(0);
    expect(metricsOf({ ...base, founded: '2015-01-01' }, { ...v1, ageBasis: 'startOfYear' }).age).toBe(0);
    // age 10: too old for fledgling / unicorn; age 3: too young for gazelle
    expect(at({ founded: '2005-01-01', strategicEmerging: false }).kind).toBeNull();
    expect(at({ founded: '2012-01-01' }).kind).toBe('fledgling');
  });

  it('missing figures fail their conditions and say so', () => {
    const checks = checkKinds({ ...base, revenueGrowth: null, revenue: 0 }, v1);
    expect(checks.map((c) => c.met)).toEqual([false, false, false]);
    expect(checks[1].failures).toEqual(['revenue growth missing']);
    expect(checks[2].failures).toEqual(['R&D/revenue missing', 'revenue growth missing']);
    expect(checks[0].failures).toEqual(['valuation USD missing']);
  });

  it('never classifies excluded firms (ST/*ST, financial), and says why', () => {
    expect(at({ stFlag: true })).toMatchObject({ kind: null, qualified: [], reasons: [] });
    expect(at({ financial: true }).kind).toBeNull();
    const g = checkKinds({ ...base, stFlag: true }, v1).find((c) => c.kind === 'gazelle')!;
    expect(g.failures).toEqual(['excluded: ST/*ST firm']);
    expect(g.reasons).toHaveLength(3);
  });

  it('any-groups are met by any alternative', () => {
    const rules = parseRuleSet({
      ...v1, version: 'any-test',
      kinds: { ...v1.kinds, fledgling: { ...v1.kinds.fledgling, all: [{ any: [{ metric: 'patents', op: '>=', value: 50 }, { metric: 'rndIntensity', op: '>', value: 0.1 }] }] } },
    });
    const c = classifyFirmYear({ ...base, strategicEmerging: false }, rules);
    expect(c.kind).toBe('fledgling');
    expect(c.reasons).toEqual(['R&D/revenue 0.12 > 0.1']);
  });

  it('rejects malformed rule sets naming the field', () => {
    const field = (x: unknown) => { try { parseRuleSet(x); } catch (e) { expect(e).toBeInstanceOf(DomainInputError); return (e as DomainInputError).field; } return 'no error'; };
    expect(field({ ...v1, ageBasis: 'fiscal' })).toBe('ruleSet.ageBasis');
    expect(field({ ...v1, version: '' })).toBe('ruleSet.version');
    expect(field({ ...v1, exclude: [{ metric: 'stFlag', op: '~', value: true }] })).toBe('ruleSet.exclude.0.op');
    expect(field({ ...v1, kinds: { ...v1.kinds, gazelle: { ...v1.kinds.gazelle, all: [] } } })).toBe('ruleSet.kinds.gazelle.all');
  });
});
