// The page statement of the OGC API: one statement per page, whatever the collection and filters. The collection's
// rows for the year become the base set b (id, geometry, properties p0..pn), the conditions select from it, and the
// statement returns the number matched and the page's rows (geometry as GeoJSON), turned into features here.
import type { Db } from '../db/db.js';
import { join, sql, type SqlFragment } from '../db/sql.js';
import type { CollectionDef, Prop, RowsContext } from './collections.js';

export interface PageQuery {
  ctx: RowsContext;
  props: readonly Prop[];
  /** conditions over b (from src/ogc/filter.ts and the bbox) */
  where: SqlFragment[];
  limit: number;
  offset: number;
  simplify: number;
  /** one feature by id */
  id?: string;
}

export interface Feature {
  type: 'Feature';
  id: string | number;
  geometry: object | null;
  properties: Record<string, unknown>;
}

export async function featurePage(db: Db, c: CollectionDef, q: PageQuery): Promise<{ matched: number; features: Feature[] }> {
  const cols = q.props.map((prop, i) => sql`${prop.expr} AS ${sql([`p${i}`])}`);
  const where = [...q.where, ...(q.id !== undefined ? [sql`b.id = ${q.id}::text`] : [])];
  const [r] = await db.query<{ matched: number; rows: Record<string, unknown>[] | null }>(sql`
    WITH b AS (SELECT ${c.idExpr} AS id, ${c.orderBy} AS ord, ${c.geom} AS geom, ${join(cols)} FROM ${c.from(q.ctx)}),
    m AS (SELECT * FROM b WHERE ${where.length ? join(where, sql` AND `) : sql`TRUE`})
    SELECT (SELECT count(*)::int FROM m) AS matched,
      (SELECT json_agg(row_to_json(pg) ORDER BY pg.ord) FROM (
         SELECT m.id, m.ord, ${join(q.props.map((_, i) => sql([`m.p${i}`])))}, ST_AsGeoJSON(${c.display(sql`m.geom`, q.simplify)}, 6)::json AS gj FROM m ORDER BY m.ord LIMIT ${q.limit}::int OFFSET ${q.offset}::int) pg) AS rows`);
  const features = (r.rows ?? []).map((row): Feature => {
    const properties: Record<string, unknown> = {};
    q.props.forEach((prop, i) => { properties[prop.name] = row[`p${i}`] ?? null; });
    return { type: 'Feature', id: c.idType === 'integer' ? Number(row.id) : String(row.id), geometry: (row.gj as object | null) ?? null, properties };
  });
  return { matched: r.matched, features };
}
