// City-year counts Q1..Q3 and co-agglomeration measures from the store, cached per data version and options.
// The data version is bumped by triggers on every change to firms, firm-years, city-years or classifications, so a
// cached value is never served for data it was not computed from; stale classifications are recomputed first.
import { z } from 'zod';
import type { Db } from '../db/db.js';
import { cityYearCounts, dataVersion, readAgglomerationCache, writeAgglomerationCache, type CachedMeasureRow } from '../db/queries/domain.js';
import { cityMeasures, parseRtaOptions, RtaOptionsSchema, type CityYearMeasures, type RtaSettings } from './agglomeration.js';
import { parseOptions } from './errors.js';
import { ensureClassified } from './kinds.js';
import { DEFAULT_RULE_SET, parseRuleSet, type RuleSet } from './rules.js';

export const AgglomerationOptionsSchema = z.object({
  /** the paper's sample rules on firms (defaults: both dropped) */
  dropStFirms: z.boolean().default(true),
  dropFinancialFirms: z.boolean().default(true),
  rta: RtaOptionsSchema.default(RtaOptionsSchema.parse({})),
}).strict();
export type AgglomerationOptions = z.input<typeof AgglomerationOptionsSchema> & { ruleSet?: RuleSet };

export interface AgglomerationResult {
  rows: CityYearMeasures[];
  dataVersion: number;
  ruleVersion: string;
  /** served from agglomeration_cache */
  cached: boolean;
  settings: { dropStFirms: boolean; dropFinancialFirms: boolean; rta: RtaSettings };
}

/** Canonical JSON (sorted keys) of what the measures depend on besides the data. */
function optionsKey(ruleVersion: string, s: AgglomerationResult['settings']): string {
  const sort = (o: unknown): unknown =>
    o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sort(v)])) : o;
  return JSON.stringify(sort({ ruleVersion, ...s }));
}

/** Q1..Q3, RTA and the alternative measures for every city-year of the store. */
export async function cityAgglomeration(db: Db, options: AgglomerationOptions = {}): Promise<AgglomerationResult> {
  const { ruleSet, ...rest } = options;
  const rules = parseRuleSet(ruleSet ?? DEFAULT_RULE_SET);
  const o = parseOptions(AgglomerationOptionsSchema, rest, 'agglomeration');
  const settings = { dropStFirms: o.dropStFirms, dropFinancialFirms: o.dropFinancialFirms, rta: parseRtaOptions(o.rta) };
  await ensureClassified(db, rules);
  const version = await dataVersion(db);
  const key = optionsKey(rules.version, settings);
  const hit = await readAgglomerationCache(db, version, key);
  if (hit.length) return { rows: hit.map(fromCache), dataVersion: version, ruleVersion: rules.version, cached: true, settings };
  const counts = await cityYearCounts(db, { ruleVersion: rules.version, dropStFirms: o.dropStFirms, dropFinancialFirms: o.dropFinancialFirms });
  const rows = cityMeasures(counts, settings.rta);
  if (rows.length) await writeAgglomerationCache(db, version, key, rows);
  return { rows, dataVersion: version, ruleVersion: rules.version, cached: false, settings };
}

function fromCache(r: CachedMeasureRow): CityYearMeasures {
  return { ...r };
}
