import { describe, it, expect } from 'vitest';
import { estimate, frameFromColumns, leastSquares, mulberry32, demean, factorDf, type DataFrame } from '../src/estimation/index.js';
import { zeros } from '../src/estimation/linalg.js';
import { expectRel } from './estimation-helpers.js';

/** Unbalanced synthetic panel: firms x years with ~25% of rows deleted, a region that firms move between, sectors nesting firms. */
function panel(seed: number, firms = 40, years = 8) {
  const g = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - g.next())) * Math.cos(2 * Math.PI * g.next());
  const cols: Record<string, (number | string)[]> = { firm: [], year: [], region: [], sector: [], x1: [], x2: [], y: [] };
  const fa = Array.from({ length: firms }, normal), ya = Array.from({ length: years }, normal), ra = Array.from({ length: 5 }, normal);
  for (let i = 0; i < firms; i++) for (let t = 0; t < years; t++) {
    if (g.next() < 0.25) continue;
    const region = g.int(5);
    const x1 = normal() + fa[i], x2 = normal() + ya[t] + 0.5 * ra[region];
    cols.firm.push(`f${i}`); cols.year.push(2000 + t); cols.region.push(`r${region}`); cols.sector.push(`s${i % 6}`);
    cols.x1.push(x1); cols.x2.push(x2);
    cols.y.push(1 + 0.5 * x1 - 0.3 * x2 + fa[i] + ya[t] + ra[region] + normal());
  }
  return frameFromColumns(cols);
}

/** LSDV: slopes plus a dummy for every level of every factor; collinear dummies dropped. */
function lsdv(frame: DataFrame, factors: string[]) {
  const n = frame.nrows;
  const cols: Float64Array[] = [frame.columns.x1 as Float64Array, frame.columns.x2 as Float64Array];
  const names = ['x1', 'x2'];
  for (const f of factors) {
    const c = frame.columns[f] as (string | number)[] | Float64Array;
    const levels = [...new Set(Array.from(c as ArrayLike<string | number>))];
    for (const l of levels) { cols.push(Float64Array.from(c as ArrayLike<string | number>, (v) => (v === l ? 1 : 0))); names.push(`${f}=${l}`); }
  }
  const X = zeros(n, cols.length);
  cols.forEach((c, j) => X.data.set(c, j * n));
  const fit = leastSquares(frame.columns.y as Float64Array, X, names);
  const df = n - fit.names.length;
  const s2 = fit.ssr / df;
  const k = fit.names.length;
  return {
    df,
    coef: [0, 1].map((j) => fit.coef[j]),
    se: [0, 1].map((j) => Math.sqrt(s2 * fit.xtxInv.data[j + j * k])),
  };
}

