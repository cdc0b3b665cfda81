// Building JSON in the database: nested fields of a GraphQL answer come back as one json value per parent row (one
// JSON.parse in the driver instead of a row object per child), and only the asked-for fields travel.
import { sql, type SqlFragment } from '../sql.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SQL_TEXT = /^[A-Za-z0-9_."(), ':/-]*$/;

/** Constant SQL text of this folder (column and alias names, never input) as a fragment. */
export function raw(text: string): SqlFragment {
  if (!SQL_TEXT.test(text)) throw new Error(`raw SQL text of unexpected shape: ${text}`);
  return sql([text]);
}

/**
 * json_build_object('key', <sql>, ...) of constant keys and expressions; `nested` adds subquery values.
 * PostgreSQL allows 100 arguments, so at most 50 keys.
 */
export function jsonObject(pairs: readonly (readonly [string, string])[], nested: readonly (readonly [string, SqlFragment])[] = []): SqlFragment {
  if (pairs.length + nested.length > 50) throw new Error('json_build_object takes at most 50 keys');
  const parts: SqlFragment[] = [];
  for (const [k, v] of pairs) {
    if (!NAME.test(k)) throw new Error(`bad JSON key ${k}`);
    parts.push(raw(`'${k}', ${v}`));
  }
  for (const [k, v] of nested) {
    if (!NAME.test(k)) throw new Error(`bad JSON key ${k}`);
    parts.push(sql`${raw(`'${k}'`)}, ${v}`);
  }
  let out = sql`json_build_object(`;
  parts.forEach((p, i) => { out = i ? sql`${out}, ${p}` : sql`${out}${p}`; });
  return sql`${out})`;
}

/** `required` then the rest of `fields` (each known to `known`), without repeats. */
export function withFields(fields: readonly string[], required: readonly string[], known: Record<string, unknown>): string[] {
  const out = [...new Set([...required, ...fields])];
  for (const f of out) if (!(f in known)) throw new Error(`unknown field ${f}`);
  return out;
}
