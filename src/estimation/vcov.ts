// Pluggable coefficient covariance: iid, HC0-HC3, one- and two-way cluster (Cameron-Gelbach-Miller).
// Small-sample factors: 'plm' (default; vcovHC HC1 = n/(n-k), k = slope coefficients of within models),
// 'stata' (G/(G-1)*(N-1)/(N-K), fixed effects nested in the cluster not counted in K, as fixest), 'none' (HC0).
import { Matrix, zeros } from './linalg.js';
import { EstimationInputError } from './result.js';

export type VcovOption =
  | 'iid' | 'hc0' | 'hc1' | 'hc2' | 'hc3'
  | { cluster: string[]; smallSample?: 'plm' | 'stata' | 'none' };

export interface ClusterVar {
  name: string;
  /** codes 0..nlevels-1 per estimation row */
  codes: Int32Array;
  nlevels: number;
}

export interface VcovInput {
  /** the (transformed) design the coefficients were estimated on */
  X: Matrix;
  resid: Float64Array;
  xtxInv: Matrix;
  dfResid: number;
  /** k of plm's n/(n-k): number of estimated coefficients (slopes only for within models) */
  kPlm: number;
  /** K of Stata's (N-1)/(N-K): coefficients plus absorbed fixed-effect parameters, computed per cluster variable */
  kStata: (clusters: ClusterVar[]) => number;
  clusters?: ClusterVar[];
}

export interface VcovResult {
  V: Matrix;
  type: string;
  /** df for t tests (null = normal) */
  df: number | null;
}

/** B M B for bread B = (X'X)^-1 and meat M. */
function sandwich(bread: Matrix, meat: Matrix, s = 1): Matrix {
  const k = bread.rows, tmp = zeros(k, k), out = zeros(k, k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let v = 0;
    for (let l = 0; l < k; l++) v += bread.data[i + l * k] * meat.data[l + j * k];
    tmp.data[i + j * k] = v;
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let v = 0;
    for (let l = 0; l < k; l++) v += tmp.data[i + l * k] * bread.data[l + j * k];
    out.data[i + j * k] = v * s;
  }
  return out;
}

/** Leverages h_ii = x_i'(X'X)^-1 x_i. */
function hatValues(X: Matrix, xtxInv: Matrix): Float64Array {
  const n = X.rows, k = X.cols, h = new Float64Array(n), row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) row[j] = X.data[i + j * n];
    let s = 0;
    for (let a = 0; a < k; a++) {
      let t = 0;
      for (let b = 0; b < k; b++) t += xtxInv.data[a + b * k] * row[b];
      s += row[a] * t;
    }
    h[i] = s;
  }
  return h;
}

/** Meat of the cluster sandwich: sum over clusters of (X_g'e_g)(X_g'e_g)'. */
export function clusterMeat(X: Matrix, e: ArrayLike<number>, codes: Int32Array, nlevels: number): Matrix {
  const n = X.rows, k = X.cols;
  const scores = new Float64Array(nlevels * k);
  // by chunks of rows, so codes and residuals are read from memory once (sums in the same order as column by column)
  for (let i0 = 0; i0 < n; i0 += 2048) {
    const i1 = Math.min(n, i0 + 2048);
    for (let j = 0; j < k; j++) {
      const o = j * n;
      for (let i = i0; i < i1; i++) scores[codes[i] * k + j] += X.data[o + i] * e[i];
    }
  }
  const meat = zeros(k, k);
  for (let g = 0; g < nlevels; g++) {
    const o = g * k;
    for (let a = 0; a < k; a++) {
      const sa = scores[o + a];
      if (sa === 0) continue;
      for (let b = 0; b < k; b++) meat.data[a + b * k] += sa * scores[o + b];
    }
  }
  return meat;
}

function intersect(a: ClusterVar, b: ClusterVar): ClusterVar {
  const map = new Map<number, number>(), codes = new Int32Array(a.codes.length);
  for (let i = 0; i < codes.length; i++) {
    const key = a.codes[i] * b.nlevels + b.codes[i];
    let c = map.get(key);
    if (c === undefined) { c = map.size; map.set(key, c); }
    codes[i] = c;
  }
  return { name: `${a.name}#${b.name}`, codes, nlevels: map.size };
}

export function computeVcov(option: VcovOption, inp: VcovInput): VcovResult {
  const { X, resid: e, xtxInv, dfResid } = inp;
  const n = X.rows, k = X.cols;
  if (option === 'iid') {
    let ssr = 0;
    for (let i = 0; i < n; i++) ssr += e[i] * e[i];
    const s2 = ssr / dfResid;
    const V = zeros(k, k);
    for (let i = 0; i < k * k; i++) V.data[i] = xtxInv.data[i] * s2;
    return { V, type: 'iid', df: dfResid };
  }
  if (typeof option === 'string') {
    const h = option === 'hc2' || option === 'hc3' ? hatValues(X, xtxInv) : null;
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const e2 = e[i] * e[i];
      w[i] = option === 'hc2' ? e2 / (1 - h![i]) : option === 'hc3' ? e2 / (1 - h![i]) ** 2 : e2;
    }
    const meat = zeros(k, k);
    for (let a = 0; a < k; a++) for (let b = a; b < k; b++) {
      let s = 0;
      const oa = a * n, ob = b * n;
      for (let i = 0; i < n; i++) s += X.data[oa + i] * X.data[ob + i] * w[i];
      meat.data[a + b * k] = s;
      meat.data[b + a * k] = s;
    }
    const s = option === 'hc1' ? n / (n - inp.kPlm) : 1;
    return { V: sandwich(xtxInv, meat, s), type: option.toUpperCase(), df: dfResid };
  }
  const clusters = inp.clusters ?? [];
  if (clusters.length < 1 || clusters.length > 2) throw new EstimationInputError(`vcov.cluster takes one or two variables`, 'vcov.cluster');
  const mode = option.smallSample ?? 'plm';
  const G = Math.min(...clusters.map((c) => c.nlevels));
  if (G < 2) throw new EstimationInputError(`vcov.cluster: '${clusters.find((c) => c.nlevels < 2)!.name}' has fewer than 2 clusters in the sample`, 'vcov.cluster');
  let factor: number;
  let label: string;
  if (mode === 'plm') {
    factor = n / (n - inp.kPlm);
    label = 'plm HC1';
  } else if (mode === 'stata') {
    const K = inp.kStata(clusters);
    factor = (G / (G - 1)) * ((n - 1) / (n - K));
    label = 'Stata G/(G-1)*(N-1)/(N-K)';
  } else {
    factor = 1;
    label = 'HC0';
  }
  const meatOf = (c: ClusterVar) => clusterMeat(X, e, c.codes, c.nlevels);
  let meat = meatOf(clusters[0]);
  if (clusters.length === 2) {
    // CGM: V = V_a + V_b - V_(a intersect b), each with the same small-sample factor
    const mb = meatOf(clusters[1]), mab = meatOf(intersect(clusters[0], clusters[1]));
    for (let i = 0; i < meat.data.length; i++) meat.data[i] += mb.data[i] - mab.data[i];
  }
  const V = sandwich(xtxInv, meat, factor);
  return { V, type: `cluster(${clusters.map((c) => c.name).join(', ')}), ${label}`, df: mode === 'stata' ? G - 1 : dfResid };
}

/** Label for non-cluster options as written in results. */
export function vcovLabel(option: VcovOption): string {
  return typeof option === 'string' ? (option === 'iid' ? 'iid' : option.toUpperCase()) : `cluster(${option.cluster.join(', ')})`;
}
