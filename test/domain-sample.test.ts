// Sample rules on a small hand-made frame: what each rule drops, in order, and bad specs named by field.
import { describe, expect, it } from 'vitest';
import { applySample, DomainInputError, parseSampleSpec } from '../src/domain/index.js';
import { frameFromRecords } from '../src/estimation/frame.js';

// A complete; B misses RTA in 2001; C lacks 2002; D has an NQP outlier in 2002; E is an ST firm's rows; A has a 1999 row.
const rows = [
  { city: 'A', year: 1999, NQP: 1, RTA: 9, st: 0 },
  { city: 'A', year: 2000, NQP: 1, RTA: 1, st: 0 },
  { city: 'A', year: 2001, NQP: 1, RTA: 2, st: 0 },
  { city: 'A', year: 2002, NQP: 1, RTA: 3, st: 0 },
  { city: 'B', year: 2000, NQP: 1, RTA: 1, st: 0 },
  { city: 'B', year: 2001, NQP: 1, RTA: null, st: 0 },
  { city: 'B', year: 2002, NQP: 1, RTA: 1, st: 0 },
  { city: 'C', year: 2000, NQP: 1, RTA: 1, st: 0 },
  { city: 'C', year: 2001, NQP: 1, RTA: 1, st: 0 },
  { city: 'D', year: 2000, NQP: 1, RTA: 4, st: 0 },
  { city: 'D', year: 2001, NQP: 1, RTA: 100, st: 0 },
  { city: 'D', year: 2002, NQP: 50, RTA: 5, st: 0 },
  { city: 'E', year: 2000, NQP: 1, RTA: 1, st: 1 },
  { city: 'E', year: 2001, NQP: 1, RTA: 1, st: 1 },
  { city: 'E', year: 2002, NQP: 1, RTA: 1, st: 1 },
];
const frame = () => frameFromRecords(rows);
const base = { years: [2000, 2002] as [number, number], keyVars: ['NQP', 'RTA'] };

const summary = (r: ReturnType<typeof applySample>) => r.report.map((e) => [e.rule, e.rowsDropped, e.citiesDropped.join('')]);

describe('applySample', () => {
  it('applies the rules in order and reports rows and cities dropped by each', () => {
    const r = applySample(frame(), base);
    expect(summary(r)).toEqual([
      ['years', 1, ''],
      ['dropStFirms', 3, 'E'],
      ['dropFinancialFirms', 0, ''],
      ['dropBrokenCities', 5, 'BC'],
      ['dropMissing', 0, ''],
      // mean NQP over A (1,1,1) and D (1,1,50) = 55/6 → limit 27.5
      ['nqpOutlier', 1, ''],
      ['balanced', 0, ''],
      ['log', 0, ''],
      ['winsorize', 0, ''],
    ]);
    expect(r.frame.nrows).toBe(5);
    expect(r.report[0].rowsBefore).toBe(15);
    expect(r.report.at(-1)!.rowsAfter).toBe(5);
    expect(r.report[5].detail).toContain('27.5');
    // RTA 1, 2, 3, 4, 100 winsorised at type-7 quantiles: 5% = 1.2, 95% = 80.8; NQP all 1 unchanged
    expect([...(r.frame.columns.RTA as Float64Array)]).toEqual([1.2, 2, 3, 4, 80.8].map((v) => expect.closeTo(v, 12)));
    expect(r.report[8].valuesChanged).toBe(2);
    expect(r.frame.columns.city).toEqual(['A', 'A', 'A', 'D', 'D']);
  });

  it('with tolerance for one missing year: drops single rows, then balancing drops the short city', () => {
    const r = applySample(frame(), { ...base, maxMissingYears: 1, balanced: true, winsorize: null, nqpOutlierK: null });
    expect(summary(r)).toEqual([
      ['years', 1, ''], ['dropStFirms', 3, 'E'], ['dropFinancialFirms', 0, ''], ['dropBrokenCities', 0, ''],
      ['dropMissing', 1, ''], ['nqpOutlier', 0, ''],
      // B lost 2001 and C never had 2002: both unbalanced
      ['balanced', 4, 'BC'], ['log', 0, ''], ['winsorize', 0, ''],
    ]);
    expect(r.frame.nrows).toBe(6);
  });

  it('turns rules off, logs variables and counts non-positive values set missing', () => {
    const f = frameFromRecords([...rows.slice(1, 4), { city: 'Z', year: 2000, NQP: 0, RTA: 0, st: 0 }]);
    const r = applySample(f, {
      ...base, dropStFirms: false, dropBrokenCities: false, dropMissing: false, nqpOutlierK: null, winsorize: null, log: ['RTA'],
    });
    expect(r.frame.nrows).toBe(4);
    expect(r.report.find((e) => e.rule === 'log')!.valuesChanged).toBe(1);
    const rta = r.frame.columns.RTA as Float64Array;
    expect(rta[1]).toBeCloseTo(Math.log(2), 14);
    expect(rta[3]).toBeNaN();
  });

  it('reports firm filters applied upstream when the frame has no firm flag', () => {
    const f = frameFromRecords(rows.map(({ st: _st, ...r }) => r));
    const r = applySample(f, base, { upstream: { dropStFirms: { firms: 7, firmYears: 40 } } });
    const st = r.report.find((e) => e.rule === 'dropStFirms')!;
    expect(st.rowsDropped).toBe(0);
    expect(st.upstream).toEqual({ firms: 7, firmYears: 40 });
  });

  it('has the paper defaults', () => {
    const s = parseSampleSpec({});
    expect(s).toMatchObject({ dropStFirms: true, dropFinancialFirms: true, dropBrokenCities: true, nqpOutlierK: 3, balanced: false, log: [] });
    expect(s.winsorize).toEqual({ lower: 0.05, upper: 0.95 });
  });

  it('rejects bad specs naming the field', () => {
    const field = (spec: unknown) => {
      try { applySample(frame(), spec as never); } catch (e) { expect(e).toBeInstanceOf(DomainInputError); return (e as DomainInputError).field; }
      return 'no error';
    };
    expect(field({ nqpOutlierK: -1 })).toBe('sample.nqpOutlierK');
    expect(field({ winsorize: { lower: 0.9, upper: 0.1 } })).toBe('sample.winsorize.lower');
    expect(field({ winsorize: { lower: 2 } })).toBe('sample.winsorize.lower');
    expect(field({ years: [2002, 2000] })).toBe('sample.years');
    expect(field({ balanced: 'yes' })).toBe('sample.balanced');
    expect(field({ bogus: 1 })).toBe('sample.bogus');
    expect(field({ keyVars: ['NQP', 'Nope'] })).toBe('sample.keyVars.1');
    expect(field({ keyVars: ['NQP'], log: ['Nope'] })).toBe('sample.log.0');
    expect(field({ keyVars: ['NQP'], winsorize: { vars: ['city'] } })).toBe('sample.winsorize.vars.0');
  });
});
