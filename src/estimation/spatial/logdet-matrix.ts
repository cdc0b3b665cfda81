// Exact sparse log-determinant, spatialreg's method "Matrix": log|I - rho W| = log|I - rho S| with S = D^1/2 W
// D^-1/2 symmetric (W = D^-1 C, C symmetric), from a sparse Cholesky factorisation of I - rho S.
//
// The fill-reducing order (nested dissection, ordering.ts) and the symbolic analysis (elimination tree, column
// counts, supernodes; cholesky-symbolic.ts) are computed once per weights matrix; each rho costs one numeric
// multifrontal factorisation (cholesky-numeric.ts). As in spatialreg's Matrix_setup / jacobianSetup, W must be
// similar to a symmetric matrix (symmetric neighbours, style W or B), and rho is searched in (-1, 0.999) for
// row-standardised W. For style B the interval is (1/lambda_min, 1/lambda_max): the upper end from the spectral
// radius, the lower end where I - rho S stops being positive definite (bisection on the factorisation), instead
// of spatialreg's fixed (-0.5, 0.25).
//
// Traces for standard errors and impacts come from derivatives of the exact log-determinant:
//   tr(W A) = -d/drho log|I - rho W|, tr((W A)^2) = -d^2/drho^2 log|I - rho W|, tr(A) = n + rho tr(W A)
// (A = (I - rho W)^-1): `traces(rho)` by central differences (two factorisations; relative error below 1e-6,
// checked against eigenvalues in the tests), and `traceModel(lo, hi)` - for the impact draws - by a Chebyshev
// interpolant of the log-determinant on [lo, hi] whose derivatives give the traces everywhere in the range (four
// to seven factorisations for the usual range of 1,000 draws).
import { EstimationInputError } from '../result.js';
import { analyse, type Symbolic } from './cholesky-symbolic.js';
import { MultifrontalLogDet } from './cholesky-numeric.js';
import { nestedDissection, symmetricGraph } from './ordering.js';
import type { LogDet, Traces } from './logdet.js';
import { spectralRadius, symmetriser } from './logdet.js';
import type { SpatialWeights } from './types.js';

export interface MatrixLogDet extends LogDet {
  method: 'Matrix';
  /** the symbolic analysis: nnz(L), supernodes, flop count */
  symbolic: Symbolic;
  /** number of numeric factorisations so far (diagnostics, bench) */
  factorisations(): number;
}

/** Finite-difference step for the trace derivatives, as a fraction of the distance to the nearest singularity */
const H = 1e-3;

interface Setup { sval: Float64Array; sdiag: Float64Array; sym: Symbolic; interval: [number, number]; note: string }

/** The per-weights part (S on the symmetric pattern, ordering, symbolic analysis, interval), cached per weights
 * object: weights are immutable once built, and SAR / SEM / SDM fits on one map share it. */
const setups = new WeakMap<SpatialWeights, Setup>();

