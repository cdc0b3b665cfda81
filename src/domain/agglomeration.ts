// Co-agglomeration of the three kinds in one city-year: the paper's RTA = 1 / Var(Q1, Q2, Q3) with its two open
// choices made explicit (variance divisor, Var = 0), and alternative measures for the "change the measure" check.
// Pure functions; never Infinity or NaN: an undefined value is null with a reason.
import { z } from 'zod';
import { DomainInputError, parseOptions } from './errors.js';

export type Counts = readonly [number, number, number];

export const RtaOptionsSchema = z.object({
  /** 'sample' divides by n - 1 = 2, 'population' by n = 3 */
  variance: z.enum(['sample', 'population']).default('population'),
  /**
   * What Var = 0 (Q1 = Q2 = Q3) gives:
   * 'cap'     → `cap` (default: the largest RTA any unequal triple of integer counts can reach, see rtaCap)
   * 'null'    → null with a reason
   * 'epsilon' → 1 / (Var + epsilon) for EVERY city-year (so that the measure stays continuous)
   */
  zeroVariance: z.enum(['cap', 'null', 'epsilon']).default('cap'),
  cap: z.number().positive().finite().optional(),
  epsilon: z.number().positive().finite().default(0.5),
  /** Q1 = Q2 = Q3 = 0 (no firm of any kind): 'zeroVariance' treats it like any Var = 0, 'null' gives null */
  allZero: z.enum(['zeroVariance', 'null']).default('zeroVariance'),
}).strict();
export type RtaOptions = z.input<typeof RtaOptionsSchema>;
export type RtaSettings = z.output<typeof RtaOptionsSchema>;

export interface Measure {
  value: number | null;
  /** why value is null, or how it was obtained when not by the plain formula (e.g. 'capped: Var = 0') */
  note?: string;
}

export function parseRtaOptions(o: RtaOptions | undefined): RtaSettings {
  return parseOptions(RtaOptionsSchema, o ?? {}, 'rta');
}

export function variance3(q: Counts, kind: 'sample' | 'population'): number {
  const m = (q[0] + q[1] + q[2]) / 3;
  const ss = (q[0] - m) ** 2 + (q[1] - m) ** 2 + (q[2] - m) ** 2;
  return ss / (kind === 'sample' ? 2 : 3);
}

/**
 * Default cap: 1 / the smallest positive variance of three integers, reached by (k, k, k+1):
 * sum of squares 2/3, so Var = 1/3 (sample) or 2/9 (population) and the cap is 3 or 4.5. Equal counts thus rank as
 * at least as co-agglomerated as the most nearly equal unequal city-year, and never above the finite range.
 */
export function rtaCap(variance: 'sample' | 'population'): number {
  return variance === 'sample' ? 3 : 4.5;
}

function checkCounts(q: Counts): void {
  if (q.length !== 3 || !q.every((v) => Number.isFinite(v) && v >= 0)) {
    throw new DomainInputError(`counts must be three finite non-negative numbers, got [${q.join(', ')}]`, 'counts');
  }
}

/** RTA of one city-year under parsed settings (use parseRtaOptions once for many rows). */
export function rtaWith(q: Counts, s: RtaSettings): Measure {
  checkCounts(q);
  const v = variance3(q, s.variance);
  if (q[0] + q[1] + q[2] === 0 && s.allZero === 'null') return { value: null, note: 'no firm of any kind (Q1 = Q2 = Q3 = 0)' };
  if (s.zeroVariance === 'epsilon') return { value: 1 / (v + s.epsilon), note: `1 / (Var + ${s.epsilon})` };
  // exact zero only for equal counts; tiny rounding residue of non-integer counts is treated the same way
  if (v <= 1e-12 * Math.max(1, q[0] * q[0])) {
    if (s.zeroVariance === 'null') return { value: null, note: `Var = 0 (Q1 = Q2 = Q3 = ${q[0]})` };
    return { value: s.cap ?? rtaCap(s.variance), note: `capped: Var = 0 (Q1 = Q2 = Q3 = ${q[0]})` };
  }
  return { value: 1 / v };
}

/** RTA = 1 / Var(Q1, Q2, Q3) with the options of RtaOptionsSchema (defaults: population variance, cap 4.5). */
export function rta(q: Counts, options?: RtaOptions): Measure {
  return rtaWith(q, parseRtaOptions(options));
}

function shares(q: Counts): number[] | null {
  const t = q[0] + q[1] + q[2];
  return t > 0 ? q.map((v) => v / t) : null;
}

/**
 * Normalised Shannon entropy (Theil's diversity) of the kind shares s_k = Q_k / sum Q:
 * H = -sum s_k ln s_k / ln 3, in [0, 1]; 1 when the three counts are equal, 0 when one kind has every firm.
 * (Theil's T of the shares is ln 3 · (1 - H), so ranking by H is ranking by -T.)
 */
export function entropyDiversity(q: Counts): Measure {
  checkCounts(q);
  const s = shares(q);
  if (!s) return { value: null, note: 'no firm of any kind' };
  let h = 0;
  for (const p of s) if (p > 0) h -= p * Math.log(p);
  return { value: h / Math.log(3) };
}

