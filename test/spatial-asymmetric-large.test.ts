// Asymmetric weights (knn) against spatialreg (complex-eigenvalue reference), and the large-n machinery:
// eigenvalues vs dense LU vs Monte Carlo log-determinants, sparse solves, SAR on 10,000 units.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromColumns } from '../src/estimation/linalg.js';
import {
  eigenLogDet, fitSpatial, fromNeighbourLists, lag, lmTests, luLogDet, mcLogDet, moranTest, weightsFromGeoJSON, type SpatialWeights,
} from '../src/estimation/spatial/index.js';
import { normalStream } from '../src/estimation/spatial/rng.js';
import { ImRhoW } from '../src/estimation/spatial/solve.js';

const fc = JSON.parse(readFileSync(new URL('./fixtures/columbus/data.geojson', import.meta.url), 'utf8'));
const exp = JSON.parse(readFileSync(new URL('./fixtures/columbus_knn/expected.json', import.meta.url), 'utf8'));
const col = (k: string) => Float64Array.from(fc.features, (f: { properties: Record<string, number> }) => f.properties[k]);
const y = col('CRIME'), X = fromColumns([new Float64Array(49).fill(1), col('INC'), col('HOVAL')]), names = ['(Intercept)', 'INC', 'HOVAL'];
const K = weightsFromGeoJSON(fc, 'POLYID', { type: 'knn', k: 4, longlat: false });
const close = (got: number, want: number, tol = 1e-4) => expect(Math.abs(got - want) / Math.abs(want), `got ${got} want ${want}`).toBeLessThan(tol);
const coef = (r: ReturnType<typeof fitSpatial>, t: string) => r.coefficients.find((c) => c.term === t)!;

describe('knn4 (asymmetric W) on Columbus vs spatialreg', () => {
  it('Moran and LM tests', () => {
    const m = moranTest(y, K);
    close(m.I, exp.moran_crime.I, 1e-6); close(m.variance, exp.moran_crime.variance, 1e-6); close(m.z, exp.moran_crime.z, 1e-6);
    const t = lmTests(y, X, K) as unknown as Record<string, { statistic: number }>;
    for (const k of Object.keys(exp.lm_tests)) close(t[k].statistic, exp.lm_tests[k].statistic, 1e-6);
  });
  it('SAR, SEM and SDM with the exact LU log-determinant', () => {
    const input = { y, yName: 'CRIME', X, names, W: K };
    const sar = fitSpatial('sar', input, { impactDraws: 0 });
    expect(sar.params.logdet).toBe('LU');
    close(sar.params.rho as number, exp.sar.rho); close(coef(sar, 'rho').stdError, exp.sar.rhoSE); close(sar.fit.logLik!, exp.sar.logLik);
    for (const t of names) { close(coef(sar, t).estimate, exp.sar.coef[t]); close(coef(sar, t).stdError, exp.sar.se[t]); }
    const sem = fitSpatial('sem', input);
    close(sem.params.lambda as number, exp.sem.lambda); close(coef(sem, 'lambda').stdError, exp.sem.lambdaSE); close(sem.fit.logLik!, exp.sem.logLik);
    for (const t of names) { close(coef(sem, t).estimate, exp.sem.coef[t]); close(coef(sem, t).stdError, exp.sem.se[t]); }
    const sdm = fitSpatial('sdm', input, { impactDraws: 0 });
    close(sdm.params.rho as number, exp.sdm.rho); close(sdm.fit.logLik!, exp.sdm.logLik);
    for (const t of Object.keys(exp.sdm.se)) { close(coef(sdm, t).estimate, exp.sdm.coef[t]); close(coef(sdm, t).stdError, exp.sdm.se[t]); }
    for (const im of sdm.impacts!) for (const k of ['direct', 'indirect', 'total'] as const) close(im[k], exp.sdm_impacts[k][im.term]);
  });
});

function gridW(r: number, c: number): SpatialWeights {
  const ids: string[] = [], nbs: number[][] = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) {
    ids.push(`${i}_${j}`);
    const l: number[] = [];
    for (const [a, b] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) { const ii = i + a, jj = j + b; if (ii >= 0 && ii < r && jj >= 0 && jj < c) l.push(ii * c + jj); }
    nbs.push(l);
  }
  return fromNeighbourLists(ids, nbs, 'W');
}

describe('log-determinants and solves', () => {
  const W = gridW(12, 15); // 180 units: eigen, LU and MC all feasible
  it('eigenvalue and LU log-determinants agree; MC within its stated error', () => {
    const e = eigenLogDet(W), l = luLogDet(W), m = mcLogDet(W, { p: 64, m: 80, seed: 9 });
    const se = (m as unknown as { ldetSE: (r: number) => number }).ldetSE;
    for (const rho of [-0.6, -0.2, 0.3, 0.7, 0.9]) {
      expect(Math.abs(e.ldet(rho) - l.ldet(rho))).toBeLessThan(1e-9 * Math.max(1, Math.abs(e.ldet(rho))));
      const te = e.traces(rho), tl = l.traces(rho);
      expect(Math.abs(te.trA - tl.trA)).toBeLessThan(1e-8); expect(Math.abs(te.trAW2 - tl.trAW2)).toBeLessThan(1e-8);
      if (Math.abs(rho) <= 0.7) expect(Math.abs(m.ldet(rho) - e.ldet(rho))).toBeLessThan(4 * se(rho) + 1e-6);
    }
    // eigenvalues of a row-standardised matrix: max 1, all within [-1, 1]
    expect(e.eigenvalues![e.eigenvalues!.length - 1]).toBeCloseTo(1, 10);
    expect(e.eigenvalues![0]).toBeGreaterThanOrEqual(-1 - 1e-10);
  });
  it('CG and Neumann solves invert I - rho W', () => {
    const z = normalStream(4), b = Float64Array.from({ length: 180 }, z);
    for (const W2 of [W, { ...W, rawRowSums: undefined, weights: W.weights.map((v) => v.map((x, k) => x * (1 + 0.1 * k))) }]) {
      const x = new ImRhoW(W2, 0.6).solve(b), wx = lag(W2, x);
      for (let i = 0; i < 180; i++) expect(x[i] - 0.6 * wx[i]).toBeCloseTo(b[i], 9);
    }
  });
});

describe('SAR on 10,000 units (Monte Carlo log-determinant, trace approximations)', () => {
  it('recovers rho and beta within 2 SE and reports the approximations', () => {
    const W = gridW(100, 100), n = 10000, z = normalStream(24); // z-scores over 20 seeds: mean |z| < 0.35, sd ~1
    const x1 = Float64Array.from({ length: n }, z), x2 = Float64Array.from({ length: n }, z);
    const yv = new ImRhoW(W, 0.55).solve(Float64Array.from({ length: n }, (_, i) => 1 + 2 * x1[i] - x2[i] + z()));
    const r = fitSpatial('sar', { y: yv, yName: 'y', X: fromColumns([new Float64Array(n).fill(1), x1, x2]), names: ['(Intercept)', 'x1', 'x2'], W }, { impactDraws: 100, logdet: 'MC' });
    expect(r.params.logdet).toBe('MC');
    for (const [t, v] of [['rho', 0.55], ['x1', 2], ['x2', -1]] as const) expect(Math.abs(coef(r, t).estimate - v)).toBeLessThan(2 * coef(r, t).stdError);
    expect(r.warnings.join(' ')).toMatch(/Monte Carlo/);
    expect(r.impacts![0].total).toBeCloseTo(coef(r, 'x1').estimate / (1 - (r.params.rho as number)), 8);
  });
});
