// Descriptive statistics (the paper's Table 1), R type-7 quantiles and winsorising at chosen quantiles.
import { quantile7 } from './panel.js';

export { quantile7 };

/** R's quantile(x, p, type = 7, na.rm = TRUE). */
export function quantile(x: ArrayLike<number>, p: number): number {
  const v = Float64Array.from(Array.prototype.filter.call(x, Number.isFinite) as number[]).sort();
  return quantile7(v, p);
}

/** Clamps values to the [lower, upper] type-7 quantiles (default 5% / 95% as in the paper); missing stay missing. */
export function winsorize(x: ArrayLike<number>, lower = 0.05, upper = 0.95): Float64Array {
  if (!(lower >= 0 && upper <= 1 && lower < upper)) throw new RangeError(`winsorize: quantiles ${lower}, ${upper} out of order`);
  const lo = quantile(x, lower), hi = quantile(x, upper);
  return Float64Array.from(x as ArrayLike<number>, (v) => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : v));
}

export interface Describe {
  variable: string;
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
  median: number;
}

/** N, mean, sample sd (n-1), min, max, median over the non-missing values. */
export function describe(variable: string, x: ArrayLike<number>): Describe {
  const v: number[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) v.push(x[i]);
  const n = v.length;
  if (!n) return { variable, n, mean: NaN, sd: NaN, min: NaN, max: NaN, median: NaN };
  let s = 0;
  for (const a of v) s += a;
  const mean = s / n;
  let ss = 0;
  for (const a of v) ss += (a - mean) ** 2;
  const sorted = Float64Array.from(v).sort();
  return { variable, n, mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN, min: sorted[0], max: sorted[n - 1], median: quantile7(sorted, 0.5) };
}
