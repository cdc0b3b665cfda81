// SQL of the OGC API - Features endpoint: a page of city features (outline, attributes, one year's metrics) in one
// statement, with the number matched and whether the year has data.
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';

export interface ItemsQuery {
  bbox?: [number, number, number, number];
  limit: number;
  offset: number;
  year?: number;
  /** Douglas-Peucker tolerance in degrees (topology preserved); 0 = full outline */
  simplify: number;
  /** one feature by code (items/{featureId}) */
  code?: string;
}

export interface ItemsPage {
  matched: number;
  /** city-years stored for `year` (0 → the year has no data) */
  yearRows: number;
  features: object[];
}

/** GeoJSON features ready to serialise: id = city code, properties = city attributes (+ that year's metrics). */
export async function cityItems(db: Db, q: ItemsQuery): Promise<ItemsPage> {
  const where = [
    q.bbox ? sql`ST_Intersects(c.boundary, ST_MakeEnvelope(${q.bbox[0]}::float8, ${q.bbox[1]}::float8, ${q.bbox[2]}::float8, ${q.bbox[3]}::float8, 4326))` : sql`TRUE`,
    q.code ? sql`c.code = ${q.code}` : sql`TRUE`,
  ];
  const geom = q.simplify > 0 ? sql`ST_Multi(ST_SimplifyPreserveTopology(c.boundary, ${q.simplify}::float8))` : sql`c.boundary`;
  const metrics = q.year !== undefined
    ? sql`, 'year', cy.year, 'population', cy.population, 'urbanShare', cy.urban_share, 'fiscalSpending', cy.fiscal_spending,
          'fiscalRevenue', cy.fiscal_revenue, 'tertiaryShare', cy.tertiary_share, 'educationShare', cy.education_share,
          'loans', cy.loans, 'gdp', cy.gdp, 'dfu', cy.dfu, 'rid', cy.rid, 'pc', cy.pc`
    : sql``;
  const [r] = await db.query<ItemsPage>(sql`
    WITH m AS (SELECT c.code FROM city c WHERE ${where[0]} AND ${where[1]}),
    p AS (SELECT code FROM m ORDER BY code LIMIT ${q.limit}::int OFFSET ${q.offset}::int)
    SELECT (SELECT count(*)::int FROM m) AS matched,
      ${q.year !== undefined ? sql`(SELECT count(*)::int FROM city_year WHERE year = ${q.year}::int)` : sql`0`} AS "yearRows",
      COALESCE((
        SELECT json_agg(json_build_object(
          'type', 'Feature', 'id', c.code::text,
          'geometry', ST_AsGeoJSON(${geom}, 5)::json,
          'properties', json_build_object('code', c.code::text, 'name', c.name, 'province', c.province,
            'provinceCode', c.province_code::text, 'region', c.region::text, 'areaKm2', c.area_km2,
            'lon', ST_X(c.centroid), 'lat', ST_Y(c.centroid) ${metrics})
        ) ORDER BY c.code)
        FROM p JOIN city c ON c.code = p.code
        ${q.year !== undefined ? sql`LEFT JOIN city_year cy ON cy.city_code = c.code AND cy.year = ${q.year}::int` : sql``}
      ), '[]'::json) AS features`);
  return r;
}

/** Extent of the stored outlines, for the collection description. */
export async function cityExtent(db: Db): Promise<{ bbox: [number, number, number, number]; years: [number, number] | null }> {
  const [r] = await db.query<{ x1: number; y1: number; x2: number; y2: number; ymin: number | null; ymax: number | null }>(sql`
    SELECT ST_XMin(e) AS x1, ST_YMin(e) AS y1, ST_XMax(e) AS x2, ST_YMax(e) AS y2,
      (SELECT min(year)::int FROM city_year) AS ymin, (SELECT max(year)::int FROM city_year) AS ymax
    FROM (SELECT ST_Extent(boundary)::geometry AS e FROM city) s`);
  return { bbox: [r.x1, r.y1, r.x2, r.y2], years: r.ymin !== null && r.ymax !== null ? [r.ymin, r.ymax] : null };
}
