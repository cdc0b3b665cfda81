import { describe, it, expect } from 'vitest';
import { entropyWeights, winsorize, quantile, describe as describeVar } from '../src/estimation/index.js';
import { readFixtureCsv, readExpected, expectRel } from './estimation-helpers.js';

const frame = readFixtureCsv('entropy/data.csv');
const ex = readExpected('entropy');

describe('entropy-weight composite (oracle: R, method in expected.json)', () => {
  const cols = (ex.columns as string[]).map((name) => ({ name, values: frame.columns[name] as Float64Array }));
  const r = entropyWeights(cols, { direction: ex.direction, shift: ex.shift });

  it('weights and scores', () => {
    r.names.forEach((nm, j) => expectRel(r.weights[j], ex.weights[nm], 1e-9, `weight ${nm}`));
    expect(r.scores.length).toBe(ex.scores.length);
    ex.scores.forEach((s: number, i: number) => expectRel(r.scores[i], s, 1e-9, `score ${i}`));
    expectRel(r.weights.reduce((a, b) => a + b, 0), 1, 1e-12, 'sum of weights');
  });

  it('missing rows get NaN scores and do not enter the weights; constant indicators are rejected', () => {
    const v = Float64Array.from(cols[0].values);
    v[3] = NaN;
    const r2 = entropyWeights([{ name: 'mpg', values: v }, cols[1]], { direction: [1, -1] });
    expect(Number.isNaN(r2.scores[3])).toBe(true);
    expect(Number.isFinite(r2.scores[4])).toBe(true);
    expect(() => entropyWeights([{ name: 'k', values: [1, 1, 1] }])).toThrow(/'k' is constant/);
  });
});

describe('quantiles, winsorising, descriptive statistics', () => {
  const x = [10, 1, 3, 7, 2, 8, 4, 6, 5, 9, NaN];
  it('type-7 quantiles as R quantile()', () => {
    // R: quantile(1:10, c(.05, .25, .5, .95)) = 1.45 3.25 5.50 9.55
    expectRel(quantile(x, 0.05), 1.45, 1e-12, 'q05');
    expectRel(quantile(x, 0.25), 3.25, 1e-12, 'q25');
    expectRel(quantile(x, 0.5), 5.5, 1e-12, 'q50');
    expectRel(quantile(x, 0.95), 9.55, 1e-12, 'q95');
  });
  it('winsorize clamps at the quantiles and keeps missing values', () => {
    const w = Array.from(winsorize(x, 0.05, 0.95));
    expect(w[0]).toBeCloseTo(9.55, 12);
    expect(w.slice(1, 3)).toEqual([1.45, 3]);
    expect(Number.isNaN(w[10])).toBe(true);
    expect(() => winsorize(x, 0.9, 0.1)).toThrow(RangeError);
  });
  it('describe: N, mean, sd (n-1), min, max', () => {
    const d = describeVar('x', x);
    expect(d).toMatchObject({ variable: 'x', n: 10, mean: 5.5, min: 1, max: 10, median: 5.5 });
    expectRel(d.sd, Math.sqrt(55 / 6), 1e-12, 'sd'); // var(1:10) = 9.1667
  });
});
