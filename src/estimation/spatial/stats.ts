// Spatial autocorrelation statistics with spdep's conventions: global Moran's I (normality, randomisation,
// permutation), Geary's C, local Moran (LISA) and the Lagrange multiplier (Rao score) tests on OLS residuals.
import { crossprod, crossprodVec, invSPD, matvec, type Matrix } from '../linalg.js';
import { pChisq, pNorm } from '../distributions.js';
import { EstimationInputError } from '../result.js';
import { mulberry32, shuffle } from './rng.js';
import { cardinalities, checkAligned, lag, traceWtWplusWW, weightConstants, type SpatialWeights } from './types.js';

export type Alternative = 'greater' | 'less' | 'two.sided';

function pAlt(z: number, alt: Alternative): number {
  if (alt === 'two.sided') return pNorm(z);
  const upper = pNorm(Math.abs(z)) / 2; // P(Z > |z|)
  const pGreater = z >= 0 ? upper : 1 - upper;
  return alt === 'greater' ? pGreater : 1 - pGreater;
}

function checkX(x: ArrayLike<number>, w: SpatialWeights, name: string) {
  checkAligned(w, x.length, name);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new EstimationInputError(`${name}: non-finite value at unit ${w.ids[i]}`, name);
  }
}

/** spdep's n (no-neighbour units dropped when adjust.n) and weight constants. */
function constants(w: SpatialWeights) {
  const card = cardinalities(w);
  let n = 0;
  for (const c of card) if (c > 0) n++;
  return { n, ...weightConstants(w) };
}

export interface MoranResult { I: number; expectation: number; variance: number; z: number; pValue: number; inference: string; permutations?: number }

/** Deviations from the mean with their second and fourth power sums (Moran's and Geary's kurtosis terms). */
function centred(x: ArrayLike<number>): { z: Float64Array; zz: number; z4: number } {
  let m = 0;
  for (let i = 0; i < x.length; i++) m += x[i];
  m /= x.length;
  const z = Float64Array.from(x, (v) => v - m);
  let zz = 0, z4 = 0;
  for (const v of z) { zz += v * v; z4 += v ** 4; }
  return { z, zz, z4 };
}

export function moranI(x: ArrayLike<number>, w: SpatialWeights, n: number, S0: number): { I: number; K: number } {
  const N = x.length;
  const { z, zz, z4 } = centred(x);
  const lz = lag(w, z);
  let s = 0;
  for (let i = 0; i < N; i++) s += z[i] * lz[i];
  return { I: (n / S0) * (s / zz), K: (N * z4) / (zz * zz) };
}

/** moran.test: inference 'randomisation' (default) or 'normality'; alternative 'greater' as spdep. */
export function moranTest(x: ArrayLike<number>, w: SpatialWeights, opts: { randomisation?: boolean; alternative?: Alternative } = {}): MoranResult {
  checkX(x, w, 'x');
  const rnd = opts.randomisation ?? true, alt = opts.alternative ?? 'greater';
  const { n, S0, S1, S2 } = constants(w);
  const { I, K } = moranI(x, w, n, S0);
  const nn = n * n, S02 = S0 * S0, EI = -1 / (n - 1);
  let VI: number;
  if (rnd) {
    const a = n * (S1 * (nn - 3 * n + 3) - n * S2 + 3 * S02);
    const b = K * (S1 * (nn - n) - 2 * n * S2 + 6 * S02);
    VI = (a - b) / ((n - 1) * (n - 2) * (n - 3) * S02) - EI * EI;
  } else {
    VI = (nn * S1 - n * S2 + 3 * S02) / (S02 * (nn - 1)) - EI * EI;
  }
  const z = (I - EI) / Math.sqrt(VI);
  return { I, expectation: EI, variance: VI, z, pValue: pAlt(z, alt), inference: rnd ? 'randomisation' : 'normality' };
}