describe('absorbed multi-way fixed effects = LSDV on an unbalanced panel', () => {
  const frame = panel(11);

  it('two-way within (effects: twoways) on an unbalanced panel equals the dummy regression', () => {
    const r = estimate({ estimator: 'fe', formula: 'y ~ x1 + x2', panel: { id: 'firm', time: 'year' }, effects: 'twoways' }, frame);
    const l = lsdv(frame, ['firm', 'year']);
    expect(r.nobs).toBeLessThan(320);
    expect(r.dfResid).toBe(l.df);
    r.coefficients.forEach((c, j) => { expectRel(c.estimate, l.coef[j], 1e-8, c.term); expectRel(c.stdError, l.se[j], 1e-8, c.term); });
  });

  it('three absorbed factors | firm + year + region equal LSDV (coefficients, SE, df)', () => {
    const r = estimate({ estimator: 'ols', formula: 'y ~ x1 + x2 | firm + year + region' }, frame);
    const l = lsdv(frame, ['firm', 'year', 'region']);
    expect(r.dfResid).toBe(l.df);
    r.coefficients.forEach((c, j) => { expectRel(c.estimate, l.coef[j], 1e-7, c.term); expectRel(c.stdError, l.se[j], 1e-7, c.term); });
    expect(r.coefficients.map((c) => c.term)).toEqual(['x1', 'x2']);
  });

  it('a factor nested in an earlier one uses no degrees of freedom', () => {
    const a = estimate({ estimator: 'ols', formula: 'y ~ x1 + x2 | firm + year' }, frame);
    const b = estimate({ estimator: 'ols', formula: 'y ~ x1 + x2 | firm + year + sector' }, frame);
    expect(b.dfResid).toBe(a.dfResid);
    b.coefficients.forEach((c, j) => expectRel(c.estimate, a.coefficients[j].estimate, 1e-8, c.term));
    expect((b.fixedEffects as { df: number }[])[2].df).toBe(0);
  });

  it('Stata small-sample K: FE nested in the cluster variable are not counted (fixest rule)', () => {
    const base = { estimator: 'ols', formula: 'y ~ x1 + x2 | firm + year' } as const;
    const none = (cl: string) => estimate({ ...base, vcov: { cluster: [cl], smallSample: 'none' } }, frame);
    const stata = (cl: string) => estimate({ ...base, vcov: { cluster: [cl], smallSample: 'stata' } }, frame);
    const n = none('firm').nobs, G = 40, T = 8;
    // cluster firm: firm FE nested -> K = 2 slopes + 1 + (T - 1) year dummies
    const kFirm = 2 + 1 + (T - 1);
    stata('firm').coefficients.forEach((c, j) =>
      expectRel(c.stdError, none('firm').coefficients[j].stdError * Math.sqrt((G / (G - 1)) * ((n - 1) / (n - kFirm))), 1e-10, 'firm'));
    // cluster sector: firm FE nested in sector (firms never change sector) -> same K
    const S = 6;
    stata('sector').coefficients.forEach((c, j) =>
      expectRel(c.stdError, none('sector').coefficients[j].stdError * Math.sqrt((S / (S - 1)) * ((n - 1) / (n - kFirm))), 1e-10, 'sector'));
    // cluster region: nothing nested -> K = 2 + all FE parameters (G + T - 1)
    const kAll = 2 + G + T - 1, R = 5;
    stata('region').coefficients.forEach((c, j) =>
      expectRel(c.stdError, none('region').coefficients[j].stdError * Math.sqrt((R / (R - 1)) * ((n - 1) / (n - kAll))), 1e-10, 'region'));
    expect(stata('region').dfResid).toBe(n - kAll);
  });

  it('demeaning: one factor is exact in one pass, several converge and leave zero group sums', () => {
    const n = frame.nrows;
    const f = (name: string) => {
      const c = frame.columns[name] as ArrayLike<string | number>;
      const lv = new Map<string | number, number>();
      const codes = Int32Array.from(c, (v) => { if (!lv.has(v)) lv.set(v, lv.size); return lv.get(v)!; });
      return { name, codes, nlevels: lv.size };
    };
    const fs = [f('firm'), f('year'), f('region')];
    const r = demean([frame.columns.y as Float64Array], fs, { tol: 1e-12 });
    expect(r.converged).toBe(true);
    for (const fct of fs) {
      const sums = new Float64Array(fct.nlevels);
      for (let i = 0; i < n; i++) sums[fct.codes[i]] += r.columns[0][i];
      for (const s of sums) expect(Math.abs(s)).toBeLessThan(1e-8);
    }
    expect(factorDf(fs)).toEqual([40, 7, 4]);
  });

  it('fixed effects errors name the culprit', () => {
    expect(() => estimate({ estimator: 'ols', formula: 'y ~ x1 | nope' }, frame)).toThrow(/unknown column 'nope'/);
    expect(() => estimate({ estimator: 'ols', formula: 'y ~ x1 | log(firm)' }, frame)).toThrow(/must be a column name/);
    expect(() => estimate({ estimator: 'fe', formula: 'y ~ x1' }, frame)).toThrow(/needs panel/);
    expect(() => estimate({ estimator: 'ols', formula: 'y ~ x1 | firm | year' }, frame)).toThrow(/only GMM/);
  });
});
