// What the value searches (cities, firms) share: comparisons of a value against a bound number, and keyset pagination
// over sort keys that put nulls last, then a unique tie-breaker column.
import { join, sql, type SqlFragment } from '../sql.js';

/** Constant SQL text of this folder (operators, aliases, directions) — never input. */
export const sqlText = (t: string) => sql([t] as unknown as TemplateStringsArray);

export type ValueOp = 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'isNull';
const OPS: Record<Exclude<ValueOp, 'isNull'>, SqlFragment> = { gt: sqlText('>'), gte: sqlText('>='), lt: sqlText('<'), lte: sqlText('<='), eq: sqlText('=') };

/** `expr op value` (`isNull`: value true → IS NULL, false → IS NOT NULL). */
export function compareValue(expr: SqlFragment, op: ValueOp, value: number | boolean): SqlFragment {
  if (op === 'isNull') return value ? sql`${expr} IS NULL` : sql`${expr} IS NOT NULL`;
  return sql`${expr} ${OPS[op]} ${value as number}::float8`;
}

export type KeyValue = number | string | null;
export interface SortKey { col: SqlFragment; desc: boolean; type?: 'float8' | 'text' | 'int' }

const bound = (v: Exclude<KeyValue, null>, type: SortKey['type']) => (type === 'text' ? sql`${v}::text` : type === 'int' ? sql`${v}::int` : sql`${v}::float8`);

/**
 * Rows strictly after the position (`values` of the keys, then `tie`) in the order keys (nulls last) then `tieCol`
 * ascending: a lexicographic OR over the keys. After a null only other nulls follow (handled by the equalities).
 */
export function keysetAfter(keys: readonly SortKey[], values: readonly KeyValue[], tieCol: SqlFragment, tie: SqlFragment): SqlFragment {
  const terms: SqlFragment[] = [];
  const equal: SqlFragment[] = [];
  keys.forEach((k, i) => {
    const v = values[i];
    if (v !== null) terms.push(sql`(${join([...equal, sql`(${k.col} IS NULL OR ${k.col} ${k.desc ? OPS.lt : OPS.gt} ${bound(v, k.type)})`], sql` AND `)})`);
    equal.push(v === null ? sql`${k.col} IS NULL` : sql`${k.col} = ${bound(v, k.type)}`);
  });
  terms.push(sql`(${join([...equal, sql`${tieCol} > ${tie}`], sql` AND `)})`);
  return sql`(${join(terms, sql` OR `)})`;
}

/** ORDER BY list of the same order: each key nulls last, then `tieCol`. */
export const orderAfter = (keys: readonly SortKey[], tieCol: SqlFragment): SqlFragment =>
  join([...keys.map((k) => sql`(${k.col} IS NULL), ${k.col} ${sqlText(k.desc ? 'DESC' : 'ASC')}`), tieCol], sql`, `);
