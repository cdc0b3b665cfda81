// The paper's sample rules as a declarative spec, applied to a frame in a fixed order with a report of what each
// rule dropped or changed. Pure: the firm-level rules act on frame columns when present, else are reported upstream.
import { z } from 'zod';
import { winsorize as winsorizeColumn } from '../estimation/describe.js';
import type { Column, DataFrame } from '../estimation/frame.js';
import { DomainInputError, parseOptions } from './errors.js';
import { unitsChangedWithin } from '../units/history.js';

const Vars = z.array(z.string().min(1));

export const SampleSpecSchema = z.object({
  /**
   * The paper's rule (1): drop units whose administrative area changed within the sample years (a change taking
   * effect in a year after the first of the window, per data/admin-changes.json: abolitions and mergers, new units,
   * upgrades; renames and 地区→市 conversions keep the area). Off unless asked; reported only when on.
   */
  dropChangedUnits: z.boolean().default(false),
  /** drop ST / *ST firms (firm level: before counting; in a frame with an `st` column: those rows) */
  dropStFirms: z.boolean().default(true),
  /** drop financial firms (same as above with a `financial` column) */
  dropFinancialFirms: z.boolean().default(true),
  /**
   * Drop whole cities whose key series are broken: a city is broken when more than `maxMissingYears` years of the
   * window lack a row or have a missing / non-finite value in any key variable.
   */
  dropBrokenCities: z.boolean().default(true),
  maxMissingYears: z.number().int().min(0).default(0),
  /** the variables whose absence breaks a series or drops a row (default: the standard panel variables present) */
  keyVars: Vars.optional(),
  /** drop remaining rows with a missing key variable */
  dropMissing: z.boolean().default(true),
  /** drop rows with NQP > k × mean NQP (paper: 3); null = keep all */
  nqpOutlierK: z.number().positive().finite().nullable().default(3),
  /** keep only cities observed in every year of the window (after the rules above) */
  balanced: z.boolean().default(false),
  /** replace these variables by their natural log (non-positive values become missing, counted in the report) */
  log: Vars.default([]),
  /** clamp at pooled type-7 quantiles; vars default to the key variables; null = no winsorising */
  winsorize: z.object({
    vars: Vars.optional(),
    lower: z.number().min(0).max(1).default(0.05),
    upper: z.number().min(0).max(1).default(0.95),
  }).strict().refine((w) => w.lower < w.upper, { message: 'lower must be below upper', path: ['lower'] }).nullable()
    .default({ lower: 0.05, upper: 0.95 }),
  /** inclusive year window */
  years: z.tuple([z.number().int(), z.number().int()]).refine(([a, b]) => a <= b, 'from must not exceed to').optional(),
}).strict();
export type SampleSpec = z.input<typeof SampleSpecSchema>;
export type SampleSettings = z.output<typeof SampleSpecSchema>;

export function parseSampleSpec(spec: SampleSpec | undefined): SampleSettings {
  return parseOptions(SampleSpecSchema, spec ?? {}, 'sample');
}

/** The standard variables of the city panel, the default key variables where present in the frame. */
export const STANDARD_VARS = ['NQP', 'RTA', 'Popsiz', 'Urbrate', 'Fispress', 'Indstru', 'Eduexp', 'Findev', 'DFU', 'RID', 'PC'];

export interface RuleReport {
  rule: 'years' | 'dropChangedUnits' | 'dropStFirms' | 'dropFinancialFirms' | 'dropBrokenCities' | 'dropMissing' | 'nqpOutlier' | 'balanced' | 'log' | 'winsorize' | 'citySample';
  detail: string;
  rowsBefore: number;
  rowsDropped: number;
  rowsAfter: number;
  /** cities that had rows before the rule and none after */
  citiesDropped: string[];
  /** values changed in place (log: set missing; winsorize: clamped) */
  valuesChanged?: number;
  /** for rules applied before the frame existed (firm filters when counting): what they removed there */
  upstream?: Record<string, number>;
}

export interface SampleColumns {
  city: string;
  year: string;
  nqp: string;
  /** 0/1 columns of firm-level frames */
  st: string;
  financial: string;
}

const DEFAULT_COLUMNS: SampleColumns = { city: 'city', year: 'year', nqp: 'NQP', st: 'st', financial: 'financial' };

export interface SampleResult {
  frame: DataFrame;
  report: RuleReport[];
  settings: SampleSettings;
}

