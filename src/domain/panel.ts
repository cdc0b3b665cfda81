// Panel assembly: the city-year panel of the paper (NQP, RTA and alternatives, Q1..Q3, controls, mediators) and the
// firm-year panel of equation (1), as estimation DataFrames, with the sample report and the versions they came from.
import { z } from 'zod';
import type { Db } from '../db/db.js';
import { cityYearRaw, droppedFirmCounts, firmPanelRaw } from '../db/queries/domain.js';
import { namedVariableColumns, namedVariables } from '../composites/values.js';
import { winsorize as winsorizeColumn } from '../estimation/describe.js';
import { frameFromColumns, type DataFrame } from '../estimation/frame.js';
import type { RtaOptions } from './agglomeration.js';
import { metricsOf } from './classify.js';
import { cityAgglomeration, type AgglomerationResult } from './coagglomeration.js';
import { DomainInputError, parseOptions } from './errors.js';
import { nqpScores, type NqpOptions, type NqpWeights } from './nqp.js';
import { DEFAULT_RULE_SET, parseRuleSet, type RuleSet } from './rules.js';
import { applySample, parseSampleSpec, type RuleReport, type SampleSettings, type SampleSpec } from './sample.js';

/** Columns of cityPanel, in order (documented in docs/domain.md). */
export const CITY_PANEL_COLUMNS = [
  'city', 'year', 'province', 'region', 'NQP', 'RTA', 'RTA_entropy', 'RTA_invhhi', 'RTA_eg', 'Q1', 'Q2', 'Q3', 'Nfirms',
  'Popsiz', 'Urbrate', 'Fispress', 'Indstru', 'Eduexp', 'Findev', 'DFU', 'RID', 'PC',
] as const;

export interface PanelOptions {
  /** classification rule set (default data/rules/firm-kinds-v1.json) */
  ruleSet?: RuleSet;
  rta?: RtaOptions;
  /** NQP composite options; its years are the sample's */
  nqp?: Omit<NqpOptions, 'years'>;
  sample?: SampleSpec;
}

export interface PanelMeta {
  dataVersion: number;
  ruleVersion: string;
  agglomeration: AgglomerationResult['settings'];
  nqpWeights: NqpWeights[];
  sample: SampleSettings;
}

/** A DataFrame (usable as is by the estimators) that also carries the sample report and its provenance. */
export type Panel = DataFrame & { report: RuleReport[]; meta: PanelMeta };