function setup(w: SpatialWeights): Setup {
  const hit = setups.get(w);
  if (hit) return hit;
  const n = w.ids.length;
  const sq = symmetriser(w);
  if (!sq) {
    throw new EstimationInputError(
      "logdet 'Matrix' (sparse Cholesky) needs weights similar to a symmetric matrix - symmetric neighbours, style W or B, as spatialreg's Matrix method; these weights are not (e.g. k-nearest neighbours): use 'LU' (small n) or 'MC'",
      'logdet',
    );
  }
  // Everything below runs on units relabelled in the order of their ids, so the ordering and every floating-point
  // operation - hence the log-determinant to the last bit - do not depend on the order of the rows of W (a fit on
  // the same map and data in another row order gives the same numbers, as with eigenvalues)
  const ids = w.ids, byId = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : a - b));
  const canon = new Int32Array(n);
  for (let k = 0; k < n; k++) canon[byId[k]] = k;
  // S = D^1/2 W D^-1/2 on the symmetric pattern; the two stored directions agree up to rounding, take their mean
  const g = symmetricGraph(Array.from(byId, (i) => Int32Array.from(w.neighbours[i], (j) => canon[j])));
  const sval = new Float64Array(g.adj.length), sdiag = new Float64Array(n);
  const slot = (i: number, j: number) => {
    let lo = g.ptr[i], hi = g.ptr[i + 1] - 1;
    while (lo <= hi) { const m = (lo + hi) >> 1; if (g.adj[m] === j) return m; if (g.adj[m] < j) lo = m + 1; else hi = m - 1; }
    return -1;
  };
  const seen = new Uint8Array(g.adj.length);
  for (let ic = 0; ic < n; ic++) {
    const i = byId[ic], nb = w.neighbours[i], v = w.weights[i];
    for (let k = 0; k < nb.length; k++) {
      const j = nb[k], jc = canon[j], s = (sq[i] * v[k]) / sq[j];
      if (j === i) { sdiag[ic] = v[k]; continue; }
      const p = slot(ic, jc), q = slot(jc, ic);
      // first direction seen fills both slots; the second averages
      if (!seen[p]) { sval[p] = s; sval[q] = s; seen[p] = 1; seen[q] = 1; }
      else { const m = 0.5 * (sval[p] + s); sval[p] = m; sval[q] = m; }
    }
  }
  const sym = analyse(g, nestedDissection(g));
  // interval: spatialreg's (-1, 0.999) for row-standardised W; exact positive-definite range otherwise
  let interval: [number, number];
  let note: string;
  if (w.style === 'W') {
    interval = [-1, 0.999];
    note = 'sparse Cholesky log-determinant (spatialreg method "Matrix"); rho searched in (-1, 0.999)';
  } else {
    const mf = new MultifrontalLogDet(sym), pd = (rho: number) => !Number.isNaN(mf.logDet(rho, sval, sdiag));
    const r = spectralRadius(w), top = 1 / r;
    let lo = -top;
    if (!pd(lo * (1 - 1e-9))) {
      // bisect on positive definiteness between -1/r (not PD) and 0 (PD)
      let a = lo, b = 0;
      for (let it = 0; it < 60 && b - a > 1e-10 * top; it++) { const m = 0.5 * (a + b); if (pd(m)) b = m; else a = m; }
      lo = b;
    }
    interval = [lo + 1e-9 * top, top * (1 - 1e-9)];
    note = `sparse Cholesky log-determinant (spatialreg method "Matrix"); rho searched in (${interval[0].toPrecision(6)}, ${interval[1].toPrecision(6)}), where I - rho W is positive definite`;
  }
  const out = { sval, sdiag, sym, interval, note };
  setups.set(w, out);
  return out;
}

export function matrixLogDet(w: SpatialWeights): MatrixLogDet {
  const n = w.ids.length;
  const { sval, sdiag, sym, interval, note } = setup(w);
  const mf = new MultifrontalLogDet(sym);
  let count = 0;
  const raw = (rho: number) => { count++; return mf.logDet(rho, sval, sdiag); };
  const rowStd = w.style === 'W';

  // a small cache: Brent, the finite differences and the trace model ask for some points more than once
  const cache = new Map<number, number>();
  const ldet = (rho: number): number => {
    if (rho === 0) return 0;
    const c = cache.get(rho);
    if (c !== undefined) return c;
    const v = raw(rho);
    if (Number.isNaN(v)) {
      throw new EstimationInputError(`I - rho W is not positive definite at rho = ${rho}: outside the interval (${interval[0]}, ${interval[1]}) of the sparse Cholesky log-determinant`, 'rho');
    }
    if (cache.size > 256) cache.clear();
    cache.set(rho, v);
    return v;
  };
  // central differences, the step 1e-3 of the distance to the nearest singularity of the log-determinant (rho =
  // 1/lambda: +-1 for row-standardised W, else the interval ends): two factorisations; against eigenvalues on 1,000
  // units over rho in [-0.9, 0.99] the relative error is <= 7e-7 for tr(WA) and 2.4e-7 for tr((WA)^2) (a smaller
  // step trades truncation for rounding in the second difference, a five-point rule costs two more factorisations)
  const sing: [number, number] = rowStd ? [-1, 1] : interval;
  const traces = (rho: number): Traces => {
    const dist = Math.min(rho - sing[0], sing[1] - rho);
    const h = Math.min(H * dist, (rho - interval[0]) / 1.5, (interval[1] - rho) / 1.5);
    if (!(h > 0)) throw new EstimationInputError(`rho = ${rho} is outside the interval (${interval[0]}, ${interval[1]})`, 'rho');
    const f0 = ldet(rho), fp = ldet(rho + h), fm = ldet(rho - h);
    const trAW = -(fp - fm) / (2 * h), trAW2 = -(fp - 2 * f0 + fm) / (h * h);
    return { trA: n + rho * trAW, trAW, trAW2 };
  };
  return {
    method: 'Matrix', interval, ldet, traces, note, symbolic: sym,
    factorisations: () => count,
    traceModel: (lo: number, hi: number) => chebyshevTraces(ldet, traces, n, lo, hi, interval, sing, cache),
  };
}

