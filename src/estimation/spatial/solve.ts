// Sparse solves with (I - rho W): conjugate gradients on the symmetric similar system when W is symmetrisable,
// else the Neumann (fixed-point) iteration z = b + rho W z, which converges for |rho| ||W|| < 1.
import { symmetriser } from './logdet.js';
import { toCSR, type SpatialWeights } from './types.js';

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