function take(frame: DataFrame, keep: (i: number) => boolean): DataFrame {
  const idx: number[] = [];
  for (let i = 0; i < frame.nrows; i++) if (keep(i)) idx.push(i);
  const columns: Record<string, Column> = {};
  for (const [k, c] of Object.entries(frame.columns)) {
    columns[k] = c instanceof Float64Array ? Float64Array.from(idx, (i) => c[i]) : idx.map((i) => c[i]);
  }
  return { nrows: idx.length, columns };
}

function numeric(frame: DataFrame, name: string, field: string): Float64Array {
  const c = frame.columns[name];
  if (c === undefined) throw new DomainInputError(`${field}: unknown column '${name}' (columns: ${Object.keys(frame.columns).join(', ')})`, field);
  if (!(c instanceof Float64Array)) throw new DomainInputError(`${field}: column '${name}' is not numeric`, field);
  return c;
}

function keyOf(frame: DataFrame, name: string, field: string): (string | number | null)[] {
  const c = frame.columns[name];
  if (c === undefined) throw new DomainInputError(`${field}: the frame has no '${name}' column`, field);
  return c instanceof Float64Array ? Array.from(c, (v) => (Number.isNaN(v) ? null : v)) : c;
}

function citySet(frame: DataFrame, cols: SampleColumns): Set<string> {
  return new Set(keyOf(frame, cols.city, 'city').filter((v) => v !== null).map(String));
}

/**
 * Applies the rules in this order: years, dropChangedUnits (only when asked), dropStFirms, dropFinancialFirms, dropBrokenCities, dropMissing,
 * nqpOutlier, balanced, log, winsorize. Returns the new frame and one report entry per rule (also when it did nothing).
 */
