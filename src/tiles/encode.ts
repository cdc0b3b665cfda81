// Two encoders of one tile, picking the same features with the same SQL predicate:
// - 'postgis': ST_AsMVTGeom + ST_AsMVT on PostgreSQL;
// - 'js': geojson-vt clips and quantises the same rows, vt-pbf writes the protobuf (the embedded PostGIS is built
//   without protobuf, so it has neither ST_AsMVT nor ST_AsMVTGeom). It works on either database.
// Outlines come from city_outline at the zoom's stored tolerance; nothing is simplified per request.
import GeoJSONVT from 'geojson-vt';
import { fromGeojsonVt } from 'vt-pbf';
import type { Db } from '../db/db.js';
import { join, sql } from '../db/sql.js';
import { toleranceForZoom } from '../db/queries/outlines.js';
import { DEFAULT_RULE_SET } from '../domain/rules.js';
import { BUFFER, EXTENT, type LayerName } from './layers.js';
import { BASE_METRIC_KEYS, type CityMetrics } from './metrics.js';
import { tileBounds, type TileCoord } from './tile-math.js';

export type Encoder = 'postgis' | 'js';

export interface TileInput {
  layer: LayerName;
  tile: TileCoord;
  year: number;
  /** the year's metrics by unit code (cities layer) */
  metrics: Map<string, CityMetrics>;
}

/** Feature id of a unit: its code when all digits (GB/T 2260, FIPS), else none (the code is always a property). */
export const unitFeatureId = (code: string): number | undefined => (/^[0-9]{1,15}$/.test(code) ? Number(code) : undefined);

const METRIC_KEYS = BASE_METRIC_KEYS;

const envelope = (t: TileCoord) => sql`ST_TileEnvelope(${t.z}::int, ${t.x}::int, ${t.y}::int)`;
const bufferedEnvelope = (t: TileCoord) => sql`ST_TileEnvelope(${t.z}::int, ${t.x}::int, ${t.y}::int, margin => ${BUFFER / EXTENT}::float8)`;

function firmBox(t: TileCoord) {
  const b = tileBounds(t, BUFFER / EXTENT); // lon/lat box of the buffered tile (Mercator is separable: exact)
  return sql`ST_MakeEnvelope(${b.west}::float8, ${b.south}::float8, ${b.east}::float8, ${b.north}::float8, 4326)`;
}

// Firm-year and kind as primary-key lookups per firm in the box. Without table statistics (PGlite never analyses;
// the test server runs without autovacuum) the planner probed firm_kind through (rule_version, year, kind) and
// scanned a whole year's rows for every firm: 15-28 s for the z0 tile. `k.year + 0` leaves only the primary key.
const activeIn = (year: number) => sql`EXISTS (SELECT 1 FROM firm_year y WHERE y.firm_id = f.id AND y.year = ${year}::int)`;
const kindOf = (year: number) => sql`(SELECT k.kind FROM firm_kind k
  WHERE k.rule_version = ${DEFAULT_RULE_SET.version} AND k.firm_id = f.id AND k.year + 0 = ${year}::int)`;

export async function encodeTile(db: Db, input: TileInput, encoder: Encoder): Promise<Buffer> {
  if (encoder === 'postgis') return input.layer === 'cities' ? citiesPostgis(db, input) : firmsPostgis(db, input);
  return input.layer === 'cities' ? citiesJs(db, input) : firmsJs(db, input);
}

async function citiesPostgis(db: Db, { tile, year, metrics }: TileInput): Promise<Buffer> {
  const codes = [...metrics.keys()];
  const col = (k: string) => codes.map((c) => metrics.get(c)![k]);
  // composites' values as further attributes (names are variable names: safe as quoted identifiers)
  const extra = codes.length ? Object.keys(metrics.get(codes[0])!).filter((k) => !(METRIC_KEYS as readonly string[]).includes(k)) : [];
  const x = extra.length
    ? { from: sql`LEFT JOIN unnest(${codes}::text[], ${join(extra.map((k) => sql`${col(k)}::float8[]`))}) AS ${sql([`x(code, ${extra.map((k) => `"${k}"`).join(', ')})`])} ON x.code = c.code`,
      cols: sql([`, ${extra.map((k) => `x."${k}"`).join(', ')}`]) }
    : { from: sql``, cols: sql`` };
  const [r] = await db.query<{ tile: Buffer }>(sql`
    WITH m AS (
      SELECT * FROM unnest(${codes}::text[], ${col('gdp')}::float8[], ${col('population')}::float8[], ${col('rta')}::float8[],
                           ${col('nqp')}::float8[], ${col('fledgling')}::int[], ${col('gazelle')}::int[], ${col('unicorn')}::int[],
                           ${col('firmCount')}::int[])
        AS m(code, gdp, population, rta, nqp, fledgling, gazelle, unicorn, firm_count)),
    f AS (
      SELECT CASE WHEN c.code ~ '^[0-9]{1,15}$' THEN c.code::bigint END AS fid, c.code, c.name, c.province, ${year}::int AS year,
             m.gdp, m.population, m.rta, m.nqp, m.fledgling, m.gazelle, m.unicorn, m.firm_count AS "firmCount"${x.cols},
             ST_AsMVTGeom(o.outline_3857, ${envelope(tile)}, ${EXTENT}::int, ${BUFFER}::int, true) AS geom
      FROM city_outline o JOIN city c ON c.code = o.city_code LEFT JOIN m ON m.code = c.code ${x.from}
      WHERE o.tolerance = ${toleranceForZoom(tile.z)}::float8
        AND o.outline_3857 && ${bufferedEnvelope(tile)} AND ST_Intersects(o.outline_3857, ${bufferedEnvelope(tile)}))
    SELECT ST_AsMVT(f.*, 'cities', ${EXTENT}::int, 'geom', 'fid') AS tile FROM f WHERE f.geom IS NOT NULL`);
  return Buffer.from(r.tile);
}

