// RTA options and the alternative co-agglomeration measures on hand-computed examples.
import { describe, expect, it } from 'vitest';
import {
  cityMeasures, DomainInputError, egCoagglomeration, entropyDiversity, inverseHerfindahl, rta, rtaCap, variance3,
} from '../src/domain/index.js';

const close = (a: number | null, b: number) => expect(a).toBeCloseTo(b, 12);

describe('RTA = 1 / Var(Q1, Q2, Q3)', () => {
  it('uses the population variance by default (as the demo generator) and the sample variance on request', () => {
    // (1, 2, 3): mean 2, sum of squares 2 → sample Var 1, population Var 2/3
    expect(variance3([1, 2, 3], 'sample')).toBe(1);
    close(variance3([1, 2, 3], 'population'), 2 / 3);
    expect(rta([1, 2, 3], { variance: 'sample' })).toEqual({ value: 1 });
    close(rta([1, 2, 3]).value, 1.5);
    // (4, 0, 2): mean 2, sum of squares 8 → sample Var 4, population Var 8/3
    close(rta([4, 0, 2], { variance: 'sample' }).value, 0.25);
    close(rta([4, 0, 2]).value, 3 / 8);
    // (0, 0, 1): the most nearly equal unequal integer triple → sample Var 1/3, population Var 2/9
    close(rta([0, 0, 1], { variance: 'sample' }).value, 3);
    close(rta([0, 0, 1]).value, 4.5);
  });

  it('caps Var = 0 by default at the largest RTA an unequal integer triple reaches', () => {
    expect(rtaCap('sample')).toBe(3);
    expect(rtaCap('population')).toBe(4.5);
    expect(rta([2, 2, 2])).toEqual({ value: 4.5, note: 'capped: Var = 0 (Q1 = Q2 = Q3 = 2)' });
    expect(rta([2, 2, 2], { variance: 'sample' }).value).toBe(3);
    expect(rta([2, 2, 2], { cap: 10 }).value).toBe(10);
    // no firm at all: the same as any Var = 0 unless allZero = 'null'
    expect(rta([0, 0, 0]).value).toBe(4.5);
    expect(rta([0, 0, 0], { allZero: 'null' })).toEqual({ value: null, note: 'no firm of any kind (Q1 = Q2 = Q3 = 0)' });
  });

  it("returns null with a reason under zeroVariance = 'null'", () => {
    expect(rta([5, 5, 5], { zeroVariance: 'null' })).toEqual({ value: null, note: 'Var = 0 (Q1 = Q2 = Q3 = 5)' });
    expect(rta([1, 2, 3], { zeroVariance: 'null', variance: 'sample' }).value).toBe(1);
  });

  it("adds epsilon to every variance under zeroVariance = 'epsilon'", () => {
    close(rta([5, 5, 5], { zeroVariance: 'epsilon' }).value, 1 / 0.5);
    close(rta([1, 2, 3], { zeroVariance: 'epsilon', variance: 'sample' }).value, 1 / 1.5);
    close(rta([1, 2, 3], { zeroVariance: 'epsilon', epsilon: 0.1, variance: 'population' }).value, 1 / (2 / 3 + 0.1));
  });

  it('never returns Infinity or NaN', () => {
    for (const zeroVariance of ['cap', 'null', 'epsilon'] as const)
      for (const variance of ['sample', 'population'] as const)
        for (const q of [[0, 0, 0], [7, 7, 7], [0, 0, 1], [3, 1, 4]] as const) {
          const v = rta(q, { zeroVariance, variance }).value;
          expect(v === null || Number.isFinite(v)).toBe(true);
        }
  });

  it('rejects bad options and counts, naming the field', () => {
    const field = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(DomainInputError); return (e as DomainInputError).field; } return 'no error'; };
    expect(field(() => rta([1, 2, 3], { variance: 'unbiased' as never }))).toBe('rta.variance');
    expect(field(() => rta([1, 2, 3], { zeroVariance: 'inf' as never }))).toBe('rta.zeroVariance');
    expect(field(() => rta([1, 2, 3], { epsilon: 0 }))).toBe('rta.epsilon');
    expect(field(() => rta([1, 2, 3], { cap: Infinity }))).toBe('rta.cap');
    expect(field(() => rta([1, 2, 3], { typo: 1 } as never))).toBe('rta.typo');
    expect(field(() => rta([1, -2, 3]))).toBe('counts');
    expect(field(() => rta([1, NaN, 3]))).toBe('counts');
  });
});