/** moran.mc: seeded permutation test; p = (rank of observed among nsim + 1 values) / (nsim + 1) as spdep. */
export function moranPermutation(x: ArrayLike<number>, w: SpatialWeights, nsim = 999, seed = 1, alternative: Alternative = 'greater'): MoranResult {
  checkX(x, w, 'x');
  const { n, S0 } = constants(w);
  const obs = moranI(x, w, n, S0).I;
  const u = mulberry32(seed), perm = Float64Array.from(x), sims = new Float64Array(nsim);
  for (let s = 0; s < nsim; s++) { shuffle(perm, u); sims[s] = moranI(perm, w, n, S0).I; }
  let ge = 0, le = 0, mean = 0;
  for (const v of sims) { if (v >= obs) ge++; if (v <= obs) le++; mean += v; }
  mean /= nsim;
  let vv = 0;
  for (const v of sims) vv += (v - mean) ** 2;
  vv /= nsim - 1;
  const pG = (ge + 1) / (nsim + 1), pL = (le + 1) / (nsim + 1);
  const p = alternative === 'greater' ? pG : alternative === 'less' ? pL : Math.min(1, 2 * Math.min(pG, pL));
  return { I: obs, expectation: mean, variance: vv, z: (obs - mean) / Math.sqrt(vv), pValue: p, inference: `permutation (${nsim}, seed ${seed})`, permutations: nsim };
}

export interface GearyResult { C: number; expectation: number; variance: number; z: number; pValue: number; inference: string }

/** geary.test (randomisation default); z = (1 - C)/sd as spdep, so positive z = positive autocorrelation. */
export function gearyTest(x: ArrayLike<number>, w: SpatialWeights, opts: { randomisation?: boolean; alternative?: Alternative } = {}): GearyResult {
  checkX(x, w, 'x');
  const rnd = opts.randomisation ?? true, alt = opts.alternative ?? 'greater';
  const { n, S0, S1, S2 } = constants(w);
  const N = x.length;
  const { z, zz, z4 } = centred(x);
  // spdep scales z by its sd before summing; C is scale free, K as computed by geary() on scaled z
  const K = (n * z4) / (zz * zz);
  let num = 0;
  for (let i = 0; i < N; i++) {
    const nb = w.neighbours[i], wt = w.weights[i];
    for (let k = 0; k < nb.length; k++) num += wt[k] * (z[i] - z[nb[k]]) ** 2;
  }
  const C = ((n - 1) / (2 * S0)) * (num / zz);
  const nn = n * n, S02 = S0 * S0, n1 = n - 1, n2 = n - 2, n3 = n - 3;
  let VC: number;
  if (rnd) {
    VC = n1 * S1 * (nn - 3 * n + 3 - K * n1);
    VC -= 0.25 * (n1 * S2 * (nn + 3 * n - 6 - K * (nn - n + 2)));
    VC += S02 * (nn - 3 - K * n1 * n1);
    VC /= n * n2 * n3 * S02;
  } else VC = ((2 * S1 + S2) * n1 - 4 * S02) / (2 * (n + 1) * S02);
  const zs = (1 - C) / Math.sqrt(VC);
  return { C, expectation: 1, variance: VC, z: zs, pValue: pAlt(zs, alt), inference: rnd ? 'randomisation' : 'normality' };
}

export interface LocalMoranRow { id: string; Ii: number; expectation: number; variance: number; z: number; pValue: number; quadrant: 'HH' | 'LL' | 'HL' | 'LH' }

/** localmoran (conditional randomisation moments, Sokal 1998, spdep's default), two-sided p-values;
 * quadrant from the sign of the centred value and of its lag ("pysal" quadrants in spdep). */
export function localMoran(x: ArrayLike<number>, w: SpatialWeights): LocalMoranRow[] {
  checkX(x, w, 'x');
  const n = x.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i];
  m /= n;
  const z = Float64Array.from(x, (v) => v - m);
  const lz = lag(w, z);
  let s2 = 0;
  for (const v of z) s2 += v * v;
  s2 /= n;
  const m2 = s2;
  return w.ids.map((id, i) => {
    const wt = w.weights[i];
    let Wi = 0, Wi2 = 0;
    for (const v of wt) { Wi += v; Wi2 += v * v; }
    const Ii = (z[i] / s2) * lz[i];
    const E = -(z[i] ** 2 * Wi) / ((n - 1) * m2);
    const V = (z[i] / m2) ** 2 * (n / (n - 2)) * (Wi2 - (Wi * Wi) / (n - 1)) * (m2 - (z[i] ** 2) / (n - 1));
    const zi = (Ii - E) / Math.sqrt(V);
    const quadrant = z[i] > 0 ? (lz[i] > 0 ? 'HH' : 'HL') : lz[i] > 0 ? 'LH' : 'LL';
    return { id, Ii, expectation: E, variance: V, z: zi, pValue: pNorm(zi), quadrant };
  });
}

