// p-values and quantiles from @stdlib (maintained implementations, not hand-rolled series).
import tcdf from '@stdlib/stats-base-dists-t-cdf';
import normcdf from '@stdlib/stats-base-dists-normal-cdf';
import normquantile from '@stdlib/stats-base-dists-normal-quantile';
import chisqcdf from '@stdlib/stats-base-dists-chisquare-cdf';
import fcdf from '@stdlib/stats-base-dists-f-cdf';

/** Two-sided p-value of a t statistic with df degrees of freedom. */
export const pT = (t: number, df: number) => 2 * tcdf(-Math.abs(t), df);
/** Two-sided p-value of a standard normal statistic. */
export const pNorm = (z: number) => 2 * normcdf(-Math.abs(z), 0, 1);
/** Upper-tail p-value of a chi-square statistic. */
export const pChisq = (x: number, df: number) => 1 - chisqcdf(x, df);
/** Upper-tail p-value of an F statistic. */
export const pF = (x: number, df1: number, df2: number) => 1 - fcdf(x, df1, df2);
/** Standard normal quantile. */
export const qNorm = (p: number) => normquantile(p, 0, 1);
