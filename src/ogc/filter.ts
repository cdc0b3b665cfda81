// Compiles a parsed CQL2 filter (src/ogc/cql2.ts) and ?property=value filters to a parameterised SQL condition over
// the base row set of a page statement: properties become the columns p<i> (names chosen here), literals become
// parameters. Type errors (a number compared with a string, LIKE on a number, an unknown property) are user errors.
import { join, sql, type SqlFragment } from '../db/sql.js';
import type { Prop, PropType } from './collections.js';
import { geomWkt, type Expr, type Scalar } from './cql2.js';

export class FilterError extends Error {}

/** Column of the base row set holding property i (an identifier made here, never from input). */
export const col = (i: number): SqlFragment => sql([`b.p${i}`]);
export const GEOM_COL = sql`b.geom`;
/** Name of the geometry queryable (CQL2 spatial functions take it as first argument). */
export const GEOMETRY_PROPERTY = 'geometry';

export interface PropIndex { byName: Map<string, { prop: Prop; index: number }>; names: string[] }

export function propIndex(props: readonly Prop[]): PropIndex {
  const byName = new Map<string, { prop: Prop; index: number }>();
  props.forEach((prop, index) => { if (prop.queryable) byName.set(prop.name, { prop, index }); });
  return { byName, names: [...byName.keys()] };
}

type Family = 'string' | 'number' | 'boolean' | 'date';
const family = (t: PropType): Family => (t === 'integer' ? 'number' : t);

interface Operand { sql: SqlFragment; family: Family; literal?: Scalar }

function lookup(ix: PropIndex, name: string) {
  const hit = ix.byName.get(name);
  if (hit) return hit;
  if (name === 'year') throw new FilterError('"year" is chosen with the datetime parameter, not filtered on');
  if (name === GEOMETRY_PROPERTY) throw new FilterError(`"${GEOMETRY_PROPERTY}" can only be used in S_INTERSECTS / S_DISJOINT / S_WITHIN / S_CONTAINS`);
  throw new FilterError(`unknown property "${name}"; queryables: ${ix.names.join(', ')}`);
}

function operand(ix: PropIndex, s: Scalar): Operand {
  switch (s.k) {
    case 'prop': {
      const { prop, index } = lookup(ix, s.name);
      // date properties are ISO text (YYYY-MM-DD); compare them as dates
      return { sql: prop.type === 'date' ? sql`${col(index)}::date` : col(index), family: family(prop.type) };
    }
    case 'str': return { sql: sql`${s.v}::text`, family: 'string', literal: s };
    case 'num': return { sql: sql`${s.v}::float8`, family: 'number', literal: s };
    case 'bool': return { sql: sql`${s.v}::bool`, family: 'boolean', literal: s };
    case 'date': return { sql: sql`${s.v}::date`, family: 'date', literal: s };
  }
}

const describe = (s: Scalar) => (s.k === 'prop' ? `property "${s.name}"` : s.k === 'str' ? `'${s.v}'` : s.k === 'date' ? `DATE('${s.v}')` : String(s.v));

/** Both sides of a comparison, a string literal against a date becoming a date. */
function pair(ix: PropIndex, l: Scalar, r: Scalar): [Operand, Operand] {
  let a = operand(ix, l);
  let b = operand(ix, r);
  const asDate = (o: Operand): Operand => {
    // GDAL writes dates as '2010-01-01T' (or with a time): the day is what counts
    const d = o.literal?.k === 'str' ? /^(\d{4}-\d{2}-\d{2})(T[\d:.]*Z?)?$/.exec(o.literal.v)?.[1] : undefined;
    if (d && !Number.isNaN(Date.parse(d))) return { sql: sql`${d}::date`, family: 'date' };
    return o;
  };
  if (a.family === 'date') b = asDate(b);
  if (b.family === 'date') a = asDate(a);
  if (a.family !== b.family) throw new FilterError(`cannot compare ${describe(l)} (${a.family}) with ${describe(r)} (${b.family})`);
  return [a, b];
}

