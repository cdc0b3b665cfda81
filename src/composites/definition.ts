// A composite definition as the doors give it (CLI flags, GraphQL input, a study file) and as it is stored: a name, the
// indicators (a leading '-' marks a cost indicator), the weighting method, pooled or per-year weights, the years and
// the shift added after min-max normalisation (src/estimation/composite.ts).
import { z } from 'zod';
import { DomainInputError, parseOptions } from '../domain/errors.js';

export const COMPOSITE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const INDICATOR = /^-?[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const CompositeDefinitionSchema = z.object({
  name: z.string().regex(COMPOSITE_NAME, 'must be a variable name: a letter or _, then letters, digits or _, at most 63'),
  /** variable names; '-name' = a cost indicator (smaller is better) */
  indicators: z.array(z.string().regex(INDICATOR, "must be a variable name, with a leading '-' for a cost indicator")).min(1, 'name at least one indicator'),
  method: z.enum(['entropy', 'equal']).default('entropy'),
  /** 'pooled': one set of weights over all city-years; 'per-year': normalisation and weights within each year */
  weighting: z.enum(['pooled', 'per-year']).default('pooled'),
  /** [from, to], both included; absent = every stored year */
  years: z.tuple([z.number().int().min(1900).max(2100), z.number().int().min(1900).max(2100)])
    .refine(([a, b]) => a <= b, 'from must not exceed to').nullable().optional(),
  /** added to every min-max normalised value so that ln p is defined */
  shift: z.number().positive().finite().default(1e-4),
}).strict();

export type CompositeDefinitionInput = z.input<typeof CompositeDefinitionSchema>;
export interface CompositeDefinition {
  name: string;
  indicators: string[];
  method: 'entropy' | 'equal';
  weighting: 'pooled' | 'per-year';
  years: [number, number] | null;
  shift: number;
}

/** Validates a definition (DomainInputError naming the field, e.g. 'composite.indicators.3'). */
export function parseCompositeDefinition(input: unknown): CompositeDefinition {
  const d = parseOptions(CompositeDefinitionSchema, input, 'composite');
  const seen = new Map<string, number>();
  d.indicators.forEach((s, i) => {
    const name = indicatorName(s);
    if (seen.has(name)) throw new DomainInputError(`composite.indicators.${i}: '${name}' is already indicator ${seen.get(name)}`, `composite.indicators.${i}`);
    if (name === d.name) throw new DomainInputError(`composite.indicators.${i}: a composite cannot be its own indicator`, `composite.indicators.${i}`);
    seen.set(name, i);
  });
  return { name: d.name, indicators: d.indicators, method: d.method, weighting: d.weighting, years: d.years ?? null, shift: d.shift };
}

/** 'x' of '-x' or 'x'. */
export const indicatorName = (s: string): string => (s.startsWith('-') ? s.slice(1) : s);
/** -1 for a cost indicator ('-x'), else +1. */
export const indicatorDirection = (s: string): 1 | -1 => (s.startsWith('-') ? -1 : 1);

/** "2008:2014" → [2008, 2014] (the CLI's --years). */
export function parseYearsRange(s: string): [number, number] {
  const m = /^(\d{4}):(\d{4})$/.exec(s.trim()) ?? /^(\d{4})$/.exec(s.trim());
  if (!m) throw new DomainInputError(`composite.years: '${s}' is not FROM:TO (e.g. 2008:2014)`, 'composite.years');
  return [Number(m[1]), Number(m[2] ?? m[1])];
}
