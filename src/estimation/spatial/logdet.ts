// log|I - rho W| for ML: exact from eigenvalues when W is similar to a symmetric matrix and n is small, exact
// sparse Cholesky (spatialreg's "Matrix", logdet-matrix.ts) for symmetrisable W beyond that, exact dense LU for
// small asymmetric W, and the Barry-Pace (1999) Monte Carlo power-trace series for large asymmetric W or on request.
import { EstimationInputError } from '../result.js';
import { identity, solve, zeros } from '../linalg.js';
import { matrixLogDet } from './logdet-matrix.js';
import { mulberry32 } from './rng.js';
import { LANES, lagCSR, lagCSR8, toCSR, transposeValues, type SpatialWeights } from './types.js';

/** Eigenvalues of a dense symmetric matrix (row-major n x n, overwritten): Householder tridiagonalisation then
 * implicit QL (tred2/tqli without vectors), O(4/3 n^3) - fast enough for n of a few thousand. */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n), e = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    let h = 0, scale = 0;
    const ri = i * n;
    if (l > 0) {
      for (let k = 0; k <= l; k++) scale += Math.abs(a[ri + k]);
      if (scale === 0) e[i] = a[ri + l];
      else {
        for (let k = 0; k <= l; k++) { a[ri + k] /= scale; h += a[ri + k] * a[ri + k]; }
        let f = a[ri + l];
        const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g; h -= f * g; a[ri + l] = f - g;
        // p = A u / h from the lower triangle, row by row (contiguous memory)
        for (let j = 0; j <= l; j++) e[j] = 0;
        for (let j = 0; j <= l; j++) {
          const rj = j * n, uj = a[ri + j];
          let gg = 0;
          for (let k = 0; k < j; k++) { const ajk = a[rj + k]; gg += ajk * a[ri + k]; e[k] += ajk * uj; }
          e[j] += gg + a[rj + j] * uj;
        }
        f = 0;
        for (let j = 0; j <= l; j++) { e[j] /= h; f += e[j] * a[ri + j]; }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) {
          const fj = a[ri + j];
          const gj = (e[j] -= hh * fj);
          const rj = j * n;
          for (let k = 0; k <= j; k++) a[rj + k] -= fj * e[k] + gj * a[ri + k];
        }
      }
    } else e[i] = a[ri + l];
    d[i] = h;
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  // tqli
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0, m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= 2.220446049250313e-16 * dd) break;
      }
      if (m !== l) {
        if (iter++ === 60) throw new Error('symmetricEigenvalues: no convergence');
        let g = (d[l + 1] - d[l]) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[m] - d[l] + e[l] / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1, c = 1, p = 0, i: number;
        for (i = m - 1; i >= l; i--) {
          let f = s * e[i];
          const b = c * e[i];
          e[i + 1] = r = Math.hypot(f, g);
          if (r === 0) { d[i + 1] -= p; e[m] = 0; break; }
          s = f / r; c = g / r; g = d[i + 1] - p; r = (d[i] - g) * s + 2 * c * b; d[i + 1] = g + (p = s * r); g = c * r - b;
          f = 0;
        }
        if (r === 0 && i >= l) continue;
        d[l] -= p; e[l] = g; e[m] = 0;
      }
    } while (m !== l);
  }
  return d.sort();
}

const symmetrisers = new WeakMap<SpatialWeights, Float64Array | null>();

/** When W = D^-1 C with C symmetric (row-standardised symmetric weights), S = D^1/2 W D^-1/2 is symmetric and
 * similar to W; returns sqrt(d), else null. Cached per weights object (weights are immutable once built). */
export function symmetriser(w: SpatialWeights): Float64Array | null {
  if (symmetrisers.has(w)) return symmetrisers.get(w)!;
  const r = findSymmetriser(w);
  symmetrisers.set(w, r);
  return r;
}

function findSymmetriser(w: SpatialWeights): Float64Array | null {
  const n = w.ids.length;
  const d = w.style === 'W' ? (w.rawRowSums ?? Float64Array.from(w.neighbours, (nb) => nb.length)) : new Float64Array(n).fill(1);
  const wt = transposeValues(w);
  for (let i = 0; i < n; i++) {
    const v = w.weights[i];
    for (let k = 0; k < v.length; k++) {
      const a = d[i] * v[k], b = d[w.neighbours[i][k]] * wt[i][k];
      if (Math.abs(a - b) > 1e-10 * Math.max(Math.abs(a), Math.abs(b))) return null;
    }
  }
  // islands (zero rows) keep scale 1 so the similarity transform stays invertible
  return Float64Array.from(d, (v) => Math.sqrt(v > 0 ? v : 1));
}

