// Sparse solves with (I - rho W): conjugate gradients on the symmetric similar system when W is symmetrisable,
// else the Neumann (fixed-point) iteration z = b + rho W z, which converges for |rho| ||W|| < 1.
import { symmetriser } from './logdet.js';
import { LANES, toCSR, type SpatialWeights } from './types.js';

export class ImRhoW {
  private sq: Float64Array | null;
  private rowPtr: Int32Array; private col: Int32Array; private val: Float64Array; private sval: Float64Array | null = null;
  /** CG / Neumann iterations used by the last solve (diagnostics) */
  lastIterations = 0;
  constructor(private w: SpatialWeights, private rho: number) {
    this.sq = symmetriser(w);
    const csr = toCSR(w);
    this.rowPtr = csr.rowPtr; this.col = csr.col; this.val = csr.val;
    if (this.sq) {
      // S = D^1/2 W D^-1/2 stored with the same pattern
      const sq = this.sq, s = new Float64Array(this.val.length);
      for (let i = 0; i < sq.length; i++) for (let p = this.rowPtr[i]; p < this.rowPtr[i + 1]; p++) s[p] = (sq[i] * this.val[p]) / sq[this.col[p]];
      this.sval = s;
    }
  }
  /** (I - rho W)^-1 b */
  solve(b: ArrayLike<number>, tol = 1e-12): Float64Array {
    if (!this.sq) return this.neumann(b, tol, false);
    const sq = this.sq, n = sq.length;
    const bb = Float64Array.from(b, (v, i) => v * sq[i]);
    const z = this.cgS(bb, tol);
    for (let i = 0; i < n; i++) z[i] /= sq[i];
    return z;
  }
  /** (I - rho W')^-1 b */
  solveT(b: ArrayLike<number>, tol = 1e-12): Float64Array {
    if (!this.sq) return this.neumann(b, tol, true);
    // I - rho W' = D^1/2 (I - rho S) D^-1/2 with S symmetric
    const sq = this.sq, n = sq.length;
    const bb = Float64Array.from(b, (v, i) => v / sq[i]);
    const z = this.cgS(bb, tol);
    for (let i = 0; i < n; i++) z[i] *= sq[i];
    return z;
  }
  /** (I - rho W)^-1 b for the 8 right-hand sides of `b`, stored interleaved (lane s of row i at b[8 i + s]). Each
   * lane runs exactly the iterations and arithmetic of `solve` on that vector (a lane stops when it converges), so
   * lane s of the result equals solve(lane s) bit for bit; the matrix is read once per iteration for all lanes. */
  solve8(b: Float64Array, tol = 1e-12): Float64Array {
    const n = b.length / LANES, L = LANES;
    if (!this.sq) {
      const out = new Float64Array(b.length), v = new Float64Array(n);
      for (let s = 0; s < L; s++) {
        for (let i = 0; i < n; i++) v[i] = b[i * L + s];
        const z = this.neumann(v, tol, false);
        for (let i = 0; i < n; i++) out[i * L + s] = z[i];
      }
      return out;
    }
    const sq = this.sq, bb = new Float64Array(b.length);
    for (let i = 0; i < n; i++) { const q = sq[i], o = i * L; for (let s = 0; s < L; s++) bb[o + s] = b[o + s] * q; }
    const z = this.cgS8(bb, tol);
    for (let i = 0; i < n; i++) { const q = sq[i], o = i * L; for (let s = 0; s < L; s++) z[o + s] /= q; }
    return z;
  }
  /** cgS on 8 interleaved systems: per-lane step lengths; a converged lane gets zero steps (x, r unchanged) */
  private cgS8(b: Float64Array, tol: number): Float64Array {
    const L = LANES, N = b.length, n = N / L;
    const x = new Float64Array(N), r = Float64Array.from(b), p = Float64Array.from(b), Ap = new Float64Array(N);
    const { rowPtr, col } = this, sv = this.sval!, rho = this.rho;
    const rr = new Float64Array(L), stop = new Float64Array(L), pAp = new Float64Array(L), rr2 = new Float64Array(L);
    const alpha = new Float64Array(L), beta = new Float64Array(L), active = new Uint8Array(L);
    for (let i = 0; i < N; i += L) for (let s = 0; s < L; s++) rr[s] += r[i + s] * r[i + s];
    for (let s = 0; s < L; s++) stop[s] = tol * tol * rr[s];
    let it = 0;
    for (; it < 5000; it++) {
      let any = false;
      for (let s = 0; s < L; s++) { active[s] = rr[s] > stop[s] ? 1 : 0; if (active[s]) any = true; }
      if (!any) break;
      // Ap = p - rho S p, pAp = p'Ap
      let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0;
      for (let i = 0; i < n; i++) {
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        const end = rowPtr[i + 1];
        for (let q = rowPtr[i]; q < end; q++) {
          const c = col[q] << 3, v = sv[q];
          a0 += v * p[c]; a1 += v * p[c + 1]; a2 += v * p[c + 2]; a3 += v * p[c + 3];
          a4 += v * p[c + 4]; a5 += v * p[c + 5]; a6 += v * p[c + 6]; a7 += v * p[c + 7];
        }
        const o = i << 3;
        let pi = p[o], w = pi - rho * a0; Ap[o] = w; d0 += pi * w;
        pi = p[o + 1]; w = pi - rho * a1; Ap[o + 1] = w; d1 += pi * w;
        pi = p[o + 2]; w = pi - rho * a2; Ap[o + 2] = w; d2 += pi * w;
        pi = p[o + 3]; w = pi - rho * a3; Ap[o + 3] = w; d3 += pi * w;
        pi = p[o + 4]; w = pi - rho * a4; Ap[o + 4] = w; d4 += pi * w;
        pi = p[o + 5]; w = pi - rho * a5; Ap[o + 5] = w; d5 += pi * w;
        pi = p[o + 6]; w = pi - rho * a6; Ap[o + 6] = w; d6 += pi * w;
        pi = p[o + 7]; w = pi - rho * a7; Ap[o + 7] = w; d7 += pi * w;
      }
      pAp[0] = d0; pAp[1] = d1; pAp[2] = d2; pAp[3] = d3; pAp[4] = d4; pAp[5] = d5; pAp[6] = d6; pAp[7] = d7;
      for (let s = 0; s < L; s++) { alpha[s] = active[s] ? rr[s] / pAp[s] : 0; rr2[s] = 0; }
      const a0 = alpha[0], a1 = alpha[1], a2 = alpha[2], a3 = alpha[3], a4 = alpha[4], a5 = alpha[5], a6 = alpha[6], a7 = alpha[7];
      let e0 = 0, e1 = 0, e2 = 0, e3 = 0, e4 = 0, e5 = 0, e6 = 0, e7 = 0;
      for (let o = 0; o < N; o += 8) {
        let v: number;
        x[o] += a0 * p[o]; v = r[o] -= a0 * Ap[o]; e0 += v * v;
        x[o + 1] += a1 * p[o + 1]; v = r[o + 1] -= a1 * Ap[o + 1]; e1 += v * v;
        x[o + 2] += a2 * p[o + 2]; v = r[o + 2] -= a2 * Ap[o + 2]; e2 += v * v;
        x[o + 3] += a3 * p[o + 3]; v = r[o + 3] -= a3 * Ap[o + 3]; e3 += v * v;
        x[o + 4] += a4 * p[o + 4]; v = r[o + 4] -= a4 * Ap[o + 4]; e4 += v * v;
        x[o + 5] += a5 * p[o + 5]; v = r[o + 5] -= a5 * Ap[o + 5]; e5 += v * v;
        x[o + 6] += a6 * p[o + 6]; v = r[o + 6] -= a6 * Ap[o + 6]; e6 += v * v;
        x[o + 7] += a7 * p[o + 7]; v = r[o + 7] -= a7 * Ap[o + 7]; e7 += v * v;
      }
      rr2[0] = e0; rr2[1] = e1; rr2[2] = e2; rr2[3] = e3; rr2[4] = e4; rr2[5] = e5; rr2[6] = e6; rr2[7] = e7;
      for (let s = 0; s < L; s++) {
        if (active[s]) { beta[s] = rr2[s] / rr[s]; rr[s] = rr2[s]; } else beta[s] = 0;
      }
      // inactive lanes: p = r (finite, unused since their steps are zero)
      const b0 = beta[0], b1 = beta[1], b2 = beta[2], b3 = beta[3], b4 = beta[4], b5 = beta[5], b6 = beta[6], b7 = beta[7];
      for (let o = 0; o < N; o += 8) {
        p[o] = r[o] + b0 * p[o]; p[o + 1] = r[o + 1] + b1 * p[o + 1]; p[o + 2] = r[o + 2] + b2 * p[o + 2]; p[o + 3] = r[o + 3] + b3 * p[o + 3];
        p[o + 4] = r[o + 4] + b4 * p[o + 4]; p[o + 5] = r[o + 5] + b5 * p[o + 5]; p[o + 6] = r[o + 6] + b6 * p[o + 6]; p[o + 7] = r[o + 7] + b7 * p[o + 7];
      }
    }
    this.lastIterations = it;
    return x;
  }
  private neumann(b: ArrayLike<number>, tol: number, transposed: boolean): Float64Array {
    const n = b.length, { rowPtr, col, val } = this;
    let z = Float64Array.from(b), t = new Float64Array(n);
    let bn = 0;
    for (let i = 0; i < n; i++) bn = Math.max(bn, Math.abs(b[i]));
    let it = 0;
    for (; it < 20000; it++) {
      if (transposed) {
        t.fill(0);
        for (let i = 0; i < n; i++) for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) t[col[p]] += val[p] * z[i];
      } else {
        for (let i = 0; i < n; i++) { let s = 0; for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) s += val[p] * z[col[p]]; t[i] = s; }
      }
      let diff = 0;
      for (let i = 0; i < n; i++) {
        const nz = b[i] + this.rho * t[i];
        diff = Math.max(diff, Math.abs(nz - z[i]));
        t[i] = nz;
      }
      const tmp = z; z = t; t = tmp;
      if (diff <= tol * Math.max(bn, 1e-300)) break;
    }
    this.lastIterations = it + 1;
    return z;
  }
  private cgS(b: Float64Array, tol: number): Float64Array {
    const n = b.length, x = new Float64Array(n), r = Float64Array.from(b), p = Float64Array.from(b), Ap = new Float64Array(n);
    const { rowPtr, col } = this, s = this.sval!, rho = this.rho;
    let rr = 0;
    for (let i = 0; i < n; i++) rr += r[i] * r[i];
    const stop = tol * tol * rr;
    let it = 0;
    for (; it < 5000 && rr > stop; it++) {
      let pAp = 0;
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) acc += s[q] * p[col[q]];
        const v = p[i] - rho * acc;
        Ap[i] = v; pAp += p[i] * v;
      }
      const a = rr / pAp;
      let rr2 = 0;
      for (let i = 0; i < n; i++) { x[i] += a * p[i]; r[i] -= a * Ap[i]; rr2 += r[i] * r[i]; }
      const beta = rr2 / rr;
      rr = rr2;
      for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    }
    this.lastIterations = it;
    return x;
  }
}
