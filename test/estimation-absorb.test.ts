import { describe, it, expect } from 'vitest';
import { estimate, frameFromColumns, leastSquares, mulberry32, demean, factorDf, components, buildDesign, parseFormula, fitWithin, PanelIndex, type DataFrame } from '../src/estimation/index.js';
import { demeanPlain } from '../bench/absorb-baseline.js';
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

// ---- the coefficient-space demeaning (src/estimation/demean.ts) against references (issue 13) ----

type Fct = { name: string; codes: Int32Array; nlevels: number };
const fct = (name: string, codes: ArrayLike<number>): Fct => {
  const map = new Map<number, number>();
  const c = Int32Array.from(codes, (v) => { if (!map.has(v)) map.set(v, map.size); return map.get(v)!; });
  return { name, codes: c, nlevels: map.size };
};

/** Residuals of y on the dummies of all factors by dense least squares (collinear dummies dropped). */
function lsdvResid(y: Float64Array, factors: Fct[]): Float64Array {
  const n = y.length, p = factors.reduce((s, f) => s + f.nlevels, 0);
  const X = zeros(n, p);
  let o = 0;
  for (const f of factors) { for (let i = 0; i < n; i++) X.data[(o + f.codes[i]) * n + i] = 1; o += f.nlevels; }
  return leastSquares(y, X, Array.from({ length: p }, (_, j) => `d${j}`)).resid;
}

/** max |a - b| relative to max |b| */
function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let d = 0, s = 1e-300;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
  return d / s;
}

/** Workers x firms x years (unbalanced): each worker keeps a home firm with probability `stay`. */
function workerFirmYear(seed: number, workers: number, firms: number, years: number, stay: number, drop = 0.15, chain = false) {
  const g = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - g.next())) * Math.cos(2 * Math.PI * g.next());
  const w: number[] = [], f: number[] = [], t: number[] = [], y: number[] = [], x: number[] = [];
  for (let i = 0; i < workers; i++) {
    // chain: firms in a line, a mover goes only to the next firm (a badly connected graph)
    const home = chain ? Math.floor((i / workers) * firms) : g.int(firms);
    for (let k = 0; k < years; k++) {
      if (g.next() < drop) continue;
      const firm = g.next() < stay ? home : chain ? Math.min(firms - 1, home + 1) : g.int(firms);
      w.push(i); f.push(firm); t.push(k);
      x.push(normal() + firm / firms);
      y.push(x[x.length - 1] + i / workers + firm / firms + k / years + normal());
    }
  }
  return { w, f, t, y: Float64Array.from(y), x: Float64Array.from(x) };
}

