// Bulk loading of cities and panels: column arrays through unnest(), so one parameterised statement per chunk.
import type { Db } from '../db.js';
import { sql } from '../sql.js';
import { geoJsonShapeProblem } from '../../geo/geojson.js';

export interface CityRow {
  code: string;
  name: string;
  province: string;
  provinceCode: string;
  region: 'East' | 'Central' | 'West';
  /** GeoJSON Polygon or MultiPolygon, lon/lat */
  geometry: unknown;
}

const CHUNK = 20_000;

function* chunks<T>(rows: T[], size = CHUNK): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** Geometry statements stay small: the embedded engine has been seen to drop large PostGIS statements silently. */
export const GEOMETRY_CHUNK = 25;

export async function insertCities(db: Db, rows: CityRow[]): Promise<void> {
  for (const r of rows) {
    const problem = geoJsonShapeProblem(r.geometry);
    if (problem) throw new Error(`city ${r.code}: boundary ${problem}`);
  }
  for (const part of chunks(rows, GEOMETRY_CHUNK)) {
    // ST_MakeValid repairs self-touching rings left by simplification; only polygonal parts are kept.
    const inserted = await db.query(sql`
      INSERT INTO city (code, name, province, province_code, region, boundary, centroid, area_km2)
      SELECT t.code, t.name, t.province, t.province_code, t.region, g.boundary,
             ST_PointOnSurface(g.boundary), ST_Area(g.boundary::geography) / 1e6
      FROM unnest(${part.map((r) => r.code)}::text[], ${part.map((r) => r.name)}::text[],
                  ${part.map((r) => r.province)}::text[], ${part.map((r) => r.provinceCode)}::text[],
                  ${part.map((r) => r.region)}::text[], ${part.map((r) => JSON.stringify(r.geometry))}::text[])
             AS t(code, name, province, province_code, region, geojson)
      CROSS JOIN LATERAL (
        SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(t.geojson), 4326)), 3))::geometry(MultiPolygon, 4326) AS boundary
      ) g
      WHERE NOT ST_IsEmpty(g.boundary)
      RETURNING code`);
    if (inserted.length !== part.length) {
      throw new Error(`city import stored ${inserted.length} of ${part.length} rows (first code ${part[0].code}); nothing was kept`);
    }
  }
}

export interface FirmRow {
  id: number; name: string; cityCode: string; industry: string; techIntensive: boolean; strategicEmerging: boolean;
  founded: string; listed: boolean; listedOn: string | null; stFlag: boolean; financial: boolean;
}

export async function insertFirms(db: Db, rows: FirmRow[]): Promise<void> {
  for (const p of chunks(rows)) {
    await db.query(sql`
      INSERT INTO firm (id, name, city_code, industry, tech_intensive, strategic_emerging, founded, listed, listed_on, st_flag, financial)
      SELECT * FROM unnest(${p.map((r) => r.id)}::int[], ${p.map((r) => r.name)}::text[], ${p.map((r) => r.cityCode)}::text[],
        ${p.map((r) => r.industry)}::text[], ${p.map((r) => r.techIntensive)}::bool[], ${p.map((r) => r.strategicEmerging)}::bool[],
        ${p.map((r) => r.founded)}::date[], ${p.map((r) => r.listed)}::bool[], ${p.map((r) => r.listedOn)}::date[],
        ${p.map((r) => r.stFlag)}::bool[], ${p.map((r) => r.financial)}::bool[])`);
  }
}

/** Firms without coordinates stand at their unit's interior point. */
export async function locateFirmsAtUnits(db: Db): Promise<void> {
  await db.query(sql`UPDATE firm f SET location = c.centroid FROM city c WHERE c.code = f.city_code AND f.location IS NULL`);
}

export interface FirmYearRow {
  firmId: number; year: number; revenue: number; employees: number; assets: number; leverage: number; rnd: number;
  patents: number; valuationUsd: number | null; revenueGrowth: number | null; intendedKind: string | null;
}

export async function insertFirmYears(db: Db, rows: FirmYearRow[]): Promise<void> {
  for (const p of chunks(rows)) {
    await db.query(sql`
      INSERT INTO firm_year (firm_id, year, revenue, employees, assets, leverage, rnd, patents, valuation_usd, revenue_growth, intended_kind)
      SELECT * FROM unnest(${p.map((r) => r.firmId)}::int[], ${p.map((r) => r.year)}::int[], ${p.map((r) => r.revenue)}::float8[],
        ${p.map((r) => r.employees)}::int[], ${p.map((r) => r.assets)}::float8[], ${p.map((r) => r.leverage)}::float8[],
        ${p.map((r) => r.rnd)}::float8[], ${p.map((r) => r.patents)}::int[], ${p.map((r) => r.valuationUsd)}::float8[],
        ${p.map((r) => r.revenueGrowth)}::float8[], ${p.map((r) => r.intendedKind)}::text[])`);
  }
}

export interface CityYearRow {
  cityCode: string; year: number; population: number; urbanShare: number; fiscalSpending: number; fiscalRevenue: number;
  tertiaryShare: number; educationShare: number; loans: number; gdp: number; nqpIndicators: number[]; dfu: number; rid: number; pc: number;
}

export async function insertCityYears(db: Db, rows: CityYearRow[]): Promise<void> {
  for (const p of chunks(rows, 5_000)) {
    // 2-D arrays cannot be unnested row-wise, so indicators travel as JSON text per row.
    await db.query(sql`
      INSERT INTO city_year (city_code, year, population, urban_share, fiscal_spending, fiscal_revenue, tertiary_share,
                             education_share, loans, gdp, nqp_indicators, dfu, rid, pc)
      SELECT t.city_code, t.year, t.population, t.urban_share, t.fiscal_spending, t.fiscal_revenue, t.tertiary_share,
             t.education_share, t.loans, t.gdp,
             ARRAY(SELECT jsonb_array_elements_text(t.ind::jsonb)::float8), t.dfu, t.rid, t.pc
      FROM unnest(${p.map((r) => r.cityCode)}::text[], ${p.map((r) => r.year)}::int[], ${p.map((r) => r.population)}::float8[],
        ${p.map((r) => r.urbanShare)}::float8[], ${p.map((r) => r.fiscalSpending)}::float8[], ${p.map((r) => r.fiscalRevenue)}::float8[],
        ${p.map((r) => r.tertiaryShare)}::float8[], ${p.map((r) => r.educationShare)}::float8[], ${p.map((r) => r.loans)}::float8[],
        ${p.map((r) => r.gdp)}::float8[], ${p.map((r) => JSON.stringify(r.nqpIndicators))}::text[], ${p.map((r) => r.dfu)}::float8[],
        ${p.map((r) => r.rid)}::float8[], ${p.map((r) => r.pc)}::float8[])
        AS t(city_code, year, population, urban_share, fiscal_spending, fiscal_revenue, tertiary_share, education_share,
             loans, gdp, ind, dfu, rid, pc)`);
  }
}

export async function setMeta(db: Db, entries: Record<string, string>): Promise<void> {
  const keys = Object.keys(entries);
  await db.query(sql`
    INSERT INTO dataset_meta (key, value) SELECT * FROM unnest(${keys}::text[], ${keys.map((k) => entries[k])}::text[])
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`);
}

export async function getMeta(db: Db): Promise<Record<string, string>> {
  const rows = await db.query<{ key: string; value: string }>(sql`SELECT key, value FROM dataset_meta`);
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
