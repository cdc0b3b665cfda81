// The GMM algebra of plm::pgmm, vcovHC.pgmm, sargan and mtest, run on per-group sufficient statistics
// (Z_i'X_i, Z_i'y_i) so a pass over the groups costs O(N L K) and never touches an N x L matrix.
import {
  crossprod, crossprodVec, invSPD, inverse, matmul, matvec, transpose, zeros, SingularMatrixError, type Matrix,
} from '../linalg.js';
import { eigenSym } from './eigen.js';
import type { Design } from './design.js';

export interface GmmFit {
  coef: Float64Array;
  coef1: Float64Array;
  /** non-robust vcov (B1 one-step, B2 two-step) and the robust one (one-step robust / Windmeijer) */
  vcovPlain: Matrix;
  vcovRobust: Matrix;
  /** plm's sargan(): z' A2 z with A2 from one-step residuals, z = sum Z_i'e_i at the final estimates */
  sargan: number;
  ar: (order: number) => number | null;
  warnings: string[];
}

const EPS = 1e-9; // plm's threshold on the smallest eigenvalue before switching to a g-inverse
const GINV_TOL = Math.sqrt(2.220446049250313e-16); // MASS::ginv tolerance

/** solve(S) as plm does, or MASS::ginv(S) when the smallest eigenvalue is below 1e-9. */
export function plmInverse(S: Matrix): { inv: Matrix; generalised: boolean } {
  const n = S.rows;
  const { values, vectors } = eigenSym(S);
  if (n === 0 || !(values[0] < EPS)) return { inv: safeInvSPD(S), generalised: false };
  const maxSv = Math.max(Math.abs(values[0]), Math.abs(values[n - 1]));
  const out = zeros(n, n);
  for (let k = 0; k < n; k++) {
    if (!(Math.abs(values[k]) > GINV_TOL * maxSv)) continue;
    const w = 1 / values[k], vk = k * n;
    for (let j = 0; j < n; j++) {
      const vj = vectors.data[j + vk] * w;
      if (vj === 0) continue;
      for (let i = 0; i < n; i++) out.data[i + j * n] += vectors.data[i + vk] * vj;
    }
  }
  return { inv: out, generalised: true };
}

/** S^-1 through the Cholesky factor of the equilibrated D S D, D = diag(S)^-1/2 (instrument scales differ a lot:
 * dummies, levels, differences), falling back to LU. */
function safeInvSPD(S: Matrix): Matrix {
  const n = S.rows, d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = S.data[i + i * n] > 0 ? 1 / Math.sqrt(S.data[i + i * n]) : 1;
  const T = zeros(n, n);
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) T.data[i + j * n] = S.data[i + j * n] * d[i] * d[j];
  try {
    const Ti = invSPD(T);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) Ti.data[i + j * n] *= d[i] * d[j];
    return Ti;
  } catch {
    return inverse(S);
  }
}

const sym = (m: Matrix) => {
  const n = m.rows;
  for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) {
    const v = 0.5 * (m.data[i + j * n] + m.data[j + i * n]);
    m.data[i + j * n] = v; m.data[j + i * n] = v;
  }
  return m;
};

export class UnidentifiedError extends Error {
  constructor(public readonly column: number) { super(`coefficient ${column} not identified`); }
}

/** (ZX' A ZX)^-1 and the estimate (ZX' A ZX)^-1 ZX' A Zy */
function gmmSolve(ZX: Matrix, Zy: Float64Array, A: Matrix) {
  const AZX = matmul(A, ZX);
  const M = sym(crossprod(ZX, AZX));
  let B: Matrix;
  try { B = invSPD(M); } catch (e) {
    if (!(e instanceof SingularMatrixError)) throw e;
    throw new UnidentifiedError(e.index);
  }
  const coef = matvec(B, crossprodVec(AZX, Zy));
  return { B: sym(B), coef, AZX };
}

const quad = (A: Matrix, u: ArrayLike<number>, v: ArrayLike<number> = u) => {
  let s = 0;
  const n = A.rows;
  for (let j = 0; j < n; j++) {
    if (v[j] === 0) continue;
    let t = 0;
    for (let i = 0; i < n; i++) t += u[i] * A.data[i + j * n];
    s += t * v[j];
  }
  return s;
};