/** Traces on [lo, hi] from the derivatives of a Chebyshev interpolant of the log-determinant (K nodes), for the
 * impact draws, whose own Monte Carlo error (a few percent with 1,000 draws) dwarfs 1e-5. The log-determinant is
 * analytic up to its singularities `sing`, so the interpolation error falls like r^-K with r the Bernstein-ellipse
 * parameter of the nearest one; K starts where r^-K < 1e-7 and grows until the interpolant matches one more exact
 * log-determinant to 1e-7 x half-width x |tr(W A)| (the derivative error is then a few 1e-6 of tr(W A) at most:
 * measured against eigenvalues on 1,000 units, <= 2e-6). That check reuses a value already computed inside the range (the finite-difference
 * points around the estimate usually are) or computes one. Outside [lo, hi] the finite-difference `traces`. */
function chebyshevTraces(ldet: (r: number) => number, exact: (r: number) => Traces, n: number, lo: number, hi: number,
  interval: [number, number], sing: [number, number], known: Map<number, number>): (rho: number) => Traces {
  lo = Math.max(lo, interval[0]); hi = Math.min(hi, interval[1]);
  if (!(hi - lo > 1e-6)) return exact;
  const mid = 0.5 * (lo + hi), half = 0.5 * (hi - lo);
  const x = Math.min(mid - sing[0], sing[1] - mid) / half, r = x + Math.sqrt(Math.max(0, x * x - 1));
  const K0 = r > 1.05 ? Math.max(4, Math.ceil(7 / Math.log10(r))) : 40;
  for (let K = Math.min(K0, 40); K <= 40; K = Math.ceil(K * 1.5)) {
    const f = new Float64Array(K);
    for (let k = 0; k < K; k++) f[k] = ldet(mid + half * Math.cos((Math.PI * (k + 0.5)) / K));
    // coefficients c_j = 2/K sum_k f_k cos(pi j (k + 1/2) / K); p(x) = c_0/2 + sum_j c_j T_j(x)
    const c = new Float64Array(K);
    for (let j = 0; j < K; j++) { let s = 0; for (let k = 0; k < K; k++) s += f[k] * Math.cos((Math.PI * j * (k + 0.5)) / K); c[j] = (2 / K) * s; }
    // derivative coefficients: d_{j-1} = d_{j+1} + 2 j c_j (then scale by 1/half); twice for the second
    const deriv = (a: Float64Array) => {
      const d = new Float64Array(a.length);
      for (let j = a.length - 1; j >= 1; j--) d[j - 1] = (j + 1 < a.length ? d[j + 1] : 0) + 2 * j * a[j];
      return d;
    };
    const c1 = deriv(c), c2 = deriv(c1);
    const clenshaw = (a: Float64Array, x: number) => {
      let b1 = 0, b2 = 0;
      for (let j = a.length - 1; j >= 1; j--) { const t = 2 * x * b1 - b2 + a[j]; b2 = b1; b1 = t; }
      return x * b1 - b2 + 0.5 * a[0];
    };
    const at = (rho: number): Traces => {
      const x = (rho - mid) / half;
      const trAW = -clenshaw(c1, x) / half, trAW2 = -clenshaw(c2, x) / (half * half);
      return { trA: n + rho * trAW, trAW, trAW2 };
    };
    let probe = NaN;
    for (const r of known.keys()) if (Math.abs(r - mid) < half && !(Math.abs(r - mid) < Math.abs(probe - mid))) probe = r;
    if (Number.isNaN(probe)) probe = mid + half * 0.5 * (Math.cos(Math.PI * 0.5 / K) + Math.cos(Math.PI * 1.5 / K));
    const err = Math.abs(clenshaw(c, (probe - mid) / half) - ldet(probe));
    if (err <= 1e-7 * half * Math.max(1, Math.abs(at(mid).trAW))) {
      return (rho: number) => (rho >= lo && rho <= hi ? at(rho) : exact(rho));
    }
  }
  return exact;
}
