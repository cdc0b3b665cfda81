// More spdep conventions on Columbus: normality inference, binary weights, local Moran moments and quadrants,
// inverse-distance knn weights (test/fixtures/columbus_extra, made by scripts/columbus_extra_oracle.R).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gearyTest, localMoran, moranTest, weightsFromGeoJSON } from '../src/estimation/spatial/index.js';

const fc = JSON.parse(readFileSync(new URL('./fixtures/columbus/data.geojson', import.meta.url), 'utf8'));
const exp = JSON.parse(readFileSync(new URL('./fixtures/columbus_extra/expected.json', import.meta.url), 'utf8'));
const y = Float64Array.from(fc.features, (f: { properties: Record<string, number> }) => f.properties.CRIME);
const close = (got: number, want: number, tol = 1e-6) => expect(Math.abs(got - want) / Math.abs(want), `got ${got} want ${want}`).toBeLessThan(tol);
const W = weightsFromGeoJSON(fc, 'POLYID', { type: 'queen' }), B = weightsFromGeoJSON(fc, 'POLYID', { type: 'queen', style: 'B' });

describe('columbus, more spdep conventions', () => {
  it('Moran and Geary under normality', () => {
    const m = moranTest(y, W, { randomisation: false }), g = gearyTest(y, W, { randomisation: false });
    close(m.z, exp.moran_normality.statistic); close(m.variance, exp.moran_normality.variance); close(m.pValue, exp.moran_normality.pValue);
    close(g.z, exp.geary_normality.statistic); close(g.variance, exp.geary_normality.variance); close(g.pValue, exp.geary_normality.pValue);
  });
  it('binary weights', () => {
    const m = moranTest(y, B), g = gearyTest(y, B);
    close(m.I, exp.moran_binary.estimate); close(m.z, exp.moran_binary.statistic); close(m.variance, exp.moran_binary.variance);
    close(g.C, exp.geary_binary.estimate); close(g.z, exp.geary_binary.statistic);
  });
  it('local Moran: Ii, E, Var, Z, two-sided p and quadrant for all 49 units', () => {
    const lm = localMoran(y, W), q = { 'Low-Low': 'LL', 'High-High': 'HH', 'Low-High': 'LH', 'High-Low': 'HL' } as Record<string, string>;
    lm.forEach((r, i) => {
      close(r.Ii, exp.local_moran.Ii[i], 1e-9); close(r.expectation, exp.local_moran.E[i], 1e-9);
      close(r.variance, exp.local_moran.V[i], 1e-9); close(r.z, exp.local_moran.Z[i], 1e-9); close(r.pValue, exp.local_moran.P[i], 1e-8);
      expect(r.quadrant).toBe(q[exp.local_moran.quadrant[i]]);
    });
  });
  it('inverse-distance knn4 weights (planar)', () => {
    const I = weightsFromGeoJSON(fc, 'POLYID', { type: 'knn', k: 4, longlat: false, inverseDistance: true });
    const m = moranTest(y, I);
    close(m.I, exp.moran_inverse_distance_knn4.estimate); close(m.z, exp.moran_inverse_distance_knn4.statistic);
  });
});

describe('local Moran conditional permutation', () => {
  it('is seeded, keeps Ii, and its z agrees with the analytic conditional z', async () => {
    const { localMoranPermutation } = await import('../src/estimation/spatial/index.js');
    const a = localMoranPermutation(y, W, 999, 5), b = localMoranPermutation(y, W, 999, 5);
    expect(a).toEqual(b);
    const lm = localMoran(y, W);
    let agree = 0;
    a.forEach((r, i) => {
      expect(r.Ii).toBe(lm[i].Ii);
      expect(r.pSim).toBeGreaterThan(0); expect(r.pSim).toBeLessThanOrEqual(0.5 + 1e-12);
      if (Math.abs(r.zSim - lm[i].z) < 0.35 + 0.15 * Math.abs(lm[i].z)) agree++;
    });
    expect(agree).toBeGreaterThanOrEqual(45); // simulated and analytic conditional moments coincide up to noise
  });
});

describe('SAR with binary (B) weights', () => {
  it('matches lagsarlm with style B (eigen), and the series path honours the spectral radius', async () => {
    const { fitSpatial, spectralRadius } = await import('../src/estimation/spatial/index.js');
    const { fromColumns } = await import('../src/estimation/linalg.js');
    const col = (k: string) => Float64Array.from(fc.features, (f: { properties: Record<string, number> }) => f.properties[k]);
    const X = fromColumns([new Float64Array(49).fill(1), col('INC'), col('HOVAL')]), names = ['(Intercept)', 'INC', 'HOVAL'];
    const e = exp.sar_binary;
    const r = fitSpatial('sar', { y, yName: 'CRIME', X, names, W: B }, { impactDraws: 0 });
    close(r.params.rho as number, e.rho, 1e-4); close(r.coefficients[0].stdError, e.rhoSE, 1e-4); close(r.fit.logLik!, e.logLik, 1e-6);
    for (const t of names) { close(r.coefficients.find((c) => c.term === t)!.estimate, e.coef[t], 1e-4); close(r.coefficients.find((c) => c.term === t)!.stdError, e.se[t], 1e-4); }
    // direct as spatialreg; total is LeSage-Pace's n^-1 1'(I - rho W)^-1 1 b. spatialreg's eigen shortcut b/(1 - rho)
    // is only right for row-standardised W, so R's total differs for style B (documented in docs/spatial.md)
    const { inverse, identity, zeros } = await import('../src/estimation/linalg.js');
    const rho = r.params.rho as number, M = zeros(49, 49);
    B.neighbours.forEach((nb, i) => nb.forEach((j) => (M.data[i + j * 49] = -rho)));
    const A = inverse({ ...M, data: M.data.map((v, k) => v + identity(49).data[k]) });
    const meanRowSum = A.data.reduce((a, b) => a + b, 0) / 49;
    for (const im of r.impacts!) {
      close(im.direct, e.direct[im.term], 1e-4);
      close(im.total, r.coefficients.find((c) => c.term === im.term)!.estimate * meanRowSum, 1e-9);
      expect(Math.abs(im.total - e.total[im.term]) / Math.abs(e.total[im.term])).toBeGreaterThan(0.1);
    }
    const rad = spectralRadius(B);
    expect(rad).toBeGreaterThan(4); // binary queen: Perron root between mean and max degree
    const mc = fitSpatial('sar', { y, yName: 'CRIME', X, names, W: B }, { logdet: 'MC', impactDraws: 0 });
    expect((mc.params.interval as number[])[1]).toBeCloseTo(0.99 / rad, 10);
    expect(Math.abs((mc.params.rho as number) - e.rho)).toBeLessThan(0.2 * e.rhoSE);
  });
});
