// Firm kinds after a firm or firm-year import: when the stored classification was current before the import, only
// the affected firms are recomputed (and the classification marked current again); otherwise the lazy full pass
// (ensureClassified, at the next query that needs kinds) covers everything anyway.
import type { Db } from '../db/db.js';
import { dataVersion, firmYearFacts, insertFirmKinds, ruleVersions, stagedFirmYearFacts, stagedRowDiffers, type FirmKindRow, type FirmYearFactsRow } from '../db/queries/domain.js';
import { getMeta, setMeta } from '../db/queries/load.js';
import { sql, type SqlFragment } from '../db/sql.js';
import { classifyFirmYear, type Classification } from '../domain/classify.js';
import { classifiedVersionKey } from '../domain/kinds.js';
import { mayQualifySql } from '../db/queries/kind-filter.js';
import { DEFAULT_RULE_SET, parseRuleSet, type RuleSet } from '../domain/rules.js';

/** Whether firm_kind holds the default rule set's classification of the current data (call before writing). */
export async function classificationFresh(db: Db): Promise<boolean> {
  const version = DEFAULT_RULE_SET.version;
  const [meta, v, stored] = [await getMeta(db), await dataVersion(db), await ruleVersions(db)];
  return stored.some((s) => s.ruleVersion === version) && meta[classifiedVersionKey(version)] === String(v);
}

const kindRow = (c: Classification): FirmKindRow => ({ firmId: c.firmId, year: c.year, kind: c.kind!, qualified: c.qualified, reasons: c.reasons });
export const staleLine = (version: string) => `classification: stale before the import; recomputed in full at the next query that needs firm kinds (${version})`;

/** Marks the classification of `version` current again (the kinds of every firm-year the import did not touch did
 *  not depend on it) and says what was recomputed, for the report. */
export async function classifiedNow(tx: Db, version: string, what: string, classified: number): Promise<string> {
  await setMeta(tx, { [classifiedVersionKey(version)]: String(await dataVersion(tx)) });
  return `classification: ${what} (${version}), ${classified} classified`;
}

/** Recomputes the kinds of the firms `ids` (a query of one column of firm ids); returns a line for the report. */
export async function reclassifyFirms(tx: Db, ids: SqlFragment, fresh: boolean): Promise<string> {
  const rules = parseRuleSet(DEFAULT_RULE_SET);
  if (!fresh) return staleLine(rules.version);
  // the firms once, in a table the planner has statistics of: as a subquery its size is a guess (200 rows), which
  // turns the joins below into one index probe per firm, with a heap fetch per firm-year
  await tx.query(sql`DROP TABLE IF EXISTS import_reclassify_firm`);
  await tx.query(sql`CREATE TEMP TABLE import_reclassify_firm ON COMMIT DROP AS SELECT DISTINCT id FROM (${ids}) i(id)`);
  await tx.query(sql`ANALYZE import_reclassify_firm`);
  const firms = sql`SELECT id FROM import_reclassify_firm`;
  const [n] = await tx.query<{ firms: number; firm_years: number }>(sql`
    SELECT (SELECT count(*) FROM (${firms}) d)::int AS firms,
           (SELECT count(*) FROM firm_year WHERE firm_id IN (${firms}))::int AS firm_years`);
  // only the firm-years that may meet a kind are fetched and classified; the others get no firm_kind row anyway
  const facts = await firmYearFacts(tx, { firmsIn: firms, where: mayQualifySql(rules) });
  const rows = facts.map((f) => classifyFirmYear(f, rules)).filter((c) => c.kind);
  await tx.query(sql`DELETE FROM firm_kind WHERE rule_version = ${rules.version} AND firm_id IN (${firms})`);
  await insertFirmKinds(tx, rules.version, rows.map(kindRow));
  return classifiedNow(tx, rules.version, `${n.firm_years} firm-years of ${n.firms} firms recomputed`, rows.length);
}

/**
 * Runs `write` (the upsert of a firm-year stage into firm_year) and keeps the kinds current: a firm-year's kind
 * depends only on its own figures and its firm's attributes, so only the staged rows that are new or changed are
 * classified. Their facts are read from the stage before the write, and classified here while the database writes
 * (the classification yields between chunks so the write's statements go on); the kinds of changed rows are dropped
 * first (the comparison needs the stored figures), the new kinds stored after. `n`: the new and changed rows and
 * their firms, for the report line.
 */
export async function writeAndReclassify(tx: Db, stage: SqlFragment, values: readonly string[], fresh: boolean,
  write: () => Promise<void>, n: { firmYears: number; firms: number; changed: boolean; allNew: boolean }): Promise<string> {
  const rules = parseRuleSet(DEFAULT_RULE_SET);
  if (!fresh) { await write(); return staleLine(rules.version); }
  const facts = await stagedFirmYearFacts(tx, stage, values, mayQualifySql(rules), n.allNew);
  if (n.changed) {
    await tx.query(sql`
      DELETE FROM firm_kind k USING ${stage} y, firm_year o
      WHERE k.rule_version = ${rules.version} AND k.firm_id = y.firm_id AND k.year = y.year
        AND o.firm_id = y.firm_id AND o.year = y.year AND ${stagedRowDiffers(values)}`);
  }
  const writing = write();
  writing.catch(() => undefined); // awaited below, after the classification
  const rows = await classifyYielding(facts, rules);
  await writing;
  await insertFirmKinds(tx, rules.version, rows);
  return classifiedNow(tx, rules.version, `${n.firmYears} firm-years of ${n.firms} firms recomputed`, rows.length);
}

/** The kinds of `facts` (those that meet one), classified a chunk at a time so that statements sent meanwhile on the
 *  same connection (a write running beside the classification) go on. */
export async function classifyYielding(facts: readonly FirmYearFactsRow[], rules: RuleSet): Promise<FirmKindRow[]> {
  const rows: FirmKindRow[] = [];
  for (let i = 0; i < facts.length; i += CLASSIFY_CHUNK) {
    for (let j = i; j < Math.min(facts.length, i + CLASSIFY_CHUNK); j++) {
      const c = classifyFirmYear(facts[j], rules);
      if (c.kind) rows.push(kindRow(c));
    }
    await new Promise((r) => setImmediate(r));
  }
  return rows;
}

/** Firm-years classified between two turns of the event loop: the write sends its next statement on those turns
 *  (a few small ones before the long insert), so a turn must come often. */
const CLASSIFY_CHUNK = 250;