export function fitDesign(d: Design, steps: 1 | 2): GmmFit {
  const { G, L, K, r } = d;
  const warnings: string[] = [];
  // aggregate Z'X, Z'y
  const ZX = zeros(L, K), Zy = new Float64Array(L);
  for (let g = 0; g < G; g++) {
    const o = g * L * K;
    for (let i = 0; i < L * K; i++) ZX.data[i] += d.ZX[o + i];
    for (let a = 0; a < L; a++) Zy[a] += d.Zy[g * L + a];
  }
  // Z_i'e_i for given coefficients, all groups
  const groupZeWith = (ZXg: Float64Array, Zyg: Float64Array, b: Float64Array) => {
    const out = new Float64Array(G * L);
    for (let g = 0; g < G; g++) {
      const o = g * L * K, go = g * L;
      for (let a = 0; a < L; a++) out[go + a] = Zyg[go + a];
      for (let k = 0; k < K; k++) {
        const bk = b[k];
        if (bk === 0) continue;
        const ok = o + k * L;
        for (let a = 0; a < L; a++) out[go + a] -= ZXg[ok + a] * bk;
      }
    }
    return out;
  };
  const groupZe = (b: Float64Array) => groupZeWith(d.ZX, d.Zy, b);
  const outerSum = (Ze: Float64Array) => {
    const S = zeros(L, L);
    for (let g = 0; g < G; g++) {
      const go = g * L;
      for (let b = 0; b < L; b++) {
        const zb = Ze[go + b];
        if (zb === 0) continue;
        const col = b * L;
        for (let a = 0; a <= b; a++) S.data[a + col] += Ze[go + a] * zb;
      }
    }
    for (let b = 0; b < L; b++) for (let a = 0; a < b; a++) S.data[b + a * L] = S.data[a + b * L];
    return S;
  };

  // step 1: A1 = N (sum Z'HZ)^-1
  const i1 = plmInverse(d.S1);
  if (i1.generalised) warnings.push('the first-step matrix is singular, a general inverse is used');
  const A1 = i1.inv;
  for (let i = 0; i < A1.data.length; i++) A1.data[i] *= G;
  const s1 = gmmSolve(ZX, Zy, A1);
  const coef1 = s1.coef, B1 = s1.B;
  const Ze1 = groupZe(coef1);
  const S2 = outerSum(Ze1);
  const i2 = plmInverse(S2);
  if (i2.generalised) warnings.push('the second-step matrix is singular, a general inverse is used');
  const A2 = i2.inv;
  // one-step robust vcov: B1 ZX' A1 S2 A1 ZX B1 (Roodman 2009, eq. 15); S2 = solve(A2) in plm
  const AZXB1 = matmul(s1.AZX, B1);
  const vcovR1 = sym(crossprod(AZXB1, matmul(S2, AZXB1)));

  let coef = coef1, vcovPlain = B1, vcovRobust = vcovR1, A = A1, B = B1;
  if (steps === 2) {
    const s2 = gmmSolve(ZX, Zy, A2);
    coef = s2.coef; vcovPlain = s2.B; A = A2; B = s2.B;
    // Windmeijer (2005) correction, plm's vcovHC.pgmm: D_k = -B2 ZX' A2 (sum Z_i' dOmega_ik Z_i) A2 sum Z_i'e2_i
    const Ze2 = groupZe(coef);
    const We = new Float64Array(L);
    for (let g = 0; g < G; g++) for (let a = 0; a < L; a++) We[a] += Ze2[g * L + a];
    const gv = matvec(A2, We);
    // v_k = sum_i ZX_i[,k] (Ze1_i . g) + Ze1_i (ZX_i[,k] . g)
    const V = zeros(L, K);
    for (let gi = 0; gi < G; gi++) {
      const go = gi * L, o = gi * L * K;
      let sg = 0;
      for (let a = 0; a < L; a++) sg += Ze1[go + a] * gv[a];
      for (let k = 0; k < K; k++) {
        const ok = o + k * L;
        let tk = 0;
        for (let a = 0; a < L; a++) tk += d.ZX[ok + a] * gv[a];
        const vk = k * L;
        for (let a = 0; a < L; a++) V.data[vk + a] += d.ZX[ok + a] * sg + Ze1[go + a] * tk;
      }
    }
    // D = B2 (A2 ZX)' V   (K x K), column k = D_k
    const Dm = matmul(s2.B, crossprod(s2.AZX, V));
    const DB = matmul(Dm, s2.B);
    const out = zeros(K, K);
    const DVD = matmul(matmul(Dm, vcovR1), transpose(Dm));
    for (let j = 0; j < K; j++) for (let i = 0; i < K; i++) {
      out.data[i + j * K] = s2.B.data[i + j * K] + DB.data[i + j * K] + DB.data[j + i * K] + DVD.data[i + j * K];
    }
    vcovRobust = sym(out);
  }

  // final residuals and Z_i'e_i
  const Ze = steps === 2 ? groupZe(coef) : Ze1;
  // mtest's W_i'e_i uses the differenced rows only (plm zeroes the level part of the residuals for "ld")
  const ZeAr = d.m2 === 0 ? Ze : groupZeWith(d.ZXd, d.Zyd, coef);
  const z = new Float64Array(L);
  for (let g = 0; g < G; g++) for (let a = 0; a < L; a++) z[a] += Ze[g * L + a];
  const sargan = quad(A2, z);
  const resid = new Float64Array(G * r);
  for (let g = 0; g < G; g++) {
    const yo = g * r, xo = g * r * K;
    for (let i = 0; i < r; i++) {
      if (!d.valid[yo + i]) continue;
      let s = d.y[yo + i];
      for (let k = 0; k < K; k++) s -= d.X[xo + i + k * r] * coef[k];
      resid[yo + i] = s;
    }
  }

  // Arellano-Bond m test (plm mtest with the robust vcov): only the differenced rows carry residuals
  const ar = (order: number): number | null => {
    const m1 = d.m1;
    if (order >= r) return null;
    const EX = new Float64Array(K), ZVE = new Float64Array(L);
    let num = 0, EVE = 0;
    for (let g = 0; g < G; g++) {
      const yo = g * r, xo = g * r * K;
      let ee = 0;
      for (let i = order; i < m1; i++) {
        const el = resid[yo + i - order];
        if (el === 0) continue;
        ee += resid[yo + i] * el;
        for (let k = 0; k < K; k++) EX[k] += el * d.X[xo + i + k * r];
      }
      num += ee;
      EVE += ee * ee;
      if (ee !== 0) for (let a = 0; a < L; a++) ZVE[a] += ZeAr[g * L + a] * ee;
    }
    const AZVE = matvec(A, ZVE);
    const t = crossprodVec(ZX, AZVE); // ZX' A ZVE  (K)
    const denom = EVE - 2 * quad(B, EX, t) + quad(vcovRobust, EX);
    return num / Math.sqrt(denom);
  };
  return { coef, coef1, vcovPlain, vcovRobust, sargan, ar, warnings };
}
