// The exact sparse Cholesky log-determinant (logdet 'Matrix') against spatialreg's lagsarlm / errorsarlm with
// method = "Matrix" on the synthetic polygons of scripts/synthetic-polygons.ts (fixtures and the R script that made
// them: test/fixtures/spatial-matrix), against dense eigenvalues, and on bad input.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { polygons, simulateSAR, SIZES } from '../scripts/synthetic-polygons.js';
import { fromColumns } from '../src/estimation/linalg.js';
import { EstimationInputError } from '../src/estimation/result.js';
import {
  chooseLogDet, eigenLogDet, fitSpatial, fromNeighbourLists, luLogDet, weightsFromGeoJSON, type SpatialWeights,
} from '../src/estimation/spatial/index.js';
import { matrixLogDet } from '../src/estimation/spatial/logdet-matrix.js';
import { analyse } from '../src/estimation/spatial/cholesky-symbolic.js';
import { nestedDissection, symmetricGraph } from '../src/estimation/spatial/ordering.js';

const exp = JSON.parse(readFileSync(new URL('./fixtures/spatial-matrix/expected.json', import.meta.url), 'utf8'));
const rel = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
const coef = (r: ReturnType<typeof fitSpatial>, t: string) => r.coefficients.find((c) => c.term === t)!;
const names = ['(Intercept)', 'x1', 'x2'];

function setup(key: string) {
  const [r, c] = SIZES[key];
  const W = weightsFromGeoJSON(polygons(r, c), 'id', { type: 'queen', longlat: false }), n = W.ids.length;
  const d = simulateSAR(W, n);
  return { W, n, input: { y: d.y, yName: 'y', X: fromColumns([new Float64Array(n).fill(1), d.x1, d.x2]), names, W } };
}

describe.each(['3k', '10k', '30k'])('SAR %s units vs lagsarlm(method = "Matrix")', (key) => {
  const e = exp[key];
  const { W, n, input } = setup(key);
  it('same weights; log|I - rho W| equals CHOLMOD\'s to 1e-10', () => {
    expect(n).toBe(e.n);
    expect(W.neighbours.reduce((s, nb) => s + nb.length, 0)).toBe(e.links);
    const ld = matrixLogDet(W);
    e.ldet.rho.forEach((r: number, i: number) => expect(rel(ld.ldet(r), e.ldet.value[i])).toBeLessThan(1e-10));
    // nested dissection: fewer flops than CHOLMOD's AMD order (R Matrix) on these maps, and at most 5 % more fill
    expect(ld.symbolic.flops).toBeLessThan(e.flops_amd);
    expect(ld.symbolic.nnzL).toBeLessThan(1.05 * e.nnzL_amd);
  });
  it('rho to 1e-6, log-likelihood, betas, sigma2; SEs from the Hessian', () => {
    const f = fitSpatial('sar', input, { impactDraws: 0 });
    expect(f.params.logdet).toBe('Matrix');
    expect(f.params.interval).toEqual([-1, 0.999]);
    expect(Math.abs((f.params.rho as number) - e.rho)).toBeLessThan(1e-6);
    expect(rel(f.fit.logLik!, e.logLik)).toBeLessThan(1e-10);
    expect(rel(f.fit.sigma2!, e.s2)).toBeLessThan(1e-6);
    for (const t of names) expect(rel(coef(f, t).estimate, e.coefficients[t])).toBeLessThan(1e-6);
    // the rho SE is 1 / sqrt(curvature of the profile log-likelihood), which R's numerical fdHess approximates
    expect(rel(coef(f, 'rho').stdError, e.rho_se_profile)).toBeLessThan(1e-5);
    expect(rel(coef(f, 'rho').stdError, e.rho_se)).toBeLessThan(0.01);
    for (const t of names) expect(rel(coef(f, t).stdError, e.se[t])).toBeLessThan(0.01);
    expect(f.vcovType).toMatch(/Hessian/);
  });
});

