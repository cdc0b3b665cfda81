// New quality productivity (NQP): the entropy-weight composite of the 28 indicators (city_year.nqp_indicators, read as
// named variables), pooled over all city-years or weighted year by year. nqpComposite is the in-memory computation on
// indicator arrays (the reference); nqpScores is the built-in composite "NQP" of src/composites.
import { z } from 'zod';
import type { Db } from '../db/db.js';
import type { CompositeDefinition } from '../composites/definition.js';
import { computeComposite, computeOptionsOf, definitionOf } from '../composites/compute.js';
import { compositeRow } from '../db/queries/composites.js';
import type { NqpRawRow } from '../db/queries/domain.js';
import { entropyWeights } from '../estimation/composite.js';
import { EstimationInputError } from '../estimation/result.js';
import { DomainInputError, parseOptions } from './errors.js';
import { NQP_INDICATORS } from './indicators.js';

export { NQP_INDICATORS };

export const NqpOptionsSchema = z.object({
  /** +1 larger is better, -1 smaller is better, one per indicator (default: NQP_INDICATORS' directions) */
  directions: z.array(z.union([z.literal(1), z.literal(-1)])).optional(),
  /** 'pooled': one set of weights over all city-years; 'perYear': weights and normalisation within each year */
  weighting: z.enum(['pooled', 'perYear']).default('pooled'),
  /** added to every min-max normalised value so that ln p is defined (composite.ts default) */
  shift: z.number().positive().finite().default(1e-4),
  years: z.tuple([z.number().int(), z.number().int()]).refine(([a, b]) => a <= b, 'from must not exceed to').optional(),
}).strict();
export type NqpOptions = z.input<typeof NqpOptionsSchema>;

export interface NqpWeights {
  /** null for pooled weights */
  year: number | null;
  names: string[];
  directions: number[];
  weights: number[];
  entropy: number[];
  /** city-years the weights were estimated from (complete indicator rows) */
  n: number;
}

export interface NqpResult {
  rows: { cityCode: string; year: number; nqp: number | null }[];
  weights: NqpWeights[];
}

function directionsFor(k: number, given: number[] | undefined): number[] {
  if (given) {
    if (given.length !== k) throw new DomainInputError(`nqp.directions: ${given.length} directions for ${k} indicators`, 'nqp.directions');
    return given;
  }
  if (k > NQP_INDICATORS.length) throw new DomainInputError(`nqp: ${k} indicators stored but only ${NQP_INDICATORS.length} are documented`, 'nqp.directions');
  return NQP_INDICATORS.slice(0, k).map((d) => d.direction);
}

/** Entropy composite over in-memory indicator rows (what nqpScores runs on the store's rows). */
export function nqpComposite(rows: readonly NqpRawRow[], options: NqpOptions = {}): NqpResult {
  const o = parseOptions(NqpOptionsSchema, options, 'nqp');
  const inYears = o.years ? rows.filter((r) => r.year >= o.years![0] && r.year <= o.years![1]) : [...rows];
  if (!inYears.length) throw new DomainInputError('nqp: no city-year in the chosen years', 'nqp.years');
  const k = Math.max(...inYears.map((r) => r.nqpIndicators.length));
  // no indicators stored (e.g. units imported with their own panel only): no composite
  if (k === 0) return { rows: inYears.map((r) => ({ cityCode: r.cityCode, year: r.year, nqp: null })), weights: [] };
  const dir = directionsFor(k, o.directions);
  const names = NQP_INDICATORS.slice(0, k).map((d) => d.key);
  const groups = new Map<number | null, number[]>();
  inYears.forEach((r, i) => {
    const g = o.weighting === 'pooled' ? null : r.year;
    const l = groups.get(g) ?? [];
    l.push(i);
    groups.set(g, l);
  });
  const score = new Array<number | null>(inYears.length).fill(null);
  const weights: NqpWeights[] = [];
  for (const [year, idx] of [...groups].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))) {
    // a shorter or non-finite indicator array is a missing value (NaN): that city-year gets no score
    const columns = names.map((name, j) => ({ name, values: Float64Array.from(idx, (i) => inYears[i].nqpIndicators[j] ?? NaN) }));
    let r;
    try {
      r = entropyWeights(columns, { direction: dir, shift: o.shift });
    } catch (e) {
      if (e instanceof EstimationInputError) throw new DomainInputError(`nqp${year === null ? '' : ` (year ${year})`}: ${e.message}`, 'nqp');
      throw e;
    }
    idx.forEach((i, p) => { score[i] = Number.isFinite(r.scores[p]) ? r.scores[p] : null; });
    const n = idx.filter((_, p) => Number.isFinite(r.scores[p])).length;
    weights.push({ year, names, directions: dir, weights: [...r.weights], entropy: [...r.entropy], n });
  }
  return { rows: inYears.map((r, i) => ({ cityCode: r.cityCode, year: r.year, nqp: score[i] })), weights };
}

/**
 * NQP of every city-year in the store (within `years`), with the weights used: the built-in composite "NQP" (table
 * composite, over the 28 indicators as named variables) computed by the composite core, `options` applied on top.
 * Gives exactly what nqpComposite gives on the stored indicator arrays (test/composites-nqp.test.ts).
 */
export async function nqpScores(db: Db, options: NqpOptions = {}): Promise<NqpResult> {
  const o = parseOptions(NqpOptionsSchema, options, 'nqp');
  const row = await compositeRow(db, 'NQP');
  const base = row?.builtin ? definitionOf(row) : BUILTIN_NQP;
  const def = { ...base, weighting: o.weighting === 'perYear' ? 'per-year' as const : 'pooled' as const, shift: o.shift, years: o.years ?? base.years };
  const r = await computeComposite(db, def, { ...computeOptionsOf({ name: 'NQP', builtin: true }), ...(o.directions ? { directions: o.directions } : {}) });
  return {
    rows: r.codes.map((cityCode, i) => ({ cityCode, year: r.years[i], nqp: r.values[i] })),
    weights: r.weights.map((w) => ({
      year: w.year, names: w.indicators.map((x) => x.indicator), directions: w.indicators.map((x) => x.direction),
      weights: w.indicators.map((x) => x.weight), entropy: w.indicators.map((x) => x.entropy), n: w.n,
    })),
  };
}

/** The built-in definition as the migration stores it (used when the row is missing). */
const BUILTIN_NQP: CompositeDefinition = {
  name: 'NQP', indicators: NQP_INDICATORS.map((d) => (d.direction < 0 ? `-${d.key}` : d.key)), method: 'entropy', weighting: 'pooled', years: null, shift: 1e-4,
};

/** The entropy weights: pooled when `year` is absent, else that year's own weights (perYear weighting). */
export async function nqpWeights(db: Db, year?: number, options: Omit<NqpOptions, 'weighting'> = {}): Promise<NqpWeights> {
  if (year !== undefined && !Number.isInteger(year)) throw new DomainInputError(`year must be an integer, got ${year}`, 'year');
  const o = { ...options, weighting: year === undefined ? 'pooled' as const : 'perYear' as const, ...(year !== undefined ? { years: [year, year] as [number, number] } : {}) };
  const r = await nqpScores(db, o);
  return r.weights[0];
}
