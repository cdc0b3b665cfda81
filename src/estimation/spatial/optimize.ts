// Brent's one-dimensional minimiser, a transcription of R's optimize() (Brent_fmin in R's src/library/stats),
// so the ML estimates of rho / lambda stop where spatialreg's do.
export function brentMin(f: (x: number) => number, ax: number, bx: number, tol = Math.sqrt(2.220446049250313e-16)): { x: number; f: number; evals: number } {
  const c = (3 - Math.sqrt(5)) * 0.5;
  const eps = Math.sqrt(2.220446049250313e-16);
  let a = ax, b = bx;
  let v = a + c * (b - a), w = v, x = v;
  let d = 0, e = 0;
  let fx = f(x), evals = 1;
  let fv = fx, fw = fx;
  const tol3 = tol / 3;
  for (;;) {
    const xm = (a + b) * 0.5, tol1 = eps * Math.abs(x) + tol3, t2 = tol1 * 2;
    if (Math.abs(x - xm) <= t2 - (b - a) * 0.5) break;
    let p = 0, q = 0, r = 0;
    if (Math.abs(e) > tol1) {
      r = (x - w) * (fx - fv);
      q = (x - v) * (fx - fw);
      p = (x - v) * q - (x - w) * r;
      q = (q - r) * 2;
      if (q > 0) p = -p; else q = -q;
      r = e;
      e = d;
    }
    let u: number;
    if (Math.abs(p) >= Math.abs(q * 0.5 * r) || p <= q * (a - x) || p >= q * (b - x)) {
      // golden-section step
      e = x < xm ? b - x : a - x;
      d = c * e;
    } else {
      // parabolic interpolation step
      d = p / q;
      u = x + d;
      if (u - a < t2 || b - u < t2) { d = tol1; if (x >= xm) d = -d; }
    }
    if (Math.abs(d) >= tol1) u = x + d;
    else if (d > 0) u = x + tol1;
    else u = x - tol1;
    const fu = f(u);
    evals++;
    if (fu <= fx) {
      if (u < x) b = x; else a = x;
      v = w; w = x; x = u;
      fv = fw; fw = fx; fx = fu;
    } else {
      if (u < x) a = u; else b = u;
      if (fu <= fw || w === x) { v = w; fv = fw; w = u; fw = fu; }
      else if (fu <= fv || v === x || v === w) { v = u; fv = fu; }
    }
  }
  return { x, f: fx, evals };
}