describe('SEM 3k units vs errorsarlm(method = "Matrix")', () => {
  it('lambda to 1e-6, log-likelihood, betas and their SEs; lambda SE from the Hessian', () => {
    const e = exp['3k'].sem, { input } = setup('3k');
    const f = fitSpatial('sem', input);
    expect(f.params.logdet).toBe('Matrix');
    expect(Math.abs((f.params.lambda as number) - e.lambda)).toBeLessThan(1e-6);
    expect(rel(f.fit.logLik!, e.logLik)).toBeLessThan(1e-10);
    const rse = Object.values(e.se) as number[];
    names.forEach((t, j) => {
      expect(rel(coef(f, t).estimate, e.coefficients[t])).toBeLessThan(1e-6);
      expect(rel(coef(f, t).stdError, rse[j])).toBeLessThan(1e-6);
    });
    expect(rel(coef(f, 'lambda').stdError, e.lambda_se_profile)).toBeLessThan(1e-5);
    expect(rel(coef(f, 'lambda').stdError, e.lambda_se)).toBeLessThan(0.01);
  });
});

describe('sparse Cholesky vs dense eigenvalues on 1,000 units', () => {
  const { W, input } = setup('1k');
  const ev = eigenLogDet(W), ld = matrixLogDet(W);
  it('log|I - rho W| to 1e-9 (relative) over the interval; traces to 1e-6', () => {
    for (const rho of [-0.99, -0.7, -0.3, 0.1, 0.4, 0.6, 0.9, 0.99]) {
      expect(Math.abs(ld.ldet(rho) - ev.ldet(rho)) / Math.max(1, Math.abs(ev.ldet(rho))), `rho ${rho}`).toBeLessThan(1e-9);
    }
    for (const rho of [-0.5, 0.3, 0.5, 0.9]) {
      const a = ld.traces(rho), b = ev.traces(rho);
      for (const k of ['trA', 'trAW', 'trAW2'] as const) expect(rel(a[k], b[k]), `${k} at ${rho}`).toBeLessThan(1e-6);
    }
    // the impact draws' trace model: 1e-5 is far below the Monte Carlo error of the draws
    const model = ld.traceModel!(0.4, 0.56);
    for (const rho of [0.4, 0.45, 0.5, 0.56]) expect(rel(model(rho).trAW, ev.traces(rho).trAW)).toBeLessThan(1e-5);
  });
  it('SAR and SDM: rho and impacts as with eigenvalues; the same likelihood maximum', () => {
    for (const model of ['sar', 'sdm'] as const) {
      const fe = fitSpatial(model, input, { logdet: 'eigen', impactDraws: 200 });
      const fm = fitSpatial(model, input, { logdet: 'Matrix', impactDraws: 200 });
      expect(fm.params.logdet).toBe('Matrix');
      expect(Math.abs((fm.params.rho as number) - (fe.params.rho as number))).toBeLessThan(1e-7);
      expect(rel(fm.fit.logLik!, fe.fit.logLik!)).toBeLessThan(1e-12);
      fm.impacts!.forEach((im, q) => {
        for (const k of ['direct', 'indirect', 'total'] as const) expect(rel(im[k], fe.impacts![q][k])).toBeLessThan(1e-6);
        // the draws are the same; their SEs differ only through the vcov (Hessian vs information matrix)
        expect(rel(im.directSE!, fe.impacts![q].directSE!)).toBeLessThan(0.05);
      });
    }
  });
  it("'auto' uses eigenvalues up to 100 units and the sparse Cholesky above", () => {
    expect(chooseLogDet(W).method).toBe('Matrix');
    const small = setupGrid(9, 11);
    expect(chooseLogDet(small).method).toBe('eigen');
    expect(chooseLogDet(small, { method: 'Matrix' }).method).toBe('Matrix');
    // a factor beyond the flop budget (here set tiny) falls back to Monte Carlo, saying why
    const mc = chooseLogDet(W, { matrixMaxFlops: 1e5 });
    expect(mc.method).toBe('MC');
    expect(mc.note).toMatch(/too dense .* flops per rho/);
  });
});

/** rook lattice, optionally with isolated units appended (islands), style W or B */
function setupGrid(r: number, c: number, islands = 0, style: 'W' | 'B' = 'W'): SpatialWeights {
  const nbs: number[][] = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) {
    const v: number[] = [];
    if (i > 0) v.push((i - 1) * c + j);
    if (j > 0) v.push(i * c + j - 1);
    if (j < c - 1) v.push(i * c + j + 1);
    if (i < r - 1) v.push((i + 1) * c + j);
    nbs.push(v);
  }
  for (let k = 0; k < islands; k++) nbs.push([]);
  return fromNeighbourLists(nbs.map((_, i) => `u${i}`), nbs, style);
}

