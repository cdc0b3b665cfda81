// Firm kinds after a firm or firm-year import: when the stored classification was current before the import, only
// the affected firms are recomputed (and the classification marked current again); otherwise the lazy full pass
// (ensureClassified, at the next query that needs kinds) covers everything anyway.
import type { Db } from '../db/db.js';
import { dataVersion, firmYearFacts, ruleVersions } from '../db/queries/domain.js';
import { getMeta, setMeta } from '../db/queries/load.js';
import { sql, type SqlFragment } from '../db/sql.js';
import { classifyFirmYear } from '../domain/classify.js';
import { classifiedVersionKey } from '../domain/kinds.js';
import { mayQualifySql } from '../db/queries/kind-filter.js';
import { DEFAULT_RULE_SET, parseRuleSet } from '../domain/rules.js';

/** Whether firm_kind holds the default rule set's classification of the current data (call before writing). */
export async function classificationFresh(db: Db): Promise<boolean> {
  const version = DEFAULT_RULE_SET.version;
  const [meta, v, stored] = [await getMeta(db), await dataVersion(db), await ruleVersions(db)];
  return stored.some((s) => s.ruleVersion === version) && meta[classifiedVersionKey(version)] === String(v);
}

/** Recomputes the kinds of the firms `ids` (a query of one column of firm ids); returns a line for the report. */
export async function reclassifyFirms(tx: Db, ids: SqlFragment, fresh: boolean): Promise<string> {
  const rules = parseRuleSet(DEFAULT_RULE_SET);
  if (!fresh) return `classification: stale before the import; recomputed in full at the next query that needs firm kinds (${rules.version})`;
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
  for (let i = 0; i < rows.length; i += 20_000) {
    const p = rows.slice(i, i + 20_000);
    await tx.query(sql`
      INSERT INTO firm_kind (rule_version, firm_id, year, kind, qualified, reasons)
      SELECT ${rules.version}, t.firm_id, t.year, t.kind, ARRAY(SELECT jsonb_array_elements_text(t.qualified::jsonb)), t.reasons::jsonb
      FROM unnest(${p.map((r) => r.firmId)}::int[], ${p.map((r) => r.year)}::int[], ${p.map((r) => r.kind)}::text[],
                  ${p.map((r) => JSON.stringify(r.qualified))}::text[], ${p.map((r) => JSON.stringify(r.reasons))}::text[])
           AS t(firm_id, year, kind, qualified, reasons)`);
  }
  // current again: the kinds of every other firm did not depend on this import
  await setMeta(tx, { [classifiedVersionKey(rules.version)]: String(await dataVersion(tx)) });
  return `classification: ${n.firm_years} firm-years of ${n.firms} firms recomputed (${rules.version}), ${rows.length} classified`;
}