function checkPanelOptions(o: PanelOptions): void {
  const known = new Set(['ruleSet', 'rta', 'nqp', 'sample']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new DomainInputError(`panel: unknown option '${k}'`, k);
  if (o.nqp && 'years' in o.nqp) throw new DomainInputError('nqp.years: the NQP years are the sample years (sample.years)', 'nqp.years');
}

interface CityStage { frame: DataFrame; upstream: Record<'dropStFirms' | 'dropFinancialFirms', Record<string, number>>; meta: Omit<PanelMeta, 'sample'> }

async function cityStage(db: Db, o: PanelOptions, s: SampleSettings): Promise<CityStage> {
  const rules = parseRuleSet(o.ruleSet ?? DEFAULT_RULE_SET);
  const agg = await cityAgglomeration(db, { ruleSet: rules, dropStFirms: s.dropStFirms, dropFinancialFirms: s.dropFinancialFirms, rta: o.rta });
  const nqp = await nqpScores(db, { ...o.nqp, years: s.years });
  const raw = await cityYearRaw(db, s.years);
  const key = (c: string, y: number) => `${c}|${y}`;
  const m = new Map(agg.rows.map((r) => [key(r.cityCode, r.year), r]));
  const q = new Map(nqp.rows.map((r) => [key(r.cityCode, r.year), r.nqp]));
  const a = raw.map((r) => m.get(key(r.cityCode, r.year)));
  const num = (f: (i: number) => number | null | undefined) => Float64Array.from(raw, (_, i) => f(i) ?? NaN);
  const frame = frameFromColumns({
    city: raw.map((r) => r.cityCode),
    year: num((i) => raw[i].year),
    province: raw.map((r) => r.province),
    region: raw.map((r) => r.region),
    NQP: num((i) => q.get(key(raw[i].cityCode, raw[i].year))),
    RTA: num((i) => a[i]?.rta),
    RTA_entropy: num((i) => a[i]?.entropy),
    RTA_invhhi: num((i) => a[i]?.invHhi),
    RTA_eg: num((i) => a[i]?.eg),
    Q1: num((i) => a[i]?.q1),
    Q2: num((i) => a[i]?.q2),
    Q3: num((i) => a[i]?.q3),
    Nfirms: num((i) => a[i]?.nFirms),
    // NULL metrics are missing (NaN), as are logs and ratios they enter
    Popsiz: num((i) => { const p = raw[i].population; return p !== null && p > 0 ? Math.log(p) : NaN; }),
    Urbrate: num((i) => raw[i].urbanShare),
    Fispress: num((i) => { const { fiscalSpending: s, fiscalRevenue: r } = raw[i]; return s !== null && r !== null && r > 0 ? s / r : NaN; }),
    Indstru: num((i) => raw[i].tertiaryShare),
    Eduexp: num((i) => raw[i].educationShare),
    Findev: num((i) => { const { loans: l, gdp: g } = raw[i]; return l !== null && g !== null && g > 0 ? l / g : NaN; }),
    DFU: num((i) => raw[i].dfu),
    RID: num((i) => raw[i].rid),
    PC: num((i) => raw[i].pc),
  });
  // the named variables (imported, NQP indicators, composites other than NQP), by name; missing unit-years stay NaN.
  // A composite that cannot be computed on the current data is left out (the panel's other columns still serve).
  const names = (await namedVariables(db)).filter((v) => v.kind === 'stored' || v.count > 0).map((v) => v.name).filter((n) => !(n in frame.columns));
  if (names.length) {
    const row = new Map(raw.map((r, i) => [key(r.cityCode, r.year), i]));
    for (const c of await namedVariableColumns(db, names)) {
      const col = new Float64Array(raw.length).fill(NaN);
      for (let k = 0; k < c.codes.length; k++) {
        const i = row.get(key(c.codes[k], c.years[k]));
        const v = c.values[k];
        if (i !== undefined && v !== null) col[i] = Number(v);
      }
      frame.columns[c.name] = col;
    }
  }
  const d = await droppedFirmCounts(db);
  return {
    frame,
    upstream: { dropStFirms: { firms: d.stFirms, firmYears: d.stFirmYears }, dropFinancialFirms: { firms: d.finFirms, firmYears: d.finFirmYears } },
    meta: { dataVersion: agg.dataVersion, ruleVersion: agg.ruleVersion, agglomeration: agg.settings, nqpWeights: nqp.weights },
  };
}

/**
 * The city-year panel: every city-year of the store, then the sample rules (report in `.report`).
 * Popsiz = ln population; Fispress = fiscal spending / revenue; Findev = loans / GDP (see docs/domain.md).
 */
export async function cityPanel(db: Db, options: PanelOptions = {}): Promise<Panel> {
  checkPanelOptions(options);
  const s = parseSampleSpec(options.sample);
  const st = await cityStage(db, options, s);
  const r = applySample(st.frame, s, { upstream: st.upstream });
  return Object.assign(r.frame, { report: r.report, meta: { ...st.meta, sample: r.settings } });
}

export const FirmPanelOptionsSchema = z.object({
  /** ln of these firm variables (non-positive → missing) */
  log: z.array(z.enum(['revenue', 'employees', 'assets', 'rnd', 'patents', 'valuation'])).default([]),
  /** winsorise firm variables at pooled quantiles; null = off */
  winsorize: z.object({
    vars: z.array(z.string()).min(1),
    lower: z.number().min(0).max(1).default(0.05),
    upper: z.number().min(0).max(1).default(0.95),
  }).strict().nullable().default(null),
}).strict();

/** City-year columns carried onto each firm-year of the firm panel. */
const CITY_COLUMNS_ON_FIRMS = ['NQP', 'RTA', 'RTA_entropy', 'RTA_invhhi', 'RTA_eg', 'Q1', 'Q2', 'Q3', 'Popsiz', 'Urbrate', 'Fispress', 'Indstru', 'Eduexp', 'Findev', 'DFU', 'RID', 'PC'];

/**
 * Firm-year panel for equation (1): firm i in city j, industry k, year t, with the firm's figures and the city-year
 * variables of its city (after the city sample rules: firm-years of city-years outside the city sample are left out).
 */
export async function firmPanel(db: Db, options: PanelOptions & { firm?: z.input<typeof FirmPanelOptionsSchema> } = {}): Promise<Panel> {
  const { firm: firmOpts, ...rest } = options;
  checkPanelOptions(rest);
  const fo = parseOptions(FirmPanelOptionsSchema, firmOpts ?? {}, 'firm');
  const city = await cityPanel(db, rest);
  const s = city.meta.sample;
  const rules = parseRuleSet(rest.ruleSet ?? DEFAULT_RULE_SET);
  const raw = await firmPanelRaw(db, { ruleVersion: rules.version, dropStFirms: s.dropStFirms, dropFinancialFirms: s.dropFinancialFirms, years: s.years });
  const cityCodes = city.columns.city as (string | null)[];
  const cityYears = city.columns.year as Float64Array;
  const row = new Map<string, number>();
  for (let i = 0; i < city.nrows; i++) row.set(`${cityCodes[i]}|${cityYears[i]}`, i);
  const kept = raw.filter((r) => row.has(`${r.cityCode}|${r.year}`));
  const at = kept.map((r) => row.get(`${r.cityCode}|${r.year}`)!);
  const num = (f: (i: number) => number | null | undefined) => Float64Array.from(kept, (_, i) => f(i) ?? NaN);
  const cols: Record<string, Float64Array | (string | null)[]> = {
    firm: kept.map((r) => String(r.firmId)),
    city: kept.map((r) => r.cityCode),
    industry: kept.map((r) => r.industry),
    year: num((i) => kept[i].year),
    kind: kept.map((r) => r.kind),
    age: num((i) => metricsOf({ ...kept[i], firmId: kept[i].firmId }, rules).age as number),
    listed: num((i) => (kept[i].listedOn !== null && kept[i].listedOn! <= `${kept[i].year}-12-31` ? 1 : 0)),
    st: num((i) => (kept[i].stFlag ? 1 : 0)),
    financial: num((i) => (kept[i].financial ? 1 : 0)),
    techIntensive: num((i) => (kept[i].techIntensive ? 1 : 0)),
    strategicEmerging: num((i) => (kept[i].strategicEmerging ? 1 : 0)),
    fledgling: num((i) => (kept[i].kind === 'fledgling' ? 1 : 0)),
    gazelle: num((i) => (kept[i].kind === 'gazelle' ? 1 : 0)),
    unicorn: num((i) => (kept[i].kind === 'unicorn' ? 1 : 0)),
    revenue: num((i) => kept[i].revenue),
    employees: num((i) => kept[i].employees),
    assets: num((i) => kept[i].assets),
    leverage: num((i) => kept[i].leverage),
    rnd: num((i) => kept[i].rnd),
    rndIntensity: num((i) => (kept[i].revenue > 0 ? kept[i].rnd / kept[i].revenue : NaN)),
    patents: num((i) => kept[i].patents),
    valuation: num((i) => kept[i].valuationUsd),
    revenueGrowth: num((i) => kept[i].revenueGrowth),
  };
  // the standard city columns and the analyst's imported variables
  const imported = Object.keys(city.columns).filter((c) => !(CITY_PANEL_COLUMNS as readonly string[]).includes(c));
  for (const c of [...CITY_COLUMNS_ON_FIRMS, ...imported]) {
    const src = city.columns[c] as Float64Array;
    cols[c] = Float64Array.from(at, (j) => src[j]);
  }
  const report: RuleReport[] = [...city.report];
  report.push({
    rule: 'citySample', detail: 'firm-years of city-years outside the city sample left out', rowsBefore: raw.length,
    rowsDropped: raw.length - kept.length, rowsAfter: kept.length, citiesDropped: [],
  });
  let changed = 0;
  for (const v of fo.log) {
    const c = cols[v] as Float64Array;
    cols[v] = c.map((x) => { if (x <= 0) changed++; return Math.log(x > 0 ? x : NaN); });
  }
  if (fo.log.length) report.push({ rule: 'log', detail: `ln of firm ${fo.log.join(', ')}`, rowsBefore: kept.length, rowsDropped: 0, rowsAfter: kept.length, citiesDropped: [], valuesChanged: changed });
  if (fo.winsorize) {
    const w = fo.winsorize;
    if (!(w.lower < w.upper)) throw new DomainInputError('firm.winsorize.lower must be below upper', 'firm.winsorize.lower');
    let ch = 0;
    w.vars.forEach((v, k) => {
      const c = cols[v];
      if (!(c instanceof Float64Array)) throw new DomainInputError(`firm.winsorize.vars.${k}: '${v}' is not a numeric firm-panel column`, `firm.winsorize.vars.${k}`);
      const out = winsorizeColumn(c, w.lower, w.upper);
      for (let i = 0; i < c.length; i++) if (out[i] !== c[i] && !Number.isNaN(c[i])) ch++;
      cols[v] = out;
    });
    report.push({ rule: 'winsorize', detail: `firm ${w.vars.join(', ')} at ${w.lower} / ${w.upper}`, rowsBefore: kept.length, rowsDropped: 0, rowsAfter: kept.length, citiesDropped: [], valuesChanged: ch });
  }
  return Object.assign({ nrows: kept.length, columns: cols } as DataFrame, { report, meta: city.meta });
}