describe('demeaning in coefficient space equals LSDV and the previous alternating projections', () => {
  const d = workerFirmYear(21, 60, 12, 6, 0.7);
  const fs = [fct('worker', d.w), fct('firm', d.f), fct('year', d.t)];

  it('three factors, unbalanced: equals dense LSDV residuals and the plain alternating projections to 1e-10', () => {
    const r = demean([d.y, d.x], fs, { tol: 1e-13 });
    expect(r.converged).toBe(true);
    const plain = demeanPlain([d.y, d.x], fs, { tol: 1e-14 });
    [d.y, d.x].forEach((col, k) => {
      expect(maxRelDiff(r.columns[k], lsdvResid(col, fs))).toBeLessThan(1e-10);
      expect(maxRelDiff(r.columns[k], plain.columns[k])).toBeLessThan(1e-10);
    });
  });

  it('rows in any order: grouped by the largest factor or shuffled, the same residuals', () => {
    const order = Array.from({ length: d.y.length }, (_, i) => i).sort((a, b) => d.w[a] - d.w[b] || d.t[a] - d.t[b]);
    const perm = (v: ArrayLike<number>) => Float64Array.from(order, (i) => v[i]);
    const sorted = [fct('worker', perm(d.w)), fct('firm', perm(d.f)), fct('year', perm(d.t))];
    const a = demean([d.y], fs, { tol: 1e-13 }).columns[0], b = demean([perm(d.y)], sorted, { tol: 1e-13 }).columns[0];
    expect(maxRelDiff(perm(a), b)).toBeLessThan(1e-10);
  });

  it('one factor is exact in one sweep: y minus its group means', () => {
    const r = demean([d.y], [fs[1]]);
    expect(r.iterations).toBe(1);
    const sum = new Float64Array(fs[1].nlevels), cnt = new Float64Array(fs[1].nlevels);
    fs[1].codes.forEach((c, i) => { sum[c] += d.y[i]; cnt[c]++; });
    const expected = Float64Array.from(d.y, (v, i) => v - sum[fs[1].codes[i]] / cnt[fs[1].codes[i]]);
    expect(maxRelDiff(r.columns[0], expected)).toBeLessThan(1e-14);
  });

  it('a factor with a single level and a factor nested in another change nothing', () => {
    const one = fct('all', new Float64Array(d.y.length));
    const sector = fct('sector', d.w.map((w) => w % 7)); // workers never change sector
    const base = demean([d.y], fs.slice(0, 2), { tol: 1e-13 }).columns[0];
    expect(maxRelDiff(demean([d.y], [...fs.slice(0, 2), one], { tol: 1e-13 }).columns[0], base)).toBeLessThan(1e-10);
    expect(maxRelDiff(demean([d.y], [fs[0], sector, fs[1]], { tol: 1e-13 }).columns[0], base)).toBeLessThan(1e-10);
    expect(factorDf([fs[0], sector, fs[1]])[1]).toBe(0);
  });

  it('converges on a badly connected worker-firm graph (a chain of firms linked by few movers)', () => {
    const h = workerFirmYear(5, 150, 30, 6, 0.97, 0.1, true);
    const hf = [fct('worker', h.w), fct('firm', h.f), fct('year', h.t)];
    const r = demean([h.y], hf, { tol: 1e-13 });
    expect(r.converged).toBe(true);
    expect(factorDf(hf, r.components)).toEqual(factorDf(hf));
    // too few sweeps allowed: reported, not hidden
    const short = demean([h.y], hf, { tol: 1e-13, maxIter: 3 });
    expect(short.converged).toBe(false);
    expect(short.iterations).toBe(3);
    expect(maxRelDiff(r.columns[0], lsdvResid(h.y, hf))).toBeLessThan(1e-9);
  });

  it('every storage path (patterns by mask and by hash, counted pairs, several direct links, sparse cross-tabs) equals LSDV', () => {
    const g = mulberry32(8);
    const n = 700;
    // big: 70 ids x 10 periods; 'month' has 20 levels in repeating sets (hash patterns); 'region' random per row
    // (a direct link); 'site' x 'month' has more cells than rows (a sparse cross-tabulation); rows repeat (id, month)
    const id = Array.from({ length: n }, (_, i) => Math.floor(i / 10));
    const month = id.map((v, i) => ((v % 3) * 4 + (i % 10)) % 20);
    const region = id.map(() => g.int(5));
    const site = id.map((v) => (v * 13 + g.int(2)) % 45);
    const yv = Float64Array.from(id, () => g.next() * 10);
    const cases: Fct[][] = [
      [fct('id', id), fct('month', month)],
      [fct('id', id), fct('month', month), fct('region', region)],
      [fct('id', id), fct('site', site), fct('month', month), fct('region', region)],
      [fct('id', id), fct('month', month.map((m) => m % 4))], // pairs repeat: counted entries, mask patterns with counts
    ];
    for (const c of cases) {
      const r = demean([yv], c, { tol: 1e-13 });
      expect(r.converged).toBe(true);
      expect(maxRelDiff(r.columns[0], lsdvResid(yv, c))).toBeLessThan(1e-9);
      // the pairwise components found from the cross-tabulations are those counted on the rows
      c.forEach((a, i) => c.forEach((b, j) => { if (i !== j) expect(r.components![i][j]).toBe(components(a, b)); }));
      expect(factorDf(c, r.components)).toEqual(factorDf(c));
    }
  });

  it('a mid-size three-factor problem takes far fewer sweeps than plain alternating projections', () => {
    const m = workerFirmYear(33, 1500, 60, 8, 0.85);
    const mf = [fct('worker', m.w), fct('firm', m.f), fct('year', m.t)];
    const fast = demean([m.y], mf, { tol: 1e-10 });
    const plain = demeanPlain([m.y], mf, { tol: 1e-10, accelerate: false });
    expect(fast.converged && plain.converged).toBe(true);
    expect(fast.iterations * 5).toBeLessThan(plain.iterations);
    expect(fast.iterations * 2).toBeLessThan(demeanPlain([m.y], mf, { tol: 1e-10 }).iterations); // the previous method (Irons-Tuck every third sweep)
    expect(maxRelDiff(fast.columns[0], plain.columns[0])).toBeLessThan(1e-7);
    // rows not grouped by worker (year-major): the cross-tabulations are built from a sorted copy, same result
    const order = Array.from({ length: m.y.length }, (_, i) => i).sort((a, b) => m.t[a] - m.t[b] || a - b);
    const perm = (v: ArrayLike<number>) => Float64Array.from(order, (i) => v[i]);
    const shuffled = demean([perm(m.y)], [fct('worker', perm(m.w)), fct('firm', perm(m.f)), fct('year', perm(m.t))], { tol: 1e-10 });
    expect(maxRelDiff(shuffled.columns[0], perm(fast.columns[0]))).toBeLessThan(1e-7);
  });

  it('writes into given arrays, in place too, and rejects inputs of the wrong length', () => {
    const expected = demean([d.y], fs, { tol: 1e-13 }).columns[0];
    const copy = d.y.slice();
    const r = demean([copy], fs, { tol: 1e-13, out: [copy] });
    expect(r.columns[0]).toBe(copy);
    expect(maxRelDiff(copy, expected)).toBeLessThan(1e-12);
    expect(() => demean([d.y.subarray(1)], fs)).toThrow(/rows/);
    expect(() => demean([d.y], fs, { out: [new Float64Array(3)] })).toThrow(/opts.out/);
    const none = demean([d.y], []);
    expect(none.columns[0]).toEqual(d.y);
  });

  it('fitWithin leaves the design untouched unless asked to work in place', () => {
    const frame = frameFromColumns({ w: Float64Array.from(d.w), f: Float64Array.from(d.f), t: Float64Array.from(d.t), y: d.y, x: d.x });
    const des = buildDesign(frame, parseFormula('y ~ x'), { fixedEffects: ['w', 'f', 't'], noIntercept: true });
    const y0 = des.y.slice();
    const a = fitWithin(des, des.fixedEffects);
    expect(des.y).toEqual(y0);
    const b = fitWithin(des, des.fixedEffects, { inPlace: true });
    expect(des.y).not.toEqual(y0);
    expectRel(b.coef[0], a.coef[0], 1e-12, 'x');
    expectRel(b.result.coefficients[0].stdError, a.result.coefficients[0].stdError, 1e-12, 'se');
  });
});