describe('orderings and the symbolic analysis', () => {
  it('nested dissection is a permutation; the column counts match a dense elimination', () => {
    const W = setupGrid(13, 17), g = symmetricGraph(W.neighbours), n = W.ids.length;
    const perm = nestedDissection(g, 8);
    expect([...perm].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const sym = analyse(g, perm);
    // symbolic elimination on a dense boolean matrix in the analysed order
    const P = sym.perm, pinv = new Int32Array(n);
    P.forEach((o, k) => (pinv[o] = k));
    const M = Array.from({ length: n }, () => new Uint8Array(n));
    for (let i = 0; i < n; i++) for (let p = g.ptr[i]; p < g.ptr[i + 1]; p++) M[pinv[i]][pinv[g.adj[p]]] = 1;
    let nnz = 0;
    for (let k = 0; k < n; k++) {
      const below: number[] = [];
      for (let i = k + 1; i < n; i++) if (M[i][k]) below.push(i);
      nnz += 1 + below.length;
      for (const a of below) for (const b of below) if (a !== b) M[a][b] = 1;
    }
    expect(sym.nnzL).toBe(nnz);
  });
});

describe('bad input and special weights', () => {
  it("asymmetric weights (knn): 'Matrix' refuses them with a clear error; 'auto' falls back with a note", () => {
    const { W } = setup('1k');
    // keep each unit's first 3 neighbours only: not symmetric, not similar to a symmetric matrix
    const K = fromNeighbourLists(W.ids, W.neighbours.map((nb) => nb.slice(0, 3)), 'W');
    expect(() => matrixLogDet(K)).toThrow(EstimationInputError);
    expect(() => matrixLogDet(K)).toThrow(/similar to a symmetric matrix.*'LU'.*'MC'/);
    const d = simulateSAR(W, 5), X = fromColumns([new Float64Array(1000).fill(1), d.x1, d.x2]);
    expect(() => fitSpatial('sar', { y: d.y, yName: 'y', X, names, W: K }, { logdet: 'Matrix' })).toThrow(/similar to a symmetric/);
    const f = fitSpatial('sar', { y: d.y, yName: 'y', X, names, W: K }, { impactDraws: 0 });
    expect(f.params.logdet).toBe('MC');
    expect(f.warnings.join(' ')).toMatch(/not similar to a symmetric matrix/);
    expect(() => chooseLogDet(W, { method: 'cholesky' as never })).toThrow(/unknown logdet method/);
  });
  it('rho outside the interval: a clear error instead of a number', () => {
    const ld = matrixLogDet(setupGrid(10, 12));
    expect(() => ld.ldet(1.5)).toThrow(/not positive definite at rho = 1.5/);
    expect(() => ld.ldet(-3)).toThrow(EstimationInputError);
    expect(() => ld.traces(1)).toThrow(/outside the interval/);
  });
  it('islands (zero rows of W) and binary weights: equal to the eigenvalue / LU log-determinants', () => {
    const Wi = setupGrid(10, 12, 3);
    expect(Wi.islands).toHaveLength(3);
    const a = matrixLogDet(Wi), b = eigenLogDet(Wi), c = luLogDet(Wi);
    for (const rho of [-0.8, 0.2, 0.7]) {
      expect(Math.abs(a.ldet(rho) - b.ldet(rho))).toBeLessThan(1e-10);
      expect(Math.abs(a.ldet(rho) - c.ldet(rho))).toBeLessThan(1e-10);
    }
    const B = setupGrid(10, 12, 0, 'B'), mb = matrixLogDet(B), eb = eigenLogDet(B);
    // style B: the interval is where I - rho W is positive definite, (1/lambda_min, 1/lambda_max)
    expect(mb.interval[0]).toBeCloseTo(eb.interval[0], 7);
    expect(mb.interval[1]).toBeCloseTo(eb.interval[1], 7);
    for (const rho of [-0.2, 0.1, 0.24]) expect(Math.abs(mb.ldet(rho) - eb.ldet(rho))).toBeLessThan(1e-10);
    const d = simulateSAR(Wi, 9), n = Wi.ids.length, X = fromColumns([new Float64Array(n).fill(1), d.x1, d.x2]);
    const fi = fitSpatial('sar', { y: d.y, yName: 'y', X, names, W: Wi }, { logdet: 'Matrix', impactDraws: 0 });
    const fe = fitSpatial('sar', { y: d.y, yName: 'y', X, names, W: Wi }, { logdet: 'eigen', impactDraws: 0 });
    expect(Math.abs((fi.params.rho as number) - (fe.params.rho as number))).toBeLessThan(1e-7);
  });
});
