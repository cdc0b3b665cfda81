// Dense linear algebra on column-major Float64Array matrices: the few kernels every estimator needs.
// Column-major because designs are built column by column and X'X loops run down columns.

export interface Matrix {
  rows: number;
  cols: number;
  /** column-major: element (i, j) at data[i + j * rows] */
  data: Float64Array;
}

export function zeros(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

export function fromColumns(cols: ArrayLike<number>[], rows = cols[0]?.length ?? 0): Matrix {
  const m = zeros(rows, cols.length);
  cols.forEach((c, j) => m.data.set(c as ArrayLike<number>, j * rows));
  return m;
}

export function fromRows(rows: number[][]): Matrix {
  const r = rows.length, c = r ? rows[0].length : 0;
  const m = zeros(r, c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) m.data[i + j * r] = rows[i][j];
  return m;
}

export function identity(n: number): Matrix {
  const m = zeros(n, n);
  for (let i = 0; i < n; i++) m.data[i + i * n] = 1;
  return m;
}

export const get = (m: Matrix, i: number, j: number) => m.data[i + j * m.rows];
export const column = (m: Matrix, j: number) => m.data.subarray(j * m.rows, (j + 1) * m.rows);

export function transpose(a: Matrix): Matrix {
  const t = zeros(a.cols, a.rows);
  for (let j = 0; j < a.cols; j++) for (let i = 0; i < a.rows; i++) t.data[j + i * a.cols] = a.data[i + j * a.rows];
  return t;
}

export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new Error(`matmul: ${a.rows}x${a.cols} by ${b.rows}x${b.cols}`);
  const c = zeros(a.rows, b.cols);
  const n = a.rows;
  for (let j = 0; j < b.cols; j++) {
    const cj = j * n;
    for (let k = 0; k < a.cols; k++) {
      const bkj = b.data[k + j * b.rows];
      if (bkj === 0) continue;
      const ak = k * n;
      for (let i = 0; i < n; i++) c.data[cj + i] += a.data[ak + i] * bkj;
    }
  }
  return c;
}

/** A'B without forming A' (the hot path of every estimator). */
export function crossprod(a: Matrix, b: Matrix = a): Matrix {
  if (a.rows !== b.rows) throw new Error(`crossprod: ${a.rows} vs ${b.rows} rows`);
  const n = a.rows, c = zeros(a.cols, b.cols);
  const sym = a === b;
  for (let i = 0; i < a.cols; i++) {
    const ai = a.data.subarray(i * n, (i + 1) * n);
    for (let j = sym ? i : 0; j < b.cols; j++) {
      const bj = b.data.subarray(j * n, (j + 1) * n);
      let s = 0;
      for (let r = 0; r < n; r++) s += ai[r] * bj[r];
      c.data[i + j * a.cols] = s;
      if (sym) c.data[j + i * a.cols] = s;
    }
  }
  return c;
}

/** A'v for a vector v. */
export function crossprodVec(a: Matrix, v: ArrayLike<number>): Float64Array {
  const n = a.rows, out = new Float64Array(a.cols);
  for (let j = 0; j < a.cols; j++) {
    let s = 0;
    const o = j * n;
    for (let i = 0; i < n; i++) s += a.data[o + i] * v[i];
    out[j] = s;
  }
  return out;
}

/** A v */
export function matvec(a: Matrix, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.rows);
  for (let j = 0; j < a.cols; j++) {
    const vj = v[j];
    if (vj === 0) continue;
    const o = j * a.rows;
    for (let i = 0; i < a.rows; i++) out[i] += a.data[o + i] * vj;
  }
  return out;
}

export function add(a: Matrix, b: Matrix, scaleB = 1): Matrix {
  const c = zeros(a.rows, a.cols);
  for (let i = 0; i < c.data.length; i++) c.data[i] = a.data[i] + scaleB * b.data[i];
  return c;
}

export function scale(a: Matrix, s: number): Matrix {
  const c = zeros(a.rows, a.cols);
  for (let i = 0; i < c.data.length; i++) c.data[i] = a.data[i] * s;
  return c;
}

/** Lower Cholesky factor of an SPD matrix; throws SingularMatrixError when not positive definite. */
export function cholesky(a: Matrix): Matrix {
  const n = a.rows, L = zeros(n, n);
  for (let j = 0; j < n; j++) {
    let d = a.data[j + j * n];
    for (let k = 0; k < j; k++) d -= L.data[j + k * n] ** 2;
    if (!(d > 0)) throw new SingularMatrixError(j);
    const ljj = Math.sqrt(d);
    L.data[j + j * n] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a.data[i + j * n];
      for (let k = 0; k < j; k++) s -= L.data[i + k * n] * L.data[j + k * n];
      L.data[i + j * n] = s / ljj;
    }
  }
  return L;
}

export class SingularMatrixError extends Error {
  constructor(public readonly index: number) {
    super(`matrix is singular or not positive definite (pivot ${index})`);
  }
}