describe('panel order and duplicate check in O(n) (counting sort by id, then time within id)', () => {
  it('equals the sort by (id, time) on shuffled rows, short and long series, text and numeric ids', () => {
    const g = mulberry32(4);
    const id: (string | number)[] = [], t: number[] = [];
    for (let i = 0; i < 30; i++) for (let k = 0; k < (i % 3 === 0 ? 50 : 6); k++) { id.push(i % 2 ? `c${i}` : i); t.push(2000 + k); }
    const perm = Array.from({ length: id.length }, (_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) { const j = g.int(i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
    const frame = frameFromColumns({ id: perm.map((i) => id[i]), t: Float64Array.from(perm, (i) => t[i]) });
    const p = new PanelIndex(frame, 'id', 't');
    const expected = perm.map((_, r) => r).sort((a, b) => p.id[a] - p.id[b] || p.time[a] - p.time[b]);
    expect(Array.from(p.order)).toEqual(expected);
    const dupLong = frameFromColumns({ id: [...id, 0], t: Float64Array.from([...t, 2049]) });
    expect(() => new PanelIndex(dupLong, 'id', 't').order).toThrow(/duplicate rows for id = 0, t = 2049/);
    const dupShort = frameFromColumns({ id: [...id, 'c1'], t: Float64Array.from([...t, 2003]) });
    expect(() => new PanelIndex(dupShort, 'id', 't').order).toThrow(/duplicate rows for id = c1, t = 2003/);
  });
});