export function applySample(
  input: DataFrame,
  spec?: SampleSpec,
  opts: { columns?: Partial<SampleColumns>; upstream?: Partial<Record<'dropStFirms' | 'dropFinancialFirms', Record<string, number>>> } = {},
): SampleResult {
  const s = parseSampleSpec(spec);
  const cols = { ...DEFAULT_COLUMNS, ...opts.columns };
  const report: RuleReport[] = [];
  let frame = input;
  const step = (rule: RuleReport['rule'], detail: string, next: DataFrame, extra: Partial<RuleReport> = {}) => {
    const before = citySet(frame, cols), after = citySet(next, cols);
    report.push({
      rule, detail, rowsBefore: frame.nrows, rowsDropped: frame.nrows - next.nrows, rowsAfter: next.nrows,
      citiesDropped: [...before].filter((c) => !after.has(c)).sort(), ...extra,
    });
    frame = next;
  };
  const years = () => numeric(frame, cols.year, 'sample.years');
  const present = (v: string) => frame.columns[v] !== undefined;
  // default key variables: the standard ones the frame has with at least one value (imported units may lack some)
  const keyVars = s.keyVars ?? STANDARD_VARS.filter((v) => present(v) && (frame.columns[v] as Float64Array).some(Number.isFinite));
  keyVars.forEach((v, i) => numeric(frame, v, `sample.keyVars.${i}`));

  // years
  const window: [number, number] = s.years ?? (() => {
    const y = years().filter(Number.isFinite);
    return y.length ? [Math.min(...y), Math.max(...y)] : [0, -1];
  })();
  {
    const y = years();
    step('years', `${window[0]}–${window[1]}`, take(frame, (i) => y[i] >= window[0] && y[i] <= window[1]));
  }

  if (s.dropChangedUnits) {
    const changed = unitsChangedWithin(window[0], window[1]);
    const city = keyOf(frame, cols.city, 'city');
    const which = [...changed].map(([code, cs]) => `${code} (${cs.map((c) => `${c.kind} ${c.year}`).join(', ')})`);
    step('dropChangedUnits', `units whose area changed in ${window[0] + 1}–${window[1]} (data/admin-changes.json)${which.length ? `: ${which.join('; ')}` : ': none'}`,
      take(frame, (i) => city[i] === null || !changed.has(String(city[i]))));
  }

  // firm-level filters
  for (const [rule, col] of [['dropStFirms', cols.st], ['dropFinancialFirms', cols.financial]] as const) {
    const on = s[rule];
    if (on && present(col)) {
      const flag = numeric(frame, col, `sample.${rule}`);
      step(rule, `rows with ${col} = 1 dropped`, take(frame, (i) => flag[i] !== 1));
    } else {
      const detail = !on ? 'off' : 'applied to firms before counting Q1..Q3 (see upstream)';
      step(rule, detail, frame, on && opts.upstream?.[rule] ? { upstream: opts.upstream[rule] } : {});
    }
  }

  // broken cities
  if (s.dropBrokenCities) {
    const city = keyOf(frame, cols.city, 'city'), y = years();
    const nYears = window[1] - window[0] + 1;
    const good = new Map<string, Set<number>>();
    for (let i = 0; i < frame.nrows; i++) {
      if (city[i] === null) continue;
      const c = String(city[i]);
      if (!good.has(c)) good.set(c, new Set());
      if (keyVars.every((v) => Number.isFinite((frame.columns[v] as Float64Array)[i]))) good.get(c)!.add(y[i]);
    }
    const broken = new Set([...good].filter(([, ys]) => nYears - ys.size > s.maxMissingYears).map(([c]) => c));
    step('dropBrokenCities', `cities with more than ${s.maxMissingYears} of ${nYears} years absent or missing a key variable (${keyVars.join(', ')})`,
      take(frame, (i) => city[i] !== null && !broken.has(String(city[i]))));
  } else step('dropBrokenCities', 'off', frame);

  if (s.dropMissing) {
    const kv = keyVars.map((v) => frame.columns[v] as Float64Array);
    step('dropMissing', `rows missing any of ${keyVars.join(', ')}`, take(frame, (i) => kv.every((c) => Number.isFinite(c[i]))));
  } else step('dropMissing', 'off', frame);

  if (s.nqpOutlierK !== null) {
    const nqp = numeric(frame, cols.nqp, 'sample.nqpOutlierK');
    let sum = 0, n = 0;
    for (const v of nqp) if (Number.isFinite(v)) { sum += v; n++; }
    const limit = s.nqpOutlierK * (sum / n);
    step('nqpOutlier', `${cols.nqp} > ${s.nqpOutlierK} × mean ${n ? (sum / n).toPrecision(6) : 'n/a'} = ${n ? limit.toPrecision(6) : 'n/a'}`,
      n ? take(frame, (i) => !(nqp[i] > limit)) : frame);
  } else step('nqpOutlier', 'off', frame);

  if (s.balanced) {
    const city = keyOf(frame, cols.city, 'city'), y = years();
    const seen = new Map<string, Set<number>>();
    for (let i = 0; i < frame.nrows; i++) if (city[i] !== null) (seen.get(String(city[i])) ?? seen.set(String(city[i]), new Set()).get(String(city[i]))!).add(y[i]);
    const nYears = window[1] - window[0] + 1;
    step('balanced', `cities observed in all ${nYears} years`, take(frame, (i) => city[i] !== null && seen.get(String(city[i]))!.size === nYears));
  } else step('balanced', 'off', frame);

  // log and winsorize change values, not rows: copy the touched columns
  if (s.log.length) {
    const columns = { ...frame.columns };
    let changed = 0;
    s.log.forEach((v, k) => {
      const c = numeric(frame, v, `sample.log.${k}`);
      columns[v] = c.map((x) => {
        if (Number.isFinite(x) && x <= 0) changed++;
        return Math.log(x > 0 ? x : NaN);
      });
    });
    step('log', `ln of ${s.log.join(', ')}; non-positive values set missing`, { nrows: frame.nrows, columns }, { valuesChanged: changed });
  } else step('log', 'off', frame);

  if (s.winsorize) {
    const w = s.winsorize;
    const vars = w.vars ?? keyVars;
    const columns = { ...frame.columns };
    let changed = 0;
    vars.forEach((v, k) => {
      const c = numeric(frame, v, `sample.winsorize.vars.${k}`);
      if (!c.some(Number.isFinite)) return;
      const out = winsorizeColumn(c, w.lower, w.upper);
      for (let i = 0; i < c.length; i++) if (out[i] !== c[i] && !Number.isNaN(c[i])) changed++;
      columns[v] = out;
    });
    step('winsorize', `${vars.join(', ')} at ${w.lower} / ${w.upper} pooled quantiles (R type 7)`, { nrows: frame.nrows, columns }, { valuesChanged: changed });
  } else step('winsorize', 'off', frame);

  return { frame, report, settings: s };
}