/** Inverse Herfindahl of the kind shares: 1 / sum s_k², the effective number of kinds, in [1, 3]. */
export function inverseHerfindahl(q: Counts): Measure {
  checkCounts(q);
  const s = shares(q);
  if (!s) return { value: null, note: 'no firm of any kind' };
  return { value: 1 / (s[0] ** 2 + s[1] ** 2 + s[2] ** 2) };
}

export interface EgCity {
  /** counts of the three kinds in the city-year */
  q: Counts;
  /** the benchmark size of the city in that year (default in cityMeasures: all sampled firms with a firm-year) */
  base: number;
}

export interface EgResult {
  /** per-city local contribution, in input order; sums to `mean` over the cities */
  local: number[];
  /** Ellison–Glaeser-style pairwise co-agglomeration γ_12, γ_13, γ_23 across the cities of one year */
  pairs: { '12': number; '13': number; '23': number };
  /** mean of the three pairwise indices */
  mean: number;
}

/**
 * Ellison–Glaeser (1997) co-agglomeration of kinds i and j across the cities m of one year, in its form without the
 * plant-Herfindahl correction (firm counts carry no size): with s_mi = Q_mi / sum_m Q_mi (city m's share of kind i)
 * and x_m = base_m / sum_m base_m (city m's share of all firms),
 *     γ_ij = sum_m (s_mi - x_m)(s_mj - x_m) / (1 - sum_m x_m²).
 * Positive when the two kinds over-represent in the same cities. The per-city value used as a city-year measure is
 * city m's term averaged over the three pairs: EG_m = sum_{i<j} (s_mi - x_m)(s_mj - x_m) / (3 (1 - sum x²)), so that
 * sum_m EG_m = (γ_12 + γ_13 + γ_23) / 3. A kind with no firm in that year has no shares: its pairs count as 0.
 */
export function egCoagglomeration(cities: readonly EgCity[]): EgResult {
  const n = cities.length;
  if (n < 2) throw new DomainInputError('the Ellison–Glaeser index needs at least two cities', 'cities');
  for (const c of cities) {
    checkCounts(c.q);
    if (!(Number.isFinite(c.base) && c.base >= 0)) throw new DomainInputError(`city base must be a non-negative number, got ${c.base}`, 'base');
  }
  const totalBase = cities.reduce((a, c) => a + c.base, 0);
  if (!(totalBase > 0)) throw new DomainInputError('the Ellison–Glaeser index needs a positive total base', 'base');
  const x = cities.map((c) => c.base / totalBase);
  const denom = 1 - x.reduce((a, v) => a + v * v, 0);
  if (!(denom > 0)) throw new DomainInputError('the Ellison–Glaeser index is undefined when one city holds every firm', 'base');
  const tot = [0, 1, 2].map((k) => cities.reduce((a, c) => a + c.q[k], 0));
  const s = cities.map((c) => c.q.map((v, k) => (tot[k] > 0 ? v / tot[k] : NaN)));
  const dev = (m: number, k: number) => (Number.isNaN(s[m][k]) ? 0 : s[m][k] - x[m]);
  const term = (m: number, i: number, j: number) => (tot[i] > 0 && tot[j] > 0 ? dev(m, i) * dev(m, j) : 0);
  const pair = (i: number, j: number) => cities.reduce((a, _, m) => a + term(m, i, j), 0) / denom;
  const local = cities.map((_, m) => (term(m, 0, 1) + term(m, 0, 2) + term(m, 1, 2)) / (3 * denom));
  const pairs = { '12': pair(0, 1), '13': pair(0, 2), '23': pair(1, 2) };
  return { local, pairs, mean: (pairs['12'] + pairs['13'] + pairs['23']) / 3 };
}

export interface CityYearCounts {
  cityCode: string;
  year: number;
  q1: number;
  q2: number;
  q3: number;
  /** sampled firms with a firm-year in the city-year, classified or not (the EG benchmark) */
  nFirms: number;
}

export interface CityYearMeasures extends CityYearCounts {
  rta: number | null;
  rtaNote: string | null;
  entropy: number | null;
  invHhi: number | null;
  eg: number | null;
}

/**
 * All measures for a set of city-years. EG is computed across the cities of each year; a year where it is undefined
 * (a single city, or no firm at all) gives null EG for its cities.
 */
export function cityMeasures(rows: readonly CityYearCounts[], options?: RtaOptions): CityYearMeasures[] {
  const s = parseRtaOptions(options);
  const byYear = new Map<number, number[]>();
  rows.forEach((r, i) => {
    const l = byYear.get(r.year) ?? [];
    l.push(i);
    byYear.set(r.year, l);
  });
  const eg = new Array<number | null>(rows.length).fill(null);
  for (const idx of byYear.values()) {
    const cities = idx.map((i) => ({ q: [rows[i].q1, rows[i].q2, rows[i].q3] as const, base: rows[i].nFirms }));
    if (cities.length < 2 || !(cities.reduce((a, c) => a + c.base, 0) > 0)) continue;
    try {
      const r = egCoagglomeration(cities);
      idx.forEach((i, k) => { eg[i] = r.local[k]; });
    } catch (e) {
      if (!(e instanceof DomainInputError)) throw e;
    }
  }
  return rows.map((r, i) => {
    const q = [r.q1, r.q2, r.q3] as const;
    const m = rtaWith(q, s);
    return { ...r, rta: m.value, rtaNote: m.note ?? null, entropy: entropyDiversity(q).value, invHhi: inverseHerfindahl(q).value, eg: eg[i] };
  });
}