/** Solves A X = B by LU with partial pivoting (A square, general). */
export function solve(a: Matrix, b: Matrix): Matrix {
  const n = a.rows;
  if (a.cols !== n || b.rows !== n) throw new Error('solve: dimension mismatch');
  const lu = Float64Array.from(a.data), x = Float64Array.from(b.data);
  const m = b.cols;
  let maxAbs = 0;
  for (const v of lu) maxAbs = Math.max(maxAbs, Math.abs(v));
  const tol = maxAbs * n * 2.220446049250313e-16;
  for (let k = 0; k < n; k++) {
    let p = k, best = Math.abs(lu[k + k * n]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i + k * n]);
      if (v > best) { best = v; p = i; }
    }
    if (!(best > tol)) throw new SingularMatrixError(k);
    if (p !== k) {
      for (let j = 0; j < n; j++) { const t = lu[k + j * n]; lu[k + j * n] = lu[p + j * n]; lu[p + j * n] = t; }
      for (let j = 0; j < m; j++) { const t = x[k + j * n]; x[k + j * n] = x[p + j * n]; x[p + j * n] = t; }
    }
    const pivot = lu[k + k * n];
    for (let i = k + 1; i < n; i++) {
      const f = (lu[i + k * n] /= pivot);
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) lu[i + j * n] -= f * lu[k + j * n];
      for (let j = 0; j < m; j++) x[i + j * n] -= f * x[k + j * n];
    }
  }
  for (let j = 0; j < m; j++) {
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i + j * n];
      for (let k = i + 1; k < n; k++) s -= lu[i + k * n] * x[k + j * n];
      x[i + j * n] = s / lu[i + i * n];
    }
  }
  return { rows: n, cols: m, data: x };
}

export function inverse(a: Matrix): Matrix {
  return solve(a, identity(a.rows));
}

/** Inverse of a symmetric positive definite matrix through its Cholesky factor. */
export function invSPD(a: Matrix): Matrix {
  const n = a.rows, L = cholesky(a);
  // invert L (lower triangular), then A^-1 = L^-T L^-1
  const Li = zeros(n, n);
  for (let j = 0; j < n; j++) {
    Li.data[j + j * n] = 1 / L.data[j + j * n];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L.data[i + k * n] * Li.data[k + j * n];
      Li.data[i + j * n] = s / L.data[i + i * n];
    }
  }
  return crossprod(Li);
}

/** Moore-Penrose-style generalised inverse of a symmetric PSD matrix via eigen-decomposition (as MASS::ginv / plm). */
export function ginvSym(a: Matrix, tol = 1e-10): Matrix {
  const { values, vectors } = symEigen(a);
  const n = a.rows, out = zeros(n, n);
  const maxv = Math.max(...Array.from(values, Math.abs));
  for (let k = 0; k < n; k++) {
    if (Math.abs(values[k]) <= tol * maxv) continue;
    const inv = 1 / values[k];
    for (let j = 0; j < n; j++) {
      const vj = vectors.data[j + k * n] * inv;
      for (let i = 0; i < n; i++) out.data[i + j * n] += vectors.data[i + k * n] * vj;
    }
  }
  return out;
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi; values descending, vectors as columns. */
export function symEigen(a: Matrix): { values: Float64Array; vectors: Matrix } {
  const n = a.rows;
  const A = Float64Array.from(a.data);
  const V = identity(n).data;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let j = 0; j < n; j++) for (let i = 0; i < j; i++) off += A[i + j * n] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p + q * n];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q + q * n] - A[p + p * n]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k + p * n], akq = A[k + q * n];
          A[k + p * n] = c * akp - s * akq;
          A[k + q * n] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p + k * n], aqk = A[q + k * n];
          A[p + k * n] = c * apk - s * aqk;
          A[q + k * n] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k + p * n], vkq = V[k + q * n];
          V[k + p * n] = c * vkp - s * vkq;
          V[k + q * n] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => A[y + y * n] - A[x + x * n]);
  const values = Float64Array.from(order, (k) => A[k + k * n]);
  const vectors = zeros(n, n);
  order.forEach((k, j) => vectors.data.set(V.subarray(k * n, (k + 1) * n), j * n));
  return { values, vectors };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function diag(m: Matrix): Float64Array {
  return Float64Array.from({ length: Math.min(m.rows, m.cols) }, (_, i) => m.data[i + i * m.rows]);
}

/** Columns of X that are (numerically) linear combinations of earlier columns, found by pivot-free Cholesky of X'X. */
export function collinearColumns(xtx: Matrix, tol = 1e-9): number[] {
  const n = xtx.rows, L = zeros(n, n), dropped: number[] = [];
  for (let j = 0; j < n; j++) {
    const ajj = xtx.data[j + j * n];
    let d = ajj;
    for (let k = 0; k < j; k++) d -= L.data[j + k * n] ** 2;
    if (!(d > tol * Math.max(ajj, 1e-300))) { dropped.push(j); continue; }
    const ljj = Math.sqrt(d);
    L.data[j + j * n] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = xtx.data[i + j * n];
      for (let k = 0; k < j; k++) s -= L.data[i + k * n] * L.data[j + k * n];
      L.data[i + j * n] = s / ljj;
    }
  }
  return dropped;
}
