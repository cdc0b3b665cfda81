// Versioned rule sets for the annual firm classification, stored as data (data/rules/*.json) and validated here.
// A kind is a conjunction of conditions on one firm-year's metrics; `any` groups express "innovative = R&D or patents".
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseOptions } from './errors.js';

export const KINDS = ['fledgling', 'gazelle', 'unicorn'] as const;
export type Kind = (typeof KINDS)[number];

/** Metrics a condition can test, all computed from the firm's attributes and that year's figures only. */
export const METRICS = [
  'age', 'listed', 'strategicEmerging', 'techIntensive', 'stFlag', 'financial', 'rndIntensity', 'revenueGrowth', 'valuationUsd',
  'revenue', 'employees', 'assets', 'leverage', 'rnd', 'patents',
] as const;
export type Metric = (typeof METRICS)[number];

const Op = z.enum(['<', '<=', '>', '>=', '==', '!=']);
export type Op = z.infer<typeof Op>;

const Condition = z.object({
  metric: z.enum(METRICS),
  op: Op,
  value: z.union([z.number(), z.boolean()]),
}).strict();
export type Condition = z.infer<typeof Condition>;

const Clause = z.union([Condition, z.object({ any: z.array(Condition).min(1) }).strict()]);
export type Clause = z.infer<typeof Clause>;

const KindRule = z.object({
  /** Chinese name used in the paper */
  label: z.string(),
  /** the paper's definition, verbatim in spirit */
  wording: z.string(),
  all: z.array(Clause).min(1),
}).strict();

export const RuleSetSchema = z.object({
  version: z.string().min(1),
  description: z.string().optional(),
  /**
   * Age in a year: 'calendar' = year − founding year; 'startOfYear' = whole years completed on 1 January.
   */
  ageBasis: z.enum(['calendar', 'startOfYear']),
  /** Firm-years meeting ANY of these are never classified (e.g. ST/*ST and financial firms, as the paper's sample) */
  exclude: z.array(Condition).default([]),
  /** Order in which kinds win when a firm-year qualifies for several */
  precedence: z.array(z.enum(KINDS)).length(3).refine((p) => new Set(p).size === 3, 'each kind exactly once'),
  kinds: z.object({ fledgling: KindRule, gazelle: KindRule, unicorn: KindRule }).strict(),
}).passthrough();
export type RuleSet = z.infer<typeof RuleSetSchema>;

export function parseRuleSet(value: unknown): RuleSet {
  return parseOptions(RuleSetSchema, value, 'ruleSet');
}

export function loadRuleSet(file: string | URL): RuleSet {
  return parseRuleSet(JSON.parse(readFileSync(file, 'utf8')));
}

/** The rule set in force: data/rules/firm-kinds-v1.json. */
export const DEFAULT_RULE_SET: RuleSet = loadRuleSet(new URL('../../data/rules/firm-kinds-v1.json', import.meta.url));
