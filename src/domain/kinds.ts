// Classifying the stored firm-years under a rule set (persisted in firm_kind, one transaction) and answering
// "why was firm X a gazelle in 2015?" (stored reasons) and "why not?" (every kind's conditions, recomputed).
import type { Db } from '../db/db.js';
import {
  dataVersion, firmYearFacts, kindAgreement, ruleVersions, kindChangers, replaceFirmKinds, storedFirmKinds, type FirmKindRow, type FirmYearFactsRow, type StoredKindRow,
} from '../db/queries/domain.js';
import { getMeta, setMeta } from '../db/queries/load.js';
import { checkKinds, classifyFirmYear, metricsOf, type Classification, type KindCheck, type MetricValues } from './classify.js';
import { DomainInputError } from './errors.js';
import { DEFAULT_RULE_SET, parseRuleSet, type Kind, type RuleSet } from './rules.js';

/** dataset_meta key holding the data version a rule version's stored kinds were computed from. */
export const classifiedVersionKey = (ruleVersion: string) => `firm_kind_data_version:${ruleVersion}`;

/**
 * Makes sure firm_kind holds a classification of the current data under `ruleSet`: classifies when that version has
 * never been stored, or when data changed since it was. Returns true when it classified.
 */
export async function ensureClassified(db: Db, ruleSet: RuleSet = DEFAULT_RULE_SET): Promise<boolean> {
  const rules = parseRuleSet(ruleSet);
  const [meta, v, stored] = [await getMeta(db), await dataVersion(db), await ruleVersions(db)];
  if (stored.some((s) => s.ruleVersion === rules.version) && meta[classifiedVersionKey(rules.version)] === String(v)) return false;
  await classifyAll(db, rules);
  return true;
}

export interface ClassifySummary {
  ruleVersion: string;
  firmYears: number;
  counts: Record<Kind | 'none', number>;
  /** firm-years that met more than one kind (precedence decided) */
  multiQualified: number;
}

/**
 * Recomputes the classification of every firm-year under `ruleSet` and replaces that version's rows of firm_kind,
 * all in one transaction (the data version is bumped by the table's trigger, invalidating cached indices).
 */
export async function classifyAll(db: Db, ruleSet: RuleSet = DEFAULT_RULE_SET): Promise<ClassifySummary> {
  const rules = parseRuleSet(ruleSet);
  return db.transaction(async (tx) => {
    const facts = await firmYearFacts(tx);
    const counts: ClassifySummary['counts'] = { fledgling: 0, gazelle: 0, unicorn: 0, none: 0 };
    let multi = 0;
    const rows: FirmKindRow[] = [];
    for (const f of facts) {
      const c = classifyFirmYear(f, rules);
      counts[c.kind ?? 'none']++;
      if (c.qualified.length > 1) multi++;
      if (c.kind) rows.push({ firmId: c.firmId, year: c.year, kind: c.kind, qualified: c.qualified, reasons: c.reasons });
    }
    await replaceFirmKinds(tx, rules.version, rows);
    // the data version these kinds were computed from (after the trigger's bump): lets readers detect staleness
    await setMeta(tx, { [classifiedVersionKey(rules.version)]: String(await dataVersion(tx)) });
    return { ruleVersion: rules.version, firmYears: facts.length, counts, multiQualified: multi };
  });
}

/** Classifies without storing (e.g. to compare a candidate rule set with intended_kind or with a stored version). */
export async function classifyPreview(db: Db, ruleSet: RuleSet = DEFAULT_RULE_SET, f: { firmIds?: number[]; year?: number } = {}): Promise<(Classification & { intendedKind: string | null })[]> {
  const rules = parseRuleSet(ruleSet);
  const facts = await firmYearFacts(db, f);
  return facts.map((x) => ({ ...classifyFirmYear(x, rules), intendedKind: x.intendedKind }));
}

/** Stored classifications of some firms (all years) under a rule version. */
export async function firmKinds(db: Db, firmIds: number[], ruleVersion = DEFAULT_RULE_SET.version): Promise<StoredKindRow[]> {
  return storedFirmKinds(db, { ruleVersion, firmIds });
}

export interface Explanation {
  firmId: number;
  year: number;
  ruleVersion: string;
  kind: Kind | null;
  /** the stored classification of that version, if classifyAll has run (null when absent or unclassified) */
  stored: StoredKindRow | null;
  metrics: MetricValues;
  precedence: Kind[];
  /** every kind, in precedence order: met or not, with the conditions met and failed */
  checks: KindCheck[];
}

/** Why firm X was (or was not) of each kind in a year, from that year's figures under `ruleSet`. */
export async function explainFirmYear(db: Db, firmId: number, year: number, ruleSet: RuleSet = DEFAULT_RULE_SET): Promise<Explanation> {
  const rules = parseRuleSet(ruleSet);
  const [facts] = await firmYearFacts(db, { firmIds: [firmId], year });
  if (!facts) throw new DomainInputError(`firm ${firmId} has no firm-year ${year}`, 'firmId');
  const [stored] = await storedFirmKinds(db, { ruleVersion: rules.version, firmIds: [firmId], year });
  return explainFacts(facts, rules, stored ?? null);
}

export function explainFacts(facts: FirmYearFactsRow, rules: RuleSet, stored: StoredKindRow | null = null): Explanation {
  const checks = checkKinds(facts, rules);
  return {
    firmId: facts.firmId, year: facts.year, ruleVersion: rules.version, kind: checks.find((c) => c.met)?.kind ?? null,
    stored, metrics: metricsOf(facts, rules), precedence: [...rules.precedence], checks,
  };
}

/** Stored kinds of a rule version against firm_year.intended_kind: counts and the first mismatches. */
export async function compareWithIntended(db: Db, ruleVersion = DEFAULT_RULE_SET.version, sampleSize = 20) {
  return kindAgreement(db, ruleVersion, sampleSize);
}

/** How many firms change kind over their lives under a rule version (and one example). */
export async function firmsChangingKind(db: Db, ruleVersion = DEFAULT_RULE_SET.version) {
  return kindChangers(db, ruleVersion);
}
