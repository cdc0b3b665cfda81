// The sparse spatial weights type shared by every spatial routine, and small operations on it.
import { EstimationInputError } from '../result.js';

/** Sparse row-wise weights: row i lists its neighbours (indices into ids, sorted ascending) and their weights. */
export interface SpatialWeights {
  ids: string[];
  neighbours: Int32Array[];
  weights: Float64Array[];
  style: 'W' | 'B';
  /** ids of units with no neighbours (they keep an all-zero row: spdep's zero.policy = TRUE) */
  islands?: string[];
  /** row sums of the unstandardised matrix C when W = diag(1/rowSums) C; lets W be symmetrised for eigenvalues */
  rawRowSums?: Float64Array;
}

export const nUnits = (w: SpatialWeights) => w.ids.length;

/** Wx (the spatial lag of x). */
export function lag(w: SpatialWeights, x: ArrayLike<number>, out = new Float64Array(w.ids.length)): Float64Array {
  const n = w.ids.length;
  for (let i = 0; i < n; i++) {
    const nb = w.neighbours[i], wt = w.weights[i];
    let s = 0;
    for (let k = 0; k < nb.length; k++) s += wt[k] * x[nb[k]];
    out[i] = s;
  }
  return out;
}

/** W'x. */
export function lagT(w: SpatialWeights, x: ArrayLike<number>, out = new Float64Array(w.ids.length)): Float64Array {
  out.fill(0);
  const n = w.ids.length;
  for (let i = 0; i < n; i++) {
    const nb = w.neighbours[i], wt = w.weights[i], xi = x[i];
    if (xi === 0) continue;
    for (let k = 0; k < nb.length; k++) out[nb[k]] += wt[k] * xi;
  }
  return out;
}

export const cardinalities = (w: SpatialWeights) => Int32Array.from(w.neighbours, (nb) => nb.length);

export function islandsOf(w: SpatialWeights): string[] {
  return w.ids.filter((_, i) => w.neighbours[i].length === 0);
}

/** Looks up w_ji for every stored w_ij (0 when j does not list i): rows are sorted, so binary search. */
export function transposeValues(w: SpatialWeights): Float64Array[] {
  return w.neighbours.map((nb, i) => {
    const out = new Float64Array(nb.length);
    for (let k = 0; k < nb.length; k++) {
      const j = nb[k], nbj = w.neighbours[j];
      let lo = 0, hi = nbj.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (nbj[mid] === i) { out[k] = w.weights[j][mid]; break; }
        if (nbj[mid] < i) lo = mid + 1; else hi = mid - 1;
      }
    }
    return out;
  });
}

/** S0 = sum w_ij, S1 = 1/2 sum (w_ij + w_ji)^2, S2 = sum_i (row_i + col_i)^2 (spdep spweights.constants). */
export function weightConstants(w: SpatialWeights) {
  const n = w.ids.length, wt = transposeValues(w);
  let S0 = 0, S1 = 0;
  const rs = new Float64Array(n), cs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const nb = w.neighbours[i], v = w.weights[i];
    for (let k = 0; k < nb.length; k++) {
      S0 += v[k];
      S1 += v[k] * v[k] + v[k] * wt[i][k];
      rs[i] += v[k];
      cs[nb[k]] += v[k];
    }
  }
  let S2 = 0;
  for (let i = 0; i < n; i++) S2 += (rs[i] + cs[i]) ** 2;
  return { S0, S1, S2 };
}

/** tr(W'W + WW) = sum w_ij^2 + sum w_ij w_ji (spdep tracew, the LM tests' T). */
export function traceWtWplusWW(w: SpatialWeights): number {
  const { S1 } = weightConstants(w);
  return S1;
}

/** Checks that data rows line up with the weights (same count). */
export function checkAligned(w: SpatialWeights, n: number, what: string): void {
  if (w.ids.length !== n) {
    throw new EstimationInputError(`${what} has ${n} rows but the spatial weights have ${w.ids.length} units`, 'weights');
  }
}

