// Columbus (spData) against spdep / spatialreg reference values in test/fixtures/columbus/expected.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromColumns } from '../src/estimation/linalg.js';
import { EstimationInputError } from '../src/estimation/result.js';
import {
  fitSpatial, gearyTest, lmTests, localMoran, moranPermutation, moranTest, weightsFromGeoJSON, type SpatialWeights,
} from '../src/estimation/spatial/index.js';

const dir = new URL('./fixtures/columbus/', import.meta.url);
const fc = JSON.parse(readFileSync(new URL('data.geojson', dir), 'utf8'));
const exp = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8'));
const col = (k: string) => Float64Array.from(fc.features, (f: { properties: Record<string, number> }) => f.properties[k]);
const y = col('CRIME');
const X = fromColumns([new Float64Array(49).fill(1), col('INC'), col('HOVAL')]);
const names = ['(Intercept)', 'INC', 'HOVAL'];
const W = weightsFromGeoJSON(fc, 'POLYID', { type: 'queen' });

let maxRel = 0;
const close = (got: number, want: number, tol = 1e-4) => {
  const rel = Math.abs(got - want) / Math.max(Math.abs(want), 1e-12);
  maxRel = Math.max(maxRel, rel);
  expect(rel, `got ${got}, want ${want}`).toBeLessThan(tol);
};
const asIds = (w: SpatialWeights) => Object.fromEntries(w.ids.map((id, i) => [id, Array.from(w.neighbours[i], (j) => Number(w.ids[j]))]));