const OPS = { '=': sql`=`, '<>': sql`<>`, '<': sql`<`, '<=': sql`<=`, '>': sql`>`, '>=': sql`>=` } as const;
const SPATIAL = { S_INTERSECTS: sql`ST_Intersects`, S_DISJOINT: sql`ST_Disjoint`, S_WITHIN: sql`ST_Within`, S_CONTAINS: sql`ST_Contains` } as const;

export function compileFilter(e: Expr, ix: PropIndex): SqlFragment {
  switch (e.k) {
    case 'and': case 'or':
      return sql`(${join(e.args.map((a) => compileFilter(a, ix)), e.k === 'and' ? sql` AND ` : sql` OR `)})`;
    case 'not':
      return sql`(NOT ${compileFilter(e.arg, ix)})`;
    case 'literal':
      return e.v ? sql`TRUE` : sql`FALSE`;
    case 'cmp': {
      const [a, b] = pair(ix, e.l, e.r);
      if (a.family === 'boolean' && e.op !== '=' && e.op !== '<>') throw new FilterError(`booleans compare only with = or <>`);
      return sql`(${a.sql} ${OPS[e.op]} ${b.sql})`;
    }
    case 'like': {
      const a = operand(ix, e.l);
      if (a.family !== 'string') throw new FilterError(`LIKE needs a string, ${describe(e.l)} is a ${a.family}`);
      const op = e.caseInsensitive ? (e.not ? sql`NOT ILIKE` : sql`ILIKE`) : (e.not ? sql`NOT LIKE` : sql`LIKE`);
      return sql`(${a.sql} ${op} ${e.pattern}::text)`;
    }
    case 'between': {
      const [a, lo] = pair(ix, e.l, e.lo);
      const [, hi] = pair(ix, e.l, e.hi);
      if (a.family !== 'number' && a.family !== 'date') throw new FilterError(`BETWEEN needs numbers or dates, ${describe(e.l)} is a ${a.family}`);
      return sql`(${a.sql} ${e.not ? sql`NOT BETWEEN` : sql`BETWEEN`} ${lo.sql} AND ${hi.sql})`;
    }
    case 'in': {
      const items = e.list.map((x) => pair(ix, e.l, x));
      return sql`(${items[0][0].sql} ${e.not ? sql`NOT IN` : sql`IN`} (${join(items.map(([, b]) => b.sql))}))`;
    }
    case 'isnull': {
      if (e.l.k !== 'prop') throw new FilterError('IS NULL applies to a property');
      return sql`(${operand(ix, e.l).sql} ${e.not ? sql`IS NOT NULL` : sql`IS NULL`})`;
    }
    case 'spatial': {
      if (e.prop !== GEOMETRY_PROPERTY) throw new FilterError(`${e.op} applies to the property "${GEOMETRY_PROPERTY}", not "${e.prop}"`);
      return sql`COALESCE(${SPATIAL[e.op]}(${GEOM_COL}, ST_GeomFromText(${geomWkt(e.geom)}::text, 4326)), FALSE)`;
    }
  }
}

/** ?name=value (queryables as query parameters): equality with the value read in the property's type. */
export function propertyEquals(ix: PropIndex, name: string, raw: string): SqlFragment {
  const { prop, index } = lookup(ix, name);
  const c = col(index);
  switch (prop.type) {
    case 'string':
      if (prop.enum && !prop.enum.includes(raw)) throw new FilterError(`expects one of ${prop.enum.join(', ')}, got "${raw}"`);
      return sql`(${c} = ${raw}::text)`;
    case 'number': case 'integer': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new FilterError(`"${raw}" is not a number`);
      return sql`(${c} = ${v}::float8)`;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw new FilterError(`expects true or false, got "${raw}"`);
      return sql`(${c} = ${raw === 'true'}::bool)`;
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(raw))) throw new FilterError(`expects a date YYYY-MM-DD, got "${raw}"`);
      return sql`(${c}::date = ${raw}::date)`;
  }
}
