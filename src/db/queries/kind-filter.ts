// A rule set's kinds as one SQL condition on firm_year y JOIN firm f: true for every firm-year that may meet some
// kind. It only narrows what is fetched for classification; the classification itself (src/domain/classify.ts) decides.
// It never drops a firm-year that classifies: each condition is its metric compared as classify.ts compares it (the
// same IEEE arithmetic), a missing value makes the comparison NULL (never true, as classify.ts's test() is false),
// and the whole is a plain OR of ANDs, so NULL never turns into true. Exclusions are left to classify.ts.
import { sql, type SqlFragment } from '../sql.js';
import type { Clause, Condition, Metric, RuleSet } from '../../domain/rules.js';

/** Each metric as SQL, as metricsOf() computes it (dates compared as dates, booleans as 0/1). */
function metricSql(m: Metric, rules: RuleSet): string {
  const founded = `extract(year FROM f.founded)::int`;
  switch (m) {
    case 'age': return rules.ageBasis === 'calendar'
      ? `(y.year - ${founded})`
      : `(y.year - ${founded} - CASE WHEN extract(month FROM f.founded) = 1 AND extract(day FROM f.founded) = 1 THEN 0 ELSE 1 END)`;
    case 'listed': return `(f.listed_on IS NOT NULL AND f.listed_on <= make_date(y.year, 12, 31))::int`;
    case 'strategicEmerging': return `f.strategic_emerging::int`;
    case 'techIntensive': return `f.tech_intensive::int`;
    case 'stFlag': return `f.st_flag::int`;
    case 'financial': return `f.financial::int`;
    case 'rndIntensity': return `(CASE WHEN y.revenue > 0 THEN y.rnd / y.revenue END)`;
    case 'revenueGrowth': return 'y.revenue_growth';
    case 'valuationUsd': return 'y.valuation_usd';
    case 'revenue': return 'y.revenue';
    case 'employees': return 'y.employees';
    case 'assets': return 'y.assets';
    case 'leverage': return 'y.leverage';
    case 'rnd': return 'y.rnd';
    case 'patents': return 'y.patents';
  }
}

const OP: Record<Condition['op'], string> = { '<': '<', '<=': '<=', '>': '>', '>=': '>=', '==': '=', '!=': '<>' };

function conditionSql(c: Condition, rules: RuleSet): string {
  const value = typeof c.value === 'boolean' ? (c.value ? 1 : 0) : c.value;
  if (!Number.isFinite(value)) return 'TRUE'; // cannot be written as an SQL literal: leave it to classify.ts
  // float8 on both sides: classify.ts compares JavaScript numbers (doubles)
  return `(${metricSql(c.metric, rules)})::float8 ${OP[c.op]} (${String(value)})::float8`;
}

function clauseSql(cl: Clause, rules: RuleSet): string {
  return 'any' in cl ? `(${cl.any.map((c) => conditionSql(c, rules)).join(' OR ')})` : conditionSql(cl, rules);
}

/** The firm-years (y, f) that may meet some kind of `rules`. */
export function mayQualifySql(rules: RuleSet): SqlFragment {
  const kinds = rules.precedence.map((k) => `(${rules.kinds[k].all.map((cl) => clauseSql(cl, rules)).join(' AND ')})`);
  return sql([`(${kinds.join(' OR ')})`]);
}