describe('alternative measures', () => {
  it('normalised entropy of the kind shares', () => {
    expect(entropyDiversity([1, 1, 1]).value).toBeCloseTo(1, 14);
    expect(entropyDiversity([5, 0, 0]).value).toBe(0);
    close(entropyDiversity([1, 1, 0]).value, Math.log(2) / Math.log(3)); // 0.6309297535714574
    close(entropyDiversity([1, 2, 3]).value, 0.920619835714305);
    expect(entropyDiversity([0, 0, 0])).toEqual({ value: null, note: 'no firm of any kind' });
  });

  it('inverse Herfindahl = effective number of kinds', () => {
    close(inverseHerfindahl([1, 2, 3]).value, 36 / 14);
    close(inverseHerfindahl([4, 4, 4]).value, 3);
    close(inverseHerfindahl([5, 0, 0]).value, 1);
    close(inverseHerfindahl([1, 1, 0]).value, 2);
    expect(inverseHerfindahl([0, 0, 0]).value).toBeNull();
  });

  it('Ellison–Glaeser-style co-agglomeration across cities', () => {
    // x = (0.25, 0.25, 0.5), 1 - sum x² = 0.625; kind shares A (.5,.25,0), B (0,.25,.5), C (.5,.5,.5)
    // deviations A (.25,0,-.25), B (-.25,0,.25), C 0 → γ12 = 0, γ13 = -0.125/0.625 = -0.2, γ23 = 0
    const r = egCoagglomeration([{ q: [2, 1, 0], base: 4 }, { q: [0, 1, 2], base: 4 }, { q: [2, 2, 2], base: 8 }]);
    close(r.pairs['12'], 0);
    close(r.pairs['13'], -0.2);
    close(r.pairs['23'], 0);
    close(r.mean, -0.2 / 3);
    close(r.local[0], -0.2 / 6);
    close(r.local[1], -0.2 / 6);
    close(r.local[2], 0);
    close(r.local.reduce((a, b) => a + b, 0), r.mean);
    // kinds concentrated in the same city co-agglomerate: γ > 0
    const together = egCoagglomeration([{ q: [3, 3, 3], base: 4 }, { q: [0, 0, 0], base: 4 }, { q: [1, 1, 1], base: 8 }]);
    // s = (.75, 0, .25) for every kind, x = (.25, .25, .5): sum (s-x)² = .25+.0625+.0625 = .375 → γ = .375/.625 = .6
    close(together.pairs['12'], 0.6);
    close(together.mean, 0.6);
  });

  it('EG rejects degenerate inputs by field', () => {
    expect(() => egCoagglomeration([{ q: [1, 1, 1], base: 1 }])).toThrow(DomainInputError);
    expect(() => egCoagglomeration([{ q: [1, 1, 1], base: 1 }, { q: [1, 1, 1], base: 0 }])).toThrow(/one city holds every firm/);
  });

  it('cityMeasures computes all measures per city-year, EG within each year', () => {
    const rows = cityMeasures([
      { cityCode: 'A', year: 2000, q1: 2, q2: 1, q3: 0, nFirms: 4 },
      { cityCode: 'B', year: 2000, q1: 0, q2: 1, q3: 2, nFirms: 4 },
      { cityCode: 'C', year: 2000, q1: 2, q2: 2, q3: 2, nFirms: 8 },
      { cityCode: 'A', year: 2001, q1: 0, q2: 0, q3: 0, nFirms: 0 },
    ], { zeroVariance: 'null', variance: 'sample' });
    close(rows[0].rta, 1); // (2,1,0): sample Var 1
    expect(rows[2].rta).toBeNull();
    expect(rows[2].rtaNote).toMatch(/Var = 0/);
    close(rows[0].eg, -0.2 / 6);
    close(rows[2].invHhi, 3);
    expect(rows[3].eg).toBeNull(); // a single city in 2001
    expect(rows[3].entropy).toBeNull();
  });
});
