// Classification of one firm-year from that year's figures and the firm's attributes only (no look-ahead, so no
// survivor bias): the metrics, every kind's conditions met or not, precedence, and human-readable reasons.
import type { Clause, Condition, Kind, Metric, RuleSet } from './rules.js';

/** What is known of a firm in one year (firm attributes + its firm_year row). Dates as YYYY-MM-DD. */
export interface FirmYearFacts {
  firmId: number;
  year: number;
  founded: string;
  listedOn: string | null;
  strategicEmerging: boolean;
  techIntensive: boolean;
  stFlag: boolean;
  financial: boolean;
  revenue: number;
  employees: number;
  assets: number;
  leverage: number;
  rnd: number;
  patents: number;
  valuationUsd: number | null;
  revenueGrowth: number | null;
}

export type MetricValues = Record<Metric, number | boolean | null>;

function ageIn(year: number, founded: string, basis: RuleSet['ageBasis']): number {
  const [fy, fm, fd] = founded.split('-').map(Number);
  const calendar = year - fy;
  // whole years completed on 1 January: one less unless founded on 1 January
  return basis === 'calendar' ? calendar : calendar - (fm === 1 && fd === 1 ? 0 : 1);
}

export function metricsOf(f: FirmYearFacts, rules: RuleSet): MetricValues {
  return {
    age: ageIn(f.year, f.founded, rules.ageBasis),
    // listed that year: a listing date on or before 31 December of the year
    listed: f.listedOn !== null && f.listedOn <= `${f.year}-12-31`,
    strategicEmerging: f.strategicEmerging,
    techIntensive: f.techIntensive,
    stFlag: f.stFlag,
    financial: f.financial,
    rndIntensity: f.revenue > 0 ? f.rnd / f.revenue : null,
    revenueGrowth: f.revenueGrowth,
    valuationUsd: f.valuationUsd,
    revenue: f.revenue,
    employees: f.employees,
    assets: f.assets,
    leverage: f.leverage,
    rnd: f.rnd,
    patents: f.patents,
  };
}

const LABEL: Record<Metric, string> = {
  age: 'age', listed: 'listed', strategicEmerging: 'strategic emerging industry', techIntensive: 'tech-intensive',
  stFlag: 'ST/*ST firm', financial: 'financial firm', rndIntensity: 'R&D/revenue', revenueGrowth: 'revenue growth', valuationUsd: 'valuation USD', revenue: 'revenue',
  employees: 'employees', assets: 'assets', leverage: 'leverage', rnd: 'R&D', patents: 'patents',
};
const SYMBOL: Record<Condition['op'], string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥', '==': '=', '!=': '≠' };
const NEGATE: Record<Condition['op'], Condition['op']> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };

function fmt(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const a = Math.abs(x);
  return a >= 1e6 || (a > 0 && a < 1e-3) ? x.toExponential(3).replace(/\.?0+e/, 'e').replace('e+', 'e') : String(Number(x.toPrecision(4)));
}

function test(v: number | boolean | null, op: Condition['op'], t: number | boolean): boolean {
  if (v === null) return false;
  const a = Number(v), b = Number(t);
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

/** "age 4 < 10", "not listed", "valuation USD missing", or for a failed condition its negation ("age 12 ≥ 10"). */
function describe(c: Condition, v: number | boolean | null, met: boolean): string {
  if (v === null) return `${LABEL[c.metric]} missing`;
  if (typeof c.value === 'boolean' || typeof v === 'boolean') {
    const truth = Boolean(v);
    return truth ? LABEL[c.metric] : `not ${LABEL[c.metric]}`;
  }
  const op = met ? c.op : NEGATE[c.op];
  return `${LABEL[c.metric]} ${fmt(Number(v))} ${SYMBOL[op]} ${fmt(c.value)}`;
}

export interface KindCheck {
  kind: Kind;
  met: boolean;
  /** conditions met (for an `any` group: the alternatives met) */
  reasons: string[];
  /** conditions not met (for an `any` group: "none of: …") */
  failures: string[];
}

function checkClause(cl: Clause, m: MetricValues): { met: boolean; reasons: string[]; failures: string[] } {
  if ('any' in cl) {
    const parts = cl.any.map((c) => ({ c, ok: test(m[c.metric], c.op, c.value) }));
    const ok = parts.filter((p) => p.ok);
    return ok.length
      ? { met: true, reasons: ok.map((p) => describe(p.c, m[p.c.metric], true)), failures: [] }
      : { met: false, reasons: [], failures: [`none of: ${parts.map((p) => describe(p.c, m[p.c.metric], false)).join('; ')}`] };
  }
  const ok = test(m[cl.metric], cl.op, cl.value);
  const d = describe(cl, m[cl.metric], ok);
  return ok ? { met: true, reasons: [d], failures: [] } : { met: false, reasons: [], failures: [d] };
}

/** The exclusion conditions a firm-year meets (e.g. ["ST/*ST firm"]); empty when it may be classified. */
export function exclusions(f: FirmYearFacts, rules: RuleSet): string[] {
  const m = metricsOf(f, rules);
  return rules.exclude.filter((c) => test(m[c.metric], c.op, c.value)).map((c) => describe(c, m[c.metric], true));
}

/** Every kind's conditions, in precedence order; an excluded firm-year meets none (its failure names the exclusion). */
export function checkKinds(f: FirmYearFacts, rules: RuleSet): KindCheck[] {
  const m = metricsOf(f, rules);
  const excluded = exclusions(f, rules).map((e) => `excluded: ${e}`);
  return rules.precedence.map((kind) => {
    const parts = rules.kinds[kind].all.map((cl) => checkClause(cl, m));
    const met = !excluded.length && parts.every((p) => p.met);
    return { kind, met, reasons: parts.flatMap((p) => p.reasons), failures: [...excluded, ...parts.flatMap((p) => p.failures)] };
  });
}

export interface Classification {
  firmId: number;
  year: number;
  /** null: the firm-year qualifies for no kind */
  kind: Kind | null;
  /** every kind met, in precedence order */
  qualified: Kind[];
  /** the conditions of `kind` as met */
  reasons: string[];
  ruleVersion: string;
}

export function classifyFirmYear(f: FirmYearFacts, rules: RuleSet): Classification {
  const checks = checkKinds(f, rules);
  const met = checks.filter((c) => c.met);
  return {
    firmId: f.firmId, year: f.year, kind: met[0]?.kind ?? null, qualified: met.map((c) => c.kind),
    reasons: met[0]?.reasons ?? [], ruleVersion: rules.version,
  };
}