/** Real eigenvalues of W through its symmetric similar matrix (throws when W is not symmetrisable). */
export function weightsEigenvalues(w: SpatialWeights): Float64Array {
  const sq = symmetriser(w);
  if (!sq) throw new EstimationInputError('weights are not similar to a symmetric matrix: eigenvalues may be complex', 'weights');
  const n = w.ids.length, a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const nb = w.neighbours[i], v = w.weights[i];
    for (let k = 0; k < nb.length; k++) a[i * n + nb[k]] = (sq[i] * v[k]) / sq[nb[k]];
  }
  return symmetricEigenvalues(a, n);
}

export type LogDetMethod = 'eigen' | 'LU' | 'Matrix' | 'MC';
export const LOGDET_METHODS = ['auto', 'eigen', 'LU', 'Matrix', 'MC'] as const;

/** tr(A), tr(A W), tr((A W)^2) with A = (I - rho W)^-1 */
export interface Traces { trA: number; trAW: number; trAW2: number }

export interface LogDet {
  method: LogDetMethod;
  /** log|I - rho W| */
  ldet(rho: number): number;
  /** search interval for rho / lambda */
  interval: [number, number];
  /** tr((I - rho W)^-1) and tr(W (I - rho W)^-1), tr((W (I - rho W)^-1)^2): exact (eigen / LU), from derivatives
   * of the exact log-determinant (Matrix) or series (MC) */
  traces(rho: number): Traces;
  /** a fast trace function for many rho in [lo, hi] (impact draws), where `traces` is costly per call */
  traceModel?(lo: number, hi: number): (rho: number) => Traces;
  eigenvalues?: Float64Array;
  /** for MC: estimated tr(W^k)/n, k = 1..m, and their Monte Carlo standard errors */
  powerTraces?: Float64Array;
  note?: string;
}

export function eigenLogDet(w: SpatialWeights): LogDet {
  const ev = weightsEigenvalues(w);
  const lmin = ev[0], lmax = ev[ev.length - 1];
  return {
    method: 'eigen', eigenvalues: ev,
    // spatialreg: interval 1/range(eig); the bounds are singular so nudge inwards
    interval: [1 / lmin + 1e-10, 1 / lmax - 1e-10],
    ldet: (rho) => { let s = 0; for (const l of ev) s += Math.log(1 - rho * l); return s; },
    traces: (rho) => {
      let a = 0, b = 0, c = 0;
      for (const l of ev) { const q = 1 / (1 - rho * l); a += q; b += l * q; c += (l * q) ** 2; }
      return { trA: a, trAW: b, trAW2: c };
    },
  };
}

/** Dense LU log-determinant (any W, small n). */
export function luLogDet(w: SpatialWeights): LogDet {
  const n = w.ids.length;
  const ld = (rho: number) => {
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 1;
      const nb = w.neighbours[i], v = w.weights[i];
      for (let k = 0; k < nb.length; k++) a[i * n + nb[k]] -= rho * v[k];
    }
    let s = 0;
    for (let k = 0; k < n; k++) {
      let p = k, best = Math.abs(a[k * n + k]);
      for (let i = k + 1; i < n; i++) { const x = Math.abs(a[i * n + k]); if (x > best) { best = x; p = i; } }
      if (best === 0) return -Infinity;
      if (p !== k) for (let j = 0; j < n; j++) { const t = a[k * n + j]; a[k * n + j] = a[p * n + j]; a[p * n + j] = t; }
      const piv = a[k * n + k];
      s += Math.log(Math.abs(piv));
      for (let i = k + 1; i < n; i++) {
        const f = a[i * n + k] / piv;
        if (f === 0) continue;
        for (let j = k + 1; j < n; j++) a[i * n + j] -= f * a[k * n + j];
      }
    }
    return s;
  };
  const r = spectralRadius(w);
  return { method: 'LU', interval: [-1 / r + 1e-10, 1 / r - 1e-10], ldet: ld, traces: (rho) => denseTraces(w, rho), note: `dense LU log-determinant; rho interval (-1, 1)${r !== 1 ? ` / ${r.toPrecision(6)} (spectral radius)` : ''}` };
}