export interface LMTests { LMerr: { statistic: number; pValue: number; df: number }; LMlag: { statistic: number; pValue: number; df: number }; RLMerr: { statistic: number; pValue: number; df: number }; RLMlag: { statistic: number; pValue: number; df: number }; SARMA: { statistic: number; pValue: number; df: number } }

/** lm.LMtests / lm.RStests on the OLS fit of y on X (X column-major, full column rank). */
export function lmTests(y: ArrayLike<number>, X: Matrix, w: SpatialWeights): LMTests {
  checkAligned(w, y.length, 'y');
  const N = y.length;
  const XtX = crossprod(X), XtXi = invSPD(XtX);
  const b = matvec(XtXi, crossprodVec(X, y));
  const yhat = matvec(X, b);
  const u = Float64Array.from(y, (v, i) => v - yhat[i]);
  let uu = 0;
  for (const v of u) uu += v * v;
  const sigma2 = uu / N;
  const T = traceWtWplusWW(w);
  const Wu = lag(w, u), Wy = lag(w, y), Wyhat = lag(w, yhat);
  const XtWyhat = crossprodVec(X, Wyhat);
  const q = matvec(XtXi, XtWyhat);
  let a = 0, c = 0, d = 0, e = 0;
  for (let i = 0; i < N; i++) { a += Wyhat[i] * Wyhat[i]; c += u[i] * Wu[i]; d += u[i] * Wy[i]; }
  for (let j = 0; j < q.length; j++) e += XtWyhat[j] * q[j];
  const J = (1 / (N * sigma2)) * (a - e + T * sigma2);
  const dutWu = c / sigma2, dutWy = d / sigma2;
  const mk = (s: number, df: number) => ({ statistic: s, pValue: pChisq(s, df), df });
  const LMerr = (dutWu * dutWu) / T;
  return {
    LMerr: mk(LMerr, 1),
    LMlag: mk((dutWy * dutWy) / (N * J), 1),
    RLMerr: mk((dutWu - (T / (N * J)) * dutWy) ** 2 / (T * (1 - T / (N * J))), 1),
    RLMlag: mk((dutWy - dutWu) ** 2 / (N * J - T), 1),
    SARMA: mk((dutWy - dutWu) ** 2 / (N * J - T) + LMerr, 2),
  };
}

/** Conditional permutation inference for local Moran (pysal / spdep localmoran_perm): for unit i the other n - 1
 * values are permuted and |N_i| of them placed on its neighbours, nsim times (seeded). pSim is pysal's folded
 * pseudo p-value (min(#sim >= Ii, #sim < Ii) + 1) / (nsim + 1); zSim standardises Ii by the simulated moments. */
export function localMoranPermutation(x: ArrayLike<number>, w: SpatialWeights, nsim = 999, seed = 1): (LocalMoranRow & { pSim: number; zSim: number })[] {
  const base = localMoran(x, w), n = x.length, u = mulberry32(seed);
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i];
  m /= n;
  const z = Float64Array.from(x, (v) => v - m);
  let s2 = 0;
  for (const v of z) s2 += v * v;
  s2 /= n;
  const pool = new Int32Array(n - 1);
  return base.map((row, i) => {
    const wt = w.weights[i], k = wt.length;
    if (k === 0) return { ...row, pSim: NaN, zSim: NaN };
    for (let j = 0, t = 0; j < n; j++) if (j !== i) pool[t++] = j;
    let ge = 0, s = 0, ss = 0;
    for (let r = 0; r < nsim; r++) {
      // partial Fisher-Yates: the first k entries of pool become a random sample without replacement
      let acc = 0;
      for (let q = 0; q < k; q++) {
        const pick = q + Math.floor(u() * (n - 1 - q));
        const tmp = pool[q]; pool[q] = pool[pick]; pool[pick] = tmp;
        acc += wt[q] * z[pool[q]];
      }
      const sim = (z[i] / s2) * acc;
      if (sim >= row.Ii) ge++;
      s += sim; ss += sim * sim;
    }
    const mean = s / nsim, sd = Math.sqrt(Math.max(0, (ss - nsim * mean * mean) / (nsim - 1)));
    return { ...row, pSim: (Math.min(ge, nsim - ge) + 1) / (nsim + 1), zSim: (row.Ii - mean) / sd };
  });
}