async function firmsPostgis(db: Db, { tile, year }: TileInput): Promise<Buffer> {
  const [r] = await db.query<{ tile: Buffer }>(sql`
    WITH f AS (
      SELECT f.id AS fid, f.id, f.name, f.city_code AS city, f.industry, ${kindOf(year)} AS kind, ${year}::int AS year,
             ST_AsMVTGeom(ST_Transform(f.location, 3857), ${envelope(tile)}, ${EXTENT}::int, ${BUFFER}::int, true) AS geom
      FROM firm f WHERE f.location && ${firmBox(tile)} AND ${activeIn(year)})
    SELECT ST_AsMVT(f.*, 'firms', ${EXTENT}::int, 'geom', 'fid') AS tile FROM f WHERE f.geom IS NOT NULL`);
  return Buffer.from(r.tile);
}

type Props = Record<string, string | number>;

/** Properties without null values (MVT has no null; ST_AsMVT leaves such attributes out too). */
function props(entries: Record<string, string | number | null | undefined>): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(entries)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

interface GeoFeature { type: 'Feature'; id?: number; properties: Props; geometry: object }

/** Twice the signed area of a tile-space ring (integer coordinates). */
function ring2Area(r: [number, number][]): number {
  let s = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) s += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]);
  return s;
}

function encodeJs(layer: LayerName, tile: TileCoord, features: GeoFeature[]): Buffer {
  if (!features.length) return Buffer.alloc(0);
  const index = new GeoJSONVT({ type: 'FeatureCollection', features } as never, {
    maxZoom: tile.z, indexMaxZoom: 0, tolerance: 0, extent: EXTENT, buffer: BUFFER,
  });
  const t = index.getTile(tile.z, tile.x, tile.y);
  // As ST_AsMVTGeom does, drop polygons whose part in the tile has no area once snapped to the tile grid.
  const kept = (t?.features ?? []).filter((f) => f.type !== 3 || f.geometry.some((r) => ring2Area(r) !== 0));
  if (!kept.length) return Buffer.alloc(0);
  return Buffer.from(fromGeojsonVt({ [layer]: { features: kept } }, { version: 2, extent: EXTENT }));
}

async function citiesJs(db: Db, { tile, year, metrics }: TileInput): Promise<Buffer> {
  // Only the index test (&&) in SQL: the exact test is geojson-vt's clipping, so no heavy geometry runs in PGlite.
  const rows = await db.query<{ code: string; name: string; province: string | null; geojson: string }>(sql`
    SELECT c.code, c.name, c.province, ST_AsGeoJSON(o.outline) AS geojson
    FROM city_outline o JOIN city c ON c.code = o.city_code
    WHERE o.tolerance = ${toleranceForZoom(tile.z)}::float8 AND o.outline_3857 && ${bufferedEnvelope(tile)}
    ORDER BY c.code`);
  const features = rows.map((r): GeoFeature => {
    const m = metrics.get(r.code);
    return {
      type: 'Feature', id: unitFeatureId(r.code),
      properties: props({ code: r.code, name: r.name, province: r.province, year, ...(m ?? {}) }),
      geometry: JSON.parse(r.geojson),
    };
  });
  return encodeJs('cities', tile, features);
}

async function firmsJs(db: Db, { tile, year }: TileInput): Promise<Buffer> {
  const rows = await db.query<{ id: number; name: string; city: string; industry: string; kind: string | null; lon: number; lat: number }>(sql`
    SELECT f.id, f.name, f.city_code AS city, f.industry, ${kindOf(year)} AS kind, ST_X(f.location) AS lon, ST_Y(f.location) AS lat
    FROM firm f WHERE f.location && ${firmBox(tile)} AND ${activeIn(year)}
    ORDER BY f.id`);
  const features = rows.map((r): GeoFeature => ({
    type: 'Feature', id: r.id,
    properties: props({ id: r.id, name: r.name, city: r.city, industry: r.industry, kind: r.kind, year }),
    geometry: { type: 'Point', coordinates: [r.lon, r.lat] },
  }));
  return encodeJs('firms', tile, features);
}