/** Exact tr(A), tr(AW), tr((AW)^2) from the dense inverse A = (I - rho W)^-1 (small n). */
function denseTraces(w: SpatialWeights, rho: number) {
  const n = w.ids.length, M = zeros(n, n);
  for (let i = 0; i < n; i++) {
    M.data[i + i * n] = 1;
    const nb = w.neighbours[i], v = w.weights[i];
    for (let k = 0; k < nb.length; k++) M.data[i + nb[k] * n] -= rho * v[k];
  }
  const A = solve(M, identity(n));
  // AW column j = sum_i A[:, i] w_ij
  const AW = zeros(n, n);
  for (let i = 0; i < n; i++) {
    const nb = w.neighbours[i], v = w.weights[i];
    for (let k = 0; k < nb.length; k++) {
      const j = nb[k], c = v[k];
      for (let r = 0; r < n; r++) AW.data[r + j * n] += A.data[r + i * n] * c;
    }
  }
  let trA = 0, trAW = 0, trAW2 = 0;
  for (let i = 0; i < n; i++) {
    trA += A.data[i + i * n]; trAW += AW.data[i + i * n];
    for (let j = 0; j < n; j++) trAW2 += AW.data[i + j * n] * AW.data[j + i * n];
  }
  return { trA, trAW, trAW2 };
}

function seriesTraces(t: Float64Array, n: number) {
  return (rho: number) => {
    // tr(A) = n + sum rho^k tr(W^k); tr(AW) = sum rho^k tr(W^(k+1)); tr((AW)^2) = sum (k+1) rho^k tr(W^(k+2))
    let a = n, b = 0, c = 0, r = 1;
    for (let k = 0; k < t.length; k++) {
      if (k >= 1) a += n * r * t[k - 1];
      b += n * r * t[k];
      if (k + 1 < t.length) c += n * (k + 1) * r * t[k + 1];
      r *= rho;
    }
    a += n * r * t[t.length - 1];
    return { trA: a, trAW: b, trAW2: c };
  };
}

/** dot[s] = sum_i x[8 i + s] y[8 i + s] for the 8 interleaved lanes, each summed in i order */
function dot8(x: Float64Array, y: Float64Array, n: number, dot: Float64Array): void {
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0;
  for (let i = 0, o = 0; i < n; i++, o += 8) {
    d0 += x[o] * y[o]; d1 += x[o + 1] * y[o + 1]; d2 += x[o + 2] * y[o + 2]; d3 += x[o + 3] * y[o + 3];
    d4 += x[o + 4] * y[o + 4]; d5 += x[o + 5] * y[o + 5]; d6 += x[o + 6] * y[o + 6]; d7 += x[o + 7] * y[o + 7];
  }
  dot[0] = d0; dot[1] = d1; dot[2] = d2; dot[3] = d3; dot[4] = d4; dot[5] = d5; dot[6] = d6; dot[7] = d7;
}

/** Barry & Pace (1999) Monte Carlo log-determinant: log|I - rho W| = -n sum_k rho^k tr(W^k)/(n k), with
 * tr(W) and tr(W^2) exact and higher traces estimated by p Rademacher probes u'W^k u / u'u; m terms. */
export function mcLogDet(w: SpatialWeights, opts: { p?: number; m?: number; seed?: number } = {}): LogDet {
  const n = w.ids.length, p = opts.p ?? 32, m = opts.m ?? 60, seed = opts.seed ?? 1;
  const u = mulberry32(seed);
  const est = new Float64Array(m), sq = new Float64Array(m), csr = toCSR(w);
  // probes in blocks of LANES, interleaved so one pass over W serves the whole block (unused lanes stay zero); the
  // random signs, the sums and their order are those of one probe at a time
  const L = LANES, x = new Float64Array(n * L), y = new Float64Array(n * L), buf = new Float64Array(n * L), dot = new Float64Array(L);
  for (let s0 = 0; s0 < p; s0 += L) {
    const b = Math.min(L, p - s0);
    x.fill(0);
    for (let s = 0; s < b; s++) for (let i = 0; i < n; i++) x[i * L + s] = u() < 0.5 ? -1 : 1;
    let cur = y, nxt = buf;
    cur.set(x);
    for (let k = 0; k < m; k++) {
      lagCSR8(csr, cur, nxt);
      const t = cur; cur = nxt; nxt = t;
      dot8(x, cur, n, dot);
      for (let s = 0; s < b; s++) { const v = dot[s] / n; est[k] += v; sq[k] += v * v; }
    }
  }
  const t = new Float64Array(m), se = new Float64Array(m);
  for (let k = 0; k < m; k++) { t[k] = est[k] / p; se[k] = Math.sqrt(Math.max(0, sq[k] / p - t[k] ** 2) / Math.max(1, p - 1)); }
  // exact first two traces
  const wt = transposeValues(w);
  let t1 = 0, t2 = 0;
  for (let i = 0; i < n; i++) {
    const nb = w.neighbours[i], v = w.weights[i];
    for (let k = 0; k < nb.length; k++) { if (nb[k] === i) t1 += v[k]; t2 += v[k] * wt[i][k]; }
  }
  t[0] = t1 / n; se[0] = 0;
  if (m > 1) { t[1] = t2 / n; se[1] = 0; }
  const ldet = (rho: number) => {
    let s = 0, r = 1;
    for (let k = 0; k < m; k++) { r *= rho; s += (r * t[k]) / (k + 1); }
    return -n * s;
  };
  const rad = spectralRadius(w), lim = 0.99 / rad;
  const res: LogDet = {
    method: 'MC', interval: [-lim, lim], ldet, traces: seriesTraces(t, n), powerTraces: t,
    note: `Barry-Pace Monte Carlo log-determinant (${p} probes, ${m} powers, seed ${seed}); rho searched in (-0.99, 0.99)${rad !== 1 ? ` / ${rad.toPrecision(6)} (spectral radius)` : ''}`,
  };
  (res as LogDet & { ldetSE: (rho: number) => number }).ldetSE = (rho: number) => {
    let v = 0, r = 1;
    for (let k = 0; k < m; k++) { r *= rho; v += ((r * se[k]) / (k + 1)) ** 2; }
    return n * Math.sqrt(v);
  };
  return res;
}