describe('columbus neighbours (spdep poly2nb / knearneigh)', () => {
  it('queen matches exactly', () => expect(asIds(W)).toEqual(exp.neighbours_queen));
  it('rook (shared edge) matches exactly', () => expect(asIds(weightsFromGeoJSON(fc, 'POLYID', { type: 'rook' }))).toEqual(exp.neighbours_rook));
  it("rook (poly2nb's two-point rule) matches exactly", () =>
    expect(asIds(weightsFromGeoJSON(fc, 'POLYID', { type: 'rook', rookRule: 'spdep' }))).toEqual(exp.neighbours_rook));
  it('knn4 on planar centroids matches exactly', () =>
    expect(asIds(weightsFromGeoJSON(fc, 'POLYID', { type: 'knn', k: 4, longlat: false }))).toEqual(exp.neighbours_knn4_centroids));
  it('row-standardised rows sum to one, binary style keeps ones', () => {
    for (const v of W.weights) expect(v.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    const B = weightsFromGeoJSON(fc, 'POLYID', { type: 'queen', style: 'B' });
    expect(B.weights.every((v) => v.every((x) => x === 1))).toBe(true);
    expect(W.islands).toEqual([]);
  });
});

describe('columbus statistics (spdep)', () => {
  it("Moran's I under randomisation", () => {
    const m = moranTest(y, W);
    close(m.I, exp.moran_crime.I, 1e-6); close(m.expectation, exp.moran_crime.expectation, 1e-6);
    close(m.variance, exp.moran_crime.variance, 1e-6); close(m.z, exp.moran_crime.z, 1e-6); close(m.pValue, exp.moran_crime.pValue, 1e-6);
  });
  it('Moran permutation test is seeded and agrees with the analytic test', () => {
    const a = moranPermutation(y, W, 499, 42), b = moranPermutation(y, W, 499, 42);
    expect(a).toEqual(b);
    expect(a.pValue).toBeCloseTo(1 / 500, 10); // observed I beats every permutation
    expect(Math.abs(a.expectation - exp.moran_crime.expectation)).toBeLessThan(0.02);
  });
  it("Geary's C", () => {
    const g = gearyTest(y, W);
    close(g.C, exp.geary_crime.C, 1e-6); close(g.z, exp.geary_crime.z, 1e-6);
  });
  it('local Moran, first ten, with quadrants', () => {
    const lm = localMoran(y, W);
    exp.local_moran_first10.forEach((v: number, i: number) => close(lm[i].Ii, v, 1e-6));
    // Ii sums to n * I / S0 * S0 / n = I * n for row-standardised W: sum Ii = n I
    close(lm.reduce((s, r) => s + r.Ii, 0) / 49, exp.moran_crime.I, 1e-9);
    for (const r of lm) {
      expect(['HH', 'LL', 'HL', 'LH']).toContain(r.quadrant);
      if (r.quadrant === 'HH' || r.quadrant === 'LL') expect(r.Ii).toBeGreaterThanOrEqual(0);
      expect(r.pValue).toBeGreaterThanOrEqual(0); expect(r.pValue).toBeLessThanOrEqual(1);
    }
  });
  it('LM diagnostics', () => {
    const t = lmTests(y, X, W) as unknown as Record<string, { statistic: number; pValue: number }>;
    for (const k of ['LMerr', 'LMlag', 'RLMerr', 'RLMlag', 'SARMA']) {
      close(t[k].statistic, exp.lm_tests[k].statistic, 1e-6); close(t[k].pValue, exp.lm_tests[k].pValue, 1e-6);
    }
  });
});

const coef = (r: ReturnType<typeof fitSpatial>, t: string) => r.coefficients.find((c) => c.term === t)!;

describe('columbus ML models (spatialreg, eigen log-determinant)', () => {
  const input = { y, yName: 'CRIME', X, names, W };
  it('SAR (lagsarlm) coefficients, asymptotic SEs, logLik, sigma2 and impacts', () => {
    const r = fitSpatial('sar', input);
    const e = exp.sar;
    close(r.params.rho as number, e.rho); close(coef(r, 'rho').stdError, e.rhoSE);
    for (const t of names) { close(coef(r, t).estimate, e.coef[t]); close(coef(r, t).stdError, e.se[t]); }
    close(r.fit.logLik!, e.logLik); close(r.fit.sigma2!, e.sigma2);
    for (const im of r.impacts!) for (const k of ['direct', 'indirect', 'total'] as const) close(im[k], exp.sar_impacts[k][im.term]);
    expect(r.impacts![0].directSE).toBeGreaterThan(0);
  });
  it('SEM (errorsarlm)', () => {
    const r = fitSpatial('sem', input);
    const e = exp.sem;
    close(r.params.lambda as number, e.lambda); close(coef(r, 'lambda').stdError, e.lambdaSE);
    for (const t of names) { close(coef(r, t).estimate, e.coef[t]); close(coef(r, t).stdError, e.se[t]); }
    close(r.fit.logLik!, e.logLik);
  });
  it('SDM (lagsarlm type = "mixed") with lag.X names and impacts', () => {
    const r = fitSpatial('sdm', input);
    const e = exp.sdm;
    close(r.params.rho as number, e.rho);
    for (const t of Object.keys(e.se)) { close(coef(r, t).estimate, e.coef[t]); close(coef(r, t).stdError, e.se[t]); }
    close(r.fit.logLik!, e.logLik);
    for (const im of r.impacts!) for (const k of ['direct', 'indirect', 'total'] as const) close(im[k], exp.sdm_impacts[k][im.term]);
  });
  it('SLX (lmSLX)', () => {
    const r = fitSpatial('slx', input);
    for (const t of Object.keys(exp.slx.coef)) close(coef(r, t).estimate, exp.slx.coef[t], 1e-6);
  });
  it('impact simulation is reproducible with a seed and changes with it', () => {
    const a = fitSpatial('sar', input, { seed: 3, impactDraws: 300 }), b = fitSpatial('sar', input, { seed: 3, impactDraws: 300 });
    const c = fitSpatial('sar', input, { seed: 4, impactDraws: 300 });
    expect(a.impacts).toEqual(b.impacts);
    expect(a.impacts![0].directSE).not.toEqual(c.impacts![0].directSE);
  });
  it('MC log-determinant gives nearly the same SAR fit', () => {
    const r = fitSpatial('sar', input, { logdet: 'MC', impactDraws: 0 });
    expect(Math.abs((r.params.rho as number) - exp.sar.rho)).toBeLessThan(0.02);
  });
  it('reports max relative error', () => { console.log(`columbus max relative error vs R: ${maxRel.toExponential(2)}`); });
});

describe('bad input', () => {
  it('names the culprit', () => {
    const bad = Float64Array.from(y); bad[3] = NaN;
    expect(() => fitSpatial('sar', { y: bad, yName: 'CRIME', X, names, W })).toThrow(/CRIME.*unit 4/);
    expect(() => fitSpatial('sar', { y: y.subarray(0, 40), yName: 'CRIME', X, names, W })).toThrow(EstimationInputError);
    const dupX = fromColumns([new Float64Array(49).fill(1), col('INC'), col('INC')]);
    expect(() => fitSpatial('sem', { y, yName: 'CRIME', X: dupX, names: ['(Intercept)', 'INC', 'INC2'], W })).toThrow(/INC2/);
    expect(() => weightsFromGeoJSON(fc, 'NOPE', { type: 'queen' })).toThrow(/NOPE/);
    const broken = { ...fc, features: [...fc.features.slice(0, 2), { ...fc.features[2], geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 1]]] } }] };
    expect(() => weightsFromGeoJSON(broken, 'POLYID', { type: 'queen' })).toThrow(/feature 2.*POLYID = 3/);
    expect(() => weightsFromGeoJSON(fc, 'POLYID', { type: 'knn', k: 49 })).toThrow(/k = 49/);
  });
  it('reports islands instead of hiding them', () => {
    const two = { type: 'FeatureCollection', features: [fc.features[0], fc.features[1], fc.features[48]] };
    const w = weightsFromGeoJSON(two, 'POLYID', { type: 'queen' });
    expect(w.islands).toEqual(['49']);
    expect(w.neighbours[2].length).toBe(0);
  });
});