/** Builds weights from neighbour index lists (symmetric or not); style W row-standardises, B keeps raw values. */
export function fromNeighbourLists(
  ids: string[],
  nbs: ArrayLike<number>[],
  style: 'W' | 'B',
  values?: ArrayLike<number>[],
): SpatialWeights {
  const neighbours: Int32Array[] = [], weights: Float64Array[] = [];
  const raw = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const idx = Array.from(nbs[i], (_, k) => k).sort((a, b) => nbs[i][a] - nbs[i][b]);
    const nb = Int32Array.from(idx, (k) => nbs[i][k]);
    const v = Float64Array.from(idx, (k) => (values ? values[i][k] : 1));
    let s = 0;
    for (const x of v) s += x;
    raw[i] = s;
    if (style === 'W' && s > 0) for (let k = 0; k < v.length; k++) v[k] /= s;
    neighbours.push(nb);
    weights.push(v);
  }
  const w: SpatialWeights = { ids, neighbours, weights, style, rawRowSums: raw };
  w.islands = islandsOf(w);
  return w;
}

/** Re-styles weights (W <-> B) from their raw values. */
export function restyle(w: SpatialWeights, style: 'W' | 'B'): SpatialWeights {
  if (w.style === style) return w;
  const raw = w.weights.map((v, i) => (w.style === 'W' && w.rawRowSums ? Float64Array.from(v, (x) => x * w.rawRowSums![i]) : v));
  return fromNeighbourLists(w.ids, w.neighbours, style, raw);
}

/** Compressed sparse rows of W (cached on the object: weights are immutable once built). */
export function toCSR(w: SpatialWeights): { rowPtr: Int32Array; col: Int32Array; val: Float64Array } {
  const cached = (w as SpatialWeights & { _csr?: ReturnType<typeof toCSR> })._csr;
  if (cached) return cached;
  const n = w.ids.length, rowPtr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) rowPtr[i + 1] = rowPtr[i] + w.neighbours[i].length;
  const col = new Int32Array(rowPtr[n]), val = new Float64Array(rowPtr[n]);
  for (let i = 0; i < n; i++) { col.set(w.neighbours[i], rowPtr[i]); val.set(w.weights[i], rowPtr[i]); }
  const csr = { rowPtr, col, val };
  Object.defineProperty(w, '_csr', { value: csr, enumerable: false });
  return csr;
}

/** Wx through CSR (the hot loop of Monte Carlo traces and solves). */
export function lagCSR(csr: { rowPtr: Int32Array; col: Int32Array; val: Float64Array }, x: ArrayLike<number>, out: Float64Array): Float64Array {
  const { rowPtr, col, val } = csr, n = rowPtr.length - 1;
  for (let i = 0; i < n; i++) { let s = 0; for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) s += val[p] * x[col[p]]; out[i] = s; }
  return out;
}

/** Lanes of the blocked kernels: vectors handled together, stored interleaved (lane s of row i at [8 i + s]). */
export const LANES = 8;

/** Y = W X for 8 vectors stored interleaved (x_s[i] at x[8 i + s]): each stored weight is loaded once for all 8,
 * and the sums are kept in registers. Every lane is summed in the same order as lagCSR, so lane s equals lagCSR of
 * vector s exactly. */
export function lagCSR8(csr: { rowPtr: Int32Array; col: Int32Array; val: Float64Array }, x: Float64Array, out: Float64Array): Float64Array {
  const { rowPtr, col, val } = csr, n = rowPtr.length - 1;
  for (let i = 0; i < n; i++) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    const end = rowPtr[i + 1];
    for (let p = rowPtr[i]; p < end; p++) {
      const c = col[p] << 3, v = val[p];
      a0 += v * x[c]; a1 += v * x[c + 1]; a2 += v * x[c + 2]; a3 += v * x[c + 3];
      a4 += v * x[c + 4]; a5 += v * x[c + 5]; a6 += v * x[c + 6]; a7 += v * x[c + 7];
    }
    const o = i << 3;
    out[o] = a0; out[o + 1] = a1; out[o + 2] = a2; out[o + 3] = a3; out[o + 4] = a4; out[o + 5] = a5; out[o + 6] = a6; out[o + 7] = a7;
  }
  return out;
}