/** Largest n for which 'auto' uses dense eigenvalues on symmetrisable W: above it the sparse Cholesky fit is
 * faster (bench/spatial.ts measures the crossover). */
export const EIGEN_MAX = 100;

/** Largest factorisation 'auto' takes on, in flops (sum of squared column counts of L, about twice the
 * multiply-adds): 5e9 is ~1.5 s per rho and ~30 s per fit. Denser neighbour graphs (wide distance bands on many
 * units) get the Monte Carlo log-determinant instead, with a note; 'Matrix' asked for explicitly always runs. */
export const MATRIX_MAX_FLOPS = 5e9;

/** Chooses the log-determinant. 'auto': symmetrisable W -> eigenvalues for n <= eigenMax, the sparse Cholesky
 * ('Matrix') above unless its factor is huge (MATRIX_MAX_FLOPS); other W -> dense LU for n <= 400, else Monte Carlo
 * (with a note: spatialreg's Matrix method refuses such weights). 'MC' otherwise only when asked. */
export function chooseLogDet(w: SpatialWeights, opts: { method?: LogDetMethod | 'auto'; eigenMax?: number; matrixMaxFlops?: number; seed?: number } = {}): LogDet {
  const n = w.ids.length, eigenMax = opts.eigenMax ?? EIGEN_MAX, method = opts.method ?? 'auto';
  if (method === 'eigen') return eigenLogDet(w);
  if (method === 'LU') return luLogDet(w);
  if (method === 'Matrix') return matrixLogDet(w);
  if (method === 'MC') return mcLogDet(w, { seed: opts.seed });
  if (method !== 'auto') throw new EstimationInputError(`unknown logdet method '${String(method)}' (auto, eigen, LU, Matrix, MC)`, 'logdet');
  if (symmetriser(w)) {
    if (n <= eigenMax) return eigenLogDet(w);
    const m = matrixLogDet(w), flops = m.symbolic.flops;
    if (flops <= (opts.matrixMaxFlops ?? MATRIX_MAX_FLOPS)) return m;
    const mc = mcLogDet(w, { seed: opts.seed });
    mc.note = `the sparse Cholesky factor of these weights is too dense (${flops.toPrecision(3)} flops per rho, nnz(L) = ${m.symbolic.nnzL}): ${mc.note}; logdet 'Matrix' forces the exact one`;
    return mc;
  }
  if (n <= 400) return luLogDet(w);
  const mc = mcLogDet(w, { seed: opts.seed });
  mc.note = `weights not similar to a symmetric matrix (e.g. k-nearest neighbours), so no exact sparse log-determinant: ${mc.note}`;
  return mc;
}

/** Spectral radius of non-negative W: exactly 1 for row-standardised W without islands, else power iteration on
 * the Perron root (the series log-determinant converges for |rho| < 1/radius). */
export function spectralRadius(w: SpatialWeights): number {
  const n = w.ids.length, csr = toCSR(w);
  let rowStd = w.style === 'W';
  for (let i = 0; i < n && rowStd; i++) if (w.neighbours[i].length === 0) rowStd = false;
  if (rowStd) return 1;
  let x = new Float64Array(n).fill(1 / Math.sqrt(n)), y = new Float64Array(n), lam = 0;
  for (let it = 0; it < 500; it++) {
    lagCSR(csr, x, y);
    let s = 0;
    for (let i = 0; i < n; i++) s += y[i] * y[i];
    s = Math.sqrt(s);
    if (s === 0) return 1;
    for (let i = 0; i < n; i++) y[i] /= s;
    const conv = Math.abs(s - lam) <= 1e-10 * s;
    lam = s;
    const tmp = x; x = y; y = tmp;
    if (conv) break;
  }
  return lam;
}
