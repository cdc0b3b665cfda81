// Building JSON in the database: nested fields of a GraphQL answer come back as one json value per parent row (one
// JSON.parse in the driver instead of a row object per child), and only the asked-for fields travel.
// Objects are rows of a subquery whose columns are named by the keys, rendered by to_json: about a third cheaper for
// the server than json_build_object, which works out each argument's type again on every call.
import { join, sql, type SqlFragment } from '../sql.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SQL_TEXT = /^[A-Za-z0-9_."(), ':/-]*$/;

/** Constant SQL text of this folder (column and alias names, never input) as a fragment. */
export function raw(text: string): SqlFragment {
  if (!SQL_TEXT.test(text)) throw new Error(`raw SQL text of unexpected shape: ${text}`);
  return sql([text]);
}

/** A column of a JSON object: its key and its SQL (constant text of this folder, or a fragment such as a subquery). */
export type JsonColumn = readonly [string, string | SqlFragment];

const quoted = (k: string) => { if (!NAME.test(k)) throw new Error(`bad JSON key ${k}`); return raw(`"${k}"`); };

function selectList(cols: readonly JsonColumn[]): SqlFragment {
  if (!cols.length) throw new Error('a JSON object needs a column');
  return join(cols.map(([k, v]) => sql`${typeof v === 'string' ? raw(v) : v} AS ${quoted(k)}`));
}

/**
 * A JSON array of objects, one per row of `from` (FROM ... WHERE ..., optionally with its own ORDER BY / LIMIT), in
 * the order of the keys `order` (every one a key of `cols`); `[]` when there is none. `d` numbers the alias.
 */
export function jsonList(d: number, cols: readonly JsonColumn[], from: SqlFragment, order: readonly string[]): SqlFragment {
  const t = raw(`t${d}`);
  const by = join(order.map((k) => sql`${t}.${quoted(k)}`));
  return sql`to_json(ARRAY(SELECT ${t} FROM (SELECT ${selectList(cols)} ${from}) ${t} ORDER BY ${by}))`;
}

/** One object as a record with named columns (a scalar subquery; to_json renders it, inside jsonList too). */
export function jsonRecord(d: number, cols: readonly JsonColumn[], from: SqlFragment = sql``): SqlFragment {
  const t = raw(`r${d}`);
  return sql`(SELECT ${t} FROM (SELECT ${selectList(cols)} ${from}) ${t})`;
}

/** `required` then the rest of `fields` (each known to `known`), without repeats. */
export function withFields(fields: readonly string[], required: readonly string[], known: Record<string, unknown>): string[] {
  const out = [...new Set([...required, ...fields])];
  for (const f of out) if (!(f in known)) throw new Error(`unknown field ${f}`);
  return out;
}
