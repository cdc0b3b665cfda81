// Sparse solves with (I - rho W): conjugate gradients on the symmetric similar system when W is symmetrisable,
// else the Neumann (fixed-point) iteration z = b + rho W z, which converges for |rho| ||W|| < 1.
import { lag, lagT, type SpatialWeights } from './types.js';
import { symmetriser } from './logdet.js';

export class ImRhoW {
  private sq: Float64Array | null;
  constructor(private w: SpatialWeights, private rho: number) {
    this.sq = symmetriser(w);
  }
  /** (I - rho W)^-1 b */
  solve(b: ArrayLike<number>, tol = 1e-13): Float64Array {
    return this.sq ? this.cg(b, tol) : this.neumann(b, tol, false);
  }
  /** (I - rho W')^-1 b */
  solveT(b: ArrayLike<number>, tol = 1e-13): Float64Array {
    if (this.sq) {
      // I - rho W' = D^1/2 (I - rho S) D^-1/2 with S = D^1/2 W D^-1/2 symmetric
      const sq = this.sq, n = sq.length;
      const bb = Float64Array.from(b, (v, i) => v / sq[i]);
      const z = this.cgS(bb, tol);
      for (let i = 0; i < n; i++) z[i] *= sq[i];
      return z;
    }
    return this.neumann(b, tol, true);
  }
  private neumann(b: ArrayLike<number>, tol: number, transposed: boolean): Float64Array {
    const n = b.length;
    let z = Float64Array.from(b);
    const t = new Float64Array(n);
    let bn = 0;
    for (let i = 0; i < n; i++) bn = Math.max(bn, Math.abs(b[i]));
    for (let it = 0; it < 20000; it++) {
      if (transposed) lagT(this.w, z, t); else lag(this.w, z, t);
      let diff = 0;
      for (let i = 0; i < n; i++) {
        const nz = b[i] + this.rho * t[i];
        diff = Math.max(diff, Math.abs(nz - z[i]));
        t[i] = nz;
      }
      const tmp = z; z = t.slice(); tmp.fill(0);
      if (diff <= tol * Math.max(bn, 1e-300)) break;
    }
    return z;
  }
  /** W = D^-1/2 S D^1/2, so (I - rho W)^-1 b = D^-1/2 (I - rho S)^-1 D^1/2 b. */
  private cg(b: ArrayLike<number>, tol: number): Float64Array {
    const sq = this.sq!, n = sq.length;
    const bb = Float64Array.from(b, (v, i) => v * sq[i]);
    const z = this.cgS(bb, tol);
    for (let i = 0; i < n; i++) z[i] /= sq[i];
    return z;
  }
  private applyS(x: Float64Array, out: Float64Array) {
    const sq = this.sq!, w = this.w, n = sq.length;
    for (let i = 0; i < n; i++) {
      const nb = w.neighbours[i], v = w.weights[i];
      let s = 0;
      for (let k = 0; k < nb.length; k++) s += (v[k] / sq[nb[k]]) * x[nb[k]];
      out[i] = x[i] - this.rho * sq[i] * s;
    }
  }
  private cgS(b: Float64Array, tol: number): Float64Array {
    const n = b.length, x = new Float64Array(n), r = Float64Array.from(b), p = Float64Array.from(b), Ap = new Float64Array(n);
    let rr = 0;
    for (const v of r) rr += v * v;
    const stop = tol * tol * Math.max(rr, 1e-300);
    for (let it = 0; it < 10 * n + 100 && rr > stop; it++) {
      this.applyS(p, Ap);
      let pAp = 0;
      for (let i = 0; i < n; i++) pAp += p[i] * Ap[i];
      const a = rr / pAp;
      let rr2 = 0;
      for (let i = 0; i < n; i++) { x[i] += a * p[i]; r[i] -= a * Ap[i]; rr2 += r[i] * r[i]; }
      const beta = rr2 / rr;
      rr = rr2;
      for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
    }
    return x;
  }
}
