// Boundary import: GeoJSON, TopoJSON, GeoPackage or ESRI Shapefile (.shp + .dbf + .prj, or one .zip) -> units in
// `city`, with their interior points, areas and contiguity (`city_neighbour`). Every feature is checked before
// anything is written; one bad feature rejects the whole file (the core rolls the transaction back), unless
// --skip-invalid asks to leave bad features out (listed in the report) and import the rest.
import { unzipSync } from 'fflate';
import * as shapefile from 'shapefile';
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import { ROOK_MIN_KM } from '../db/queries/neighbours.js';
import { geoJsonShapeProblem } from '../geo/geojson.js';
import { contiguity as exactContiguity, DEFAULT_SNAP, featureRings, greatCircleKm } from '../estimation/spatial/index.js';
import { contiguity as bandContiguity } from '../demo/contiguity.js';
import type { CityFeature } from '../demo/cities.js';
import { crsOfGeoJSON, crsOfPrj, LONLAT, UnknownCrs, type Crs } from './crs.js';
import { GpkgError, readGeoPackage } from './gpkg.js';
import { sniffFormat } from './sniff.js';
import { readTopoJSON } from './topojson.js';
import { registerImporter } from './registry.js';
import { DEFAULT_MAX_PROBLEMS, ImportRejected, type Importer, type ImporterResult, type ImportInput, type ImportOptions, type Progress, type RowProblem } from './types.js';

export { UNIT_CODE_RE } from '../domain/unit-code.js';
import { UNIT_CODE_RE } from '../domain/unit-code.js';
/** Features per geometry statement: the embedded engine was seen to drop rows of large PostGIS statements. */
const CHUNK = 25;
export const DEFAULT_CONTIGUITY = 'exact' as const;

type Polygonal = { type: 'Polygon'; coordinates: number[][][] } | { type: 'MultiPolygon'; coordinates: number[][][][] };

interface RawFeature {
  id?: unknown; properties: Record<string, unknown> | null; geometry: { type: string; coordinates?: unknown } | null;
  /** a reader's own finding (e.g. an unreadable GeoPackage geometry blob) */
  problem?: string;
}

interface Unit {
  line: number; code: string; name: string; province: string | null; region: string | null;
  geometry: Polygonal;
}

export async function readAll(body: ImportInput['body']): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  const parts: Buffer[] = [];
  for await (const c of body) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

type BoundaryFormat = 'geojson' | 'topojson' | 'gpkg' | 'zip' | 'shp';

function formatOf(input: ImportInput, opts: ImportOptions, bytes: Buffer): BoundaryFormat {
  const f = opts.format ?? sniffFormat(input.fileName, bytes, bytes.length >= 4 && bytes.readInt32BE(0) === 9994 ? 'shp' : bytes[0] === 0x50 && bytes[1] === 0x4b ? 'zip' : 'geojson');
  if (f === 'csv' || f === 'xlsx') throw new ImportRejected([{ line: 0, reason: `boundaries are GeoJSON, TopoJSON, GeoPackage or Shapefile (.shp/.zip), not ${f === 'csv' ? 'CSV' : 'an xlsx workbook'}` }], 1, 0);
  return f;
}

const reject = (reason: string, extra: Partial<RowProblem> = {}): never => { throw new ImportRejected([{ line: 0, reason, ...extra }], 1, 0); };

async function readShapefile(shp: Uint8Array, dbf: Uint8Array | undefined, prj: string | undefined, cpg: string | undefined): Promise<{ features: RawFeature[]; crs: Crs; warnings: string[] }> {
  const warnings: string[] = [];
  if (!dbf) reject('the Shapefile has no .dbf (attributes such as the unit code live there): give .shp, .dbf and .prj together or one .zip');
  let crs = LONLAT;
  if (prj) crs = crsOfPrj(prj);
  else warnings.push('the Shapefile has no .prj: coordinates taken as EPSG:4326 lon/lat');
  const encoding = cpg?.trim() || 'utf-8';
  const src = await shapefile.open(toArrayBuffer(shp), toArrayBuffer(dbf!), { encoding });
  const features: RawFeature[] = [];
  for (let r = await src.read(); !r.done; r = await src.read()) features.push(r.value as unknown as RawFeature);
  return { features, crs, warnings };
}

const toArrayBuffer = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

async function readFeatures(input: ImportInput, opts: ImportOptions): Promise<{ features: RawFeature[]; crs: Crs; warnings: string[] }> {
  const bytes = await readAll(input.body);
  if (bytes.length === 0) reject('the file is empty');
  try {
    const format = formatOf(input, opts, bytes);
    if (format === 'gpkg') {
      const g = await readGeoPackage(bytes, opts.layer);
      return { features: g.features as RawFeature[], crs: g.crs, warnings: g.layers.length > 1 ? [`layer '${g.layer}' of ${g.layers.length} (${g.layers.join(', ')}); --layer picks another`] : [] };
    }
    if (format === 'topojson') return readJSON(bytes, opts);
    if (format === 'shp') {
      const side = input.sidecars ?? {};
      return await readShapefile(bytes, side.dbf, side.prj?.toString('utf8'), side.cpg?.toString('utf8'));
    }
    if (format === 'zip') {
      let files: Record<string, Uint8Array>;
      try { files = unzipSync(bytes); } catch (e) { return reject(`not a readable zip file: ${(e as Error).message}`); }
      const names = Object.keys(files).filter((n) => !n.startsWith('__MACOSX/'));
      const shps = names.filter((n) => /\.shp$/i.test(n));
      const geo = names.filter((n) => /\.(geo)?json$/i.test(n));
      if (shps.length > 1) reject(`the zip holds ${shps.length} Shapefiles (${shps.join(', ')}); import one at a time`);
      if (shps.length === 1) {
        const stem = shps[0].slice(0, -4);
        const side = (ext: string) => names.find((n) => n.toLowerCase() === `${stem.toLowerCase()}.${ext}`);
        const text = (n?: string) => (n ? Buffer.from(files[n]).toString('utf8') : undefined);
        const dbf = side('dbf');
        return await readShapefile(files[shps[0]], dbf ? files[dbf] : undefined, text(side('prj')), text(side('cpg')));
      }
      if (geo.length === 1) return readJSON(Buffer.from(files[geo[0]]), opts);
      return reject(`the zip holds no .shp (or exactly one .geojson); found: ${names.slice(0, 10).join(', ') || 'nothing'}`);
    }
    return readJSON(bytes, opts);
  } catch (e) {
    if (e instanceof UnknownCrs) return reject(e.message, { column: 'crs' });
    if (e instanceof GpkgError) return reject(e.message);
    if (e instanceof ImportRejected) throw e;
    return reject(`could not read ${input.fileName}: ${(e as Error).message}`);
  }
}

/** GeoJSON, or TopoJSON (told by its type: Topology, whatever the file is called). */
function readJSON(bytes: Buffer, opts: ImportOptions): { features: RawFeature[]; crs: Crs; warnings: string[] } {
  let doc: { type?: string; features?: unknown; crs?: unknown };
  try { doc = JSON.parse(bytes.toString('utf8')); } catch (e) { return reject(`not valid JSON: ${(e as Error).message}`); }
  if (doc?.type === 'Topology') {
    const t = readTopoJSON(doc, opts.layer);
    if ('error' in t) return reject(t.error);
    return { features: t.features as RawFeature[], crs: LONLAT, warnings: t.objects.length > 1 ? [`TopoJSON object '${t.object}' of ${t.objects.length} (${t.objects.join(', ')}); --layer picks another`] : [] };
  }
  const crs = crsOfGeoJSON(doc?.crs);
  if (doc?.type === 'Feature') return { features: [doc as unknown as RawFeature], crs, warnings: [] };
  if (doc?.type !== 'FeatureCollection' || !Array.isArray(doc.features)) return reject('expected a GeoJSON FeatureCollection (or one Feature), or a TopoJSON Topology');
  return { features: doc.features as RawFeature[], crs, warnings: [] };
}

function text(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
}

/** Reprojects in place-free fashion; lon/lat input is returned as is (same arrays, no rounding). */
function reproject(g: Polygonal, crs: Crs): Polygonal {
  const f = crs.toLonLat;
  if (!f) return g;
  const ring = (r: number[][]) => r.map((p) => f(p[0], p[1]));
  return g.type === 'Polygon'
    ? { type: 'Polygon', coordinates: g.coordinates.map(ring) }
    : { type: 'MultiPolygon', coordinates: g.coordinates.map((poly) => poly.map(ring)) };
}

function outOfRange(g: Polygonal): number[] | null {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  for (const poly of polys) for (const r of poly) for (const p of r) {
    if (!(Math.abs(p[0]) <= 180 && Math.abs(p[1]) <= 90)) return p;
  }
  return null;
}

/** Field checks, duplicates, geometry shape and range: every problem of every feature. */
function checkFeatures(raw: RawFeature[], crs: Crs, opts: ImportOptions): { units: Unit[]; problems: RowProblem[] } {
  const codeField = opts.codeField ?? 'code', nameField = opts.nameField ?? 'name';
  const problems: RowProblem[] = [], units: Unit[] = [];
  const seen = new Map<string, number>();
  raw.forEach((f, i) => {
    const line = i + 1, props = f?.properties ?? {};
    let code = text(props[codeField]);
    if (code === null && !opts.codeField) code = text(f?.id);
    const n = problems.length;
    if (code === null) problems.push({ line, column: codeField, reason: `missing unit code (property "${codeField}")` });
    else if (!UNIT_CODE_RE.test(code)) {
      problems.push({ line, column: codeField, value: code, feature: code, reason: 'unit code must be 1-32 letters, digits or . _ : - (starting with a letter or digit)' });
    } else if (seen.has(code)) {
      problems.push({ line, column: codeField, value: code, feature: code, reason: `duplicate unit code (also feature ${seen.get(code)})` });
    } else seen.set(code, line);
    const g = f?.geometry;
    const feature = code ?? undefined;
    const degenerate = g && (g.type === 'Polygon' || g.type === 'MultiPolygon') ? degenerateProblem(g, opts.repair === true) : null;
    if (f?.problem) problems.push({ line, column: 'geometry', feature, reason: f.problem });
    else if (!g) problems.push({ line, column: 'geometry', feature, reason: 'feature has no geometry' });
    else if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') problems.push({ line, column: 'geometry', feature, value: g.type, reason: `geometry is ${g.type}, not a Polygon or MultiPolygon` });
    else if (degenerate) problems.push({ line, column: 'geometry', feature, reason: degenerate });
    else {
      const shape = geoJsonShapeProblem(g);
      if (shape) problems.push({ line, column: 'geometry', feature, reason: `invalid polygon: ${shape}` });
      else {
        let lonlat: Polygonal | null = null;
        try { lonlat = reproject(g as Polygonal, crs); } catch (e) { problems.push({ line, column: 'geometry', feature, reason: `cannot reproject from ${crs.label}: ${(e as Error).message}` }); }
        const bad = lonlat && outOfRange(lonlat);
        if (bad) {
          problems.push({
            line, column: 'geometry', feature, value: `${bad[0]}, ${bad[1]}`,
            reason: crs.toLonLat ? `coordinate outside lon/lat range after reprojection from ${crs.label}` : `coordinate outside lon/lat range: the file's CRS is not ${crs.label} (give the right crs member / .prj)`,
          });
        } else if (lonlat && problems.length === n) {
          units.push({
            line, code: code!, geometry: lonlat,
            name: text(props[nameField]) ?? code!,
            province: opts.provinceField ? text(props[opts.provinceField]) : null,
            region: opts.regionField ? text(props[opts.regionField]) : null,
          });
        }
      }
    }
  });
  if (raw.length === 0) problems.push({ line: 0, reason: 'the file has no features' });
  return { units, problems };
}

const isPos = (p: unknown): p is number[] => Array.isArray(p) && p.length >= 2 && typeof p[0] === 'number' && typeof p[1] === 'number' && Number.isFinite(p[0]) && Number.isFinite(p[1]);

/** Twice the signed area of a ring (shoelace; planar, in the file's units). */
function ringArea2(r: number[][]): number {
  let a = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) a += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]);
  return a;
}

/** Every vertex on one line (or one point): the ring encloses nothing. A self-intersecting bow-tie also has zero
 *  signed area, but encloses some: that is an invalid polygon, named as such by the validity check. */
function collinear(r: number[][]): boolean {
  const [x0, y0] = r[0];
  const q = r.find(([x, y]) => x !== x0 || y !== y0);
  if (!q) return true;
  const dx = q[0] - x0, dy = q[1] - y0;
  return r.every(([x, y]) => dx * (y - y0) - dy * (x - x0) === 0);
}

/**
 * Names an empty or degenerate (multi)polygon: no coordinates, a ring of fewer than 4 points, or no area at all
 * (e.g. a unit quantised to a line, as us-atlas county 51610). Zero area is left to --repair when it is given (kept
 * as a ~1 cm buffer of its lines). Malformed coordinates are left to the shape check.
 */
export function degenerateProblem(g: { type: string; coordinates?: unknown }, repair: boolean): string | null {
  const c = g.coordinates;
  if (!Array.isArray(c)) return null;
  const polys = (g.type === 'Polygon' ? [c] : c) as unknown[];
  const rings = polys.filter(Array.isArray).flat() as unknown[];
  if (!rings.some((r) => Array.isArray(r) && r.length > 0)) return `empty ${g.type === 'Polygon' ? 'polygon' : 'multipolygon'} (no coordinates)`;
  if (!rings.every((r) => Array.isArray(r) && r.every(isPos))) return null;
  const short = (rings as number[][][]).find((r) => r.length < 4);
  if (short) return `polygon with fewer than 4 points (a ring of ${short.length})`;
  if (repair) return null;
  const outer = (polys as number[][][][]).map((p) => p[0]).filter(Boolean);
  if (outer.every((r) => ringArea2(r) === 0 && collinear(r))) return 'zero area: the outline encloses nothing (--repair keeps it as a ~1 cm buffer of its lines)';
  return null;
}

function* chunks<T>(rows: T[], size = CHUNK): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/**
 * ST_MakeValid (structure method: the default linework method was seen to abort whole statements in the embedded
 * engine), polygonal parts only. An outline that collapses to lines (e.g. a unit quantised to two points) is kept as
 * a 1e-7 degree (~1 cm) buffer of those lines, so the unit, its interior point and its neighbours still exist.
 */
const repairedSql = (raw: ReturnType<typeof sql>) => sql`(
  SELECT CASE WHEN ST_IsEmpty(m) THEN ST_Multi(ST_Buffer(ST_Boundary(${raw}), 1e-7::float8, 'quad_segs=1')) ELSE m END
  FROM (SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(${raw}, 'method=structure'), 3)) AS m) mm)`;

interface Classified { line: number; code: string; state: 'new' | 'changed' | 'same'; invalid: string | null; emptyAfterRepair: boolean; collapsed: boolean }

/**
 * One statement per chunk: is each outline valid (ST_IsValidReason), and is the unit new, changed or the same as
 * stored (outline compared as WKB after the same normalisation the insert applies)?
 */
async function classify(tx: Db, units: Unit[], opts: ImportOptions, progress?: (n: number) => void): Promise<Classified[]> {
  const out: Classified[] = [];
  for (const part of chunks(units)) {
    const rows = await tx.query<{ i: number; state: Classified['state']; invalid: string | null; empty: boolean; collapsed: boolean }>(sql`
      WITH t AS (
        SELECT t.i::int AS i, t.code, t.name, t.province, t.region, ST_SetSRID(ST_GeomFromGeoJSON(t.g), 4326) AS raw
        FROM unnest(${part.map((_, k) => k)}::int[], ${part.map((u) => u.code)}::text[], ${part.map((u) => u.name)}::text[],
                    ${part.map((u) => u.province)}::text[], ${part.map((u) => u.region)}::text[], ${part.map((u) => JSON.stringify(u.geometry))}::text[])
             AS t(i, code, name, province, region, g)
      ), v AS (
        SELECT t.*, CASE WHEN ST_IsValid(t.raw) THEN NULL ELSE ST_IsValidReason(t.raw) END AS invalid FROM t
      ), n AS (
        SELECT v.*, CASE WHEN v.invalid IS NULL THEN ST_Multi(v.raw)
                         WHEN ${opts.repair === true}::bool THEN ${repairedSql(sql`v.raw`)} END AS boundary,
                    (v.invalid IS NOT NULL AND ST_IsEmpty(ST_CollectionExtract(ST_MakeValid(v.raw, 'method=structure'), 3))) AS collapsed
        FROM v
      )
      SELECT n.i, n.invalid, (n.invalid IS NOT NULL AND ${opts.repair === true}::bool AND (n.boundary IS NULL OR ST_IsEmpty(n.boundary))) AS empty,
             (n.invalid IS NOT NULL AND ${opts.repair === true}::bool AND n.collapsed) AS collapsed,
             CASE WHEN c.code IS NULL THEN 'new'
                  WHEN c.name IS NOT DISTINCT FROM n.name
                   AND (c.province IS NOT DISTINCT FROM n.province OR (n.province IS NULL AND NOT ${opts.replace === true}::bool))
                   AND (c.region IS NOT DISTINCT FROM n.region OR (n.region IS NULL AND NOT ${opts.replace === true}::bool))
                   AND n.boundary IS NOT NULL AND ST_AsBinary(c.boundary) = ST_AsBinary(n.boundary) THEN 'same'
                  ELSE 'changed' END AS state
      FROM n LEFT JOIN city c ON c.code = n.code ORDER BY n.i`);
    if (rows.length !== part.length) throw new Error(`outline check returned ${rows.length} of ${part.length} rows (first code ${part[0].code})`);
    rows.forEach((r) => out.push({ line: part[r.i].line, code: part[r.i].code, state: r.state, invalid: r.invalid, emptyAfterRepair: r.empty, collapsed: r.collapsed }));
    progress?.(part.length);
  }
  return out;
}

/** Upserts the units that are new or changed; interior point and area are derived in the same statement. */
async function write(tx: Db, units: Unit[], opts: ImportOptions, progress?: (n: number) => void): Promise<void> {
  for (const part of chunks(units)) {
    const rows = await tx.query(sql`
      INSERT INTO city (code, name, province, province_code, region, boundary, centroid, area_km2)
      SELECT t.code, t.name, t.province, NULL, t.region, g.boundary, ST_PointOnSurface(g.boundary), ST_Area(g.boundary::geography) / 1e6
      FROM unnest(${part.map((u) => u.code)}::text[], ${part.map((u) => u.name)}::text[], ${part.map((u) => u.province)}::text[],
                  ${part.map((u) => u.region)}::text[], ${part.map((u) => JSON.stringify(u.geometry))}::text[]) AS t(code, name, province, region, g)
      CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_GeomFromGeoJSON(t.g), 4326) AS raw) r
      CROSS JOIN LATERAL (
        SELECT (CASE WHEN ST_IsValid(r.raw) THEN ST_Multi(r.raw)
                     ELSE ${repairedSql(sql`r.raw`)} END)::geometry(MultiPolygon, 4326) AS boundary
      ) g
      ON CONFLICT (code) DO UPDATE SET
        name = EXCLUDED.name,
        province = CASE WHEN ${opts.replace === true}::bool OR EXCLUDED.province IS NOT NULL THEN EXCLUDED.province ELSE city.province END,
        region = CASE WHEN ${opts.replace === true}::bool OR EXCLUDED.region IS NOT NULL THEN EXCLUDED.region ELSE city.region END,
        province_code = CASE WHEN ${opts.replace === true}::bool THEN NULL ELSE city.province_code END,
        boundary = EXCLUDED.boundary, centroid = EXCLUDED.centroid, area_km2 = EXCLUDED.area_km2
      RETURNING code`);
    if (rows.length !== part.length) throw new Error(`unit import stored ${rows.length} of ${part.length} rows (first code ${part[0].code}); nothing was kept`);
    progress?.(part.length);
  }
}

/** Pairs of file units that are neighbours, with the length of border they share (km, max of both directions). */
function neighbourPairs(units: Unit[], rule: 'exact' | 'band'): { a: string; b: string; km: number }[] {
  if (rule === 'band') {
    const feats = units.map((u) => ({
      type: 'Feature', properties: { code: u.code },
      geometry: { type: 'MultiPolygon', coordinates: u.geometry.type === 'Polygon' ? [u.geometry.coordinates] : u.geometry.coordinates },
    })) as unknown as CityFeature[];
    return bandContiguity(feats).pairs;
  }
  const rings = units.map((u) => featureRings({ type: 'Feature', geometry: u.geometry }, `feature ${u.line} (${u.code})`));
  const nb = exactContiguity(rings, true, DEFAULT_SNAP);
  // shared border: segments whose two ends are vertices of the other unit (exact coordinates; clean topologies)
  const owners = new Map<string, number[]>();
  const key = (p: number[]) => `${p[0]},${p[1]}`;
  rings.forEach((fr, i) => { for (const r of fr.rings) for (const p of r) { const k = key(p), o = owners.get(k); if (!o) owners.set(k, [i]); else if (o[o.length - 1] !== i) o.push(i); } });
  const dirKm = new Map<number, number>(), n = units.length;
  rings.forEach((fr, i) => {
    for (const r of fr.rings) for (let s = 0; s + 1 < r.length; s++) {
      const A = owners.get(key(r[s])), B = owners.get(key(r[s + 1]));
      if (!A || !B || A.length < 2 || B.length < 2) continue;
      const km = greatCircleKm(r[s][0], r[s][1], r[s + 1][0], r[s + 1][1]);
      for (const j of A) if (j !== i && B.includes(j)) dirKm.set(i * n + j, (dirKm.get(i * n + j) ?? 0) + km);
    }
  });
  const pairs: { a: string; b: string; km: number }[] = [];
  nb.forEach((list, i) => {
    for (const j of list) if (j > i) pairs.push({ a: units[i].code, b: units[j].code, km: Math.max(dirKm.get(i * n + j) ?? 0, dirKm.get(j * n + i) ?? 0) });
  });
  return pairs;
}

/** Replaces the neighbour rows of the file's units; distance between stored interior points (great circle). */
async function writeNeighbours(tx: Db, codes: string[], pairs: { a: string; b: string; km: number }[]): Promise<{ changed: boolean }> {
  const digest = async () => (await tx.query<{ d: string | null }>(sql`
    SELECT md5(string_agg(city_code || '|' || neighbour_code || '|' || shared_km::text || '|' || distance_km::text, ',' ORDER BY city_code, neighbour_code)) AS d
    FROM city_neighbour WHERE city_code = ANY(${codes}::text[]) OR neighbour_code = ANY(${codes}::text[])`))[0].d;
  const before = await digest();
  await tx.query(sql`DELETE FROM city_neighbour WHERE city_code = ANY(${codes}::text[]) OR neighbour_code = ANY(${codes}::text[])`);
  for (const part of chunks(pairs, 5000)) {
    const a = part.map((p) => p.a), c = part.map((p) => p.b), km = part.map((p) => p.km);
    const rows = await tx.query(sql`
      WITH p AS (
        SELECT t.a, t.c, t.km, ST_Distance(x.centroid::geography, y.centroid::geography) / 1000 AS d
        FROM unnest(${a}::text[], ${c}::text[], ${km}::float8[]) AS t(a, c, km)
        JOIN city x ON x.code = t.a JOIN city y ON y.code = t.c
      )
      INSERT INTO city_neighbour (city_code, neighbour_code, shared_km, distance_km)
      SELECT a, c, km, d FROM p UNION ALL SELECT c, a, km, d FROM p
      RETURNING 1`);
    if (rows.length !== 2 * part.length) throw new Error(`neighbour import stored ${rows.length} of ${2 * part.length} rows`);
  }
  return { changed: (await digest()) !== before };
}

export const boundariesImporter: Importer = {
  kind: 'boundaries',
  async run(tx: Db, input: ImportInput, opts: ImportOptions, progress?: Progress): Promise<ImporterResult> {
    const max = opts.maxProblems ?? DEFAULT_MAX_PROBLEMS;
    const rule = opts.contiguity ?? DEFAULT_CONTIGUITY;
    if (rule !== 'exact' && rule !== 'band') reject(`contiguity must be exact or band, got "${String(rule)}"`, { column: 'contiguity' });
    const { features, crs, warnings } = await readFeatures(input, opts);
    const checked = checkFeatures(features, crs, opts);
    let { units, problems } = checked;
    // --skip-invalid: a feature's own problems leave it out (listed); problems of the file as a whole still reject
    const skipped: RowProblem[] = [];
    if (opts.skipInvalid) {
      skipped.push(...problems.filter((p) => p.line > 0));
      problems = problems.filter((p) => p.line === 0);
    }
    const total = features.length * 2;
    let done = 0;
    const tick = (n: number) => { done += n; progress?.(done, total); };
    // validity and state of the units that passed the field checks (all of them, so every bad feature is listed)
    let states = await classify(tx, units, opts, tick);
    const repaired: string[] = [], collapsed: string[] = [];
    const left = new Set<string>();
    for (const s of states) {
      if (s.invalid === null) continue;
      let p: RowProblem | null = null;
      if (s.emptyAfterRepair) p = { line: s.line, column: 'geometry', feature: s.code, reason: `invalid polygon: ${s.invalid}; repairing leaves no area` };
      else if (opts.repair) { repaired.push(s.code); if (s.collapsed) collapsed.push(s.code); }
      else p = { line: s.line, column: 'geometry', feature: s.code, reason: `invalid polygon: ${s.invalid} (--repair makes it valid)` };
      if (p && opts.skipInvalid) { skipped.push(p); left.add(s.code); } else if (p) problems.push(p);
    }
    if (left.size) {
      units = units.filter((u) => !left.has(u.code));
      states = states.filter((s) => !left.has(s.code));
    }
    if (opts.skipInvalid && !units.length && !problems.length) problems.push({ line: 0, reason: `every feature has a problem (${skipped.length} left out by --skip-invalid): nothing to import` });
    if (problems.length) {
      problems.sort((a, b) => a.line - b.line);
      throw new ImportRejected(problems.slice(0, max), problems.length, features.length);
    }
    if (repaired.length) warnings.push(`${repaired.length} invalid outline${repaired.length === 1 ? '' : 's'} repaired (ST_MakeValid): ${repaired.slice(0, 20).join(', ')}${repaired.length > 20 ? ', ...' : ''}`);
    if (collapsed.length) warnings.push(`${collapsed.length} outline${collapsed.length === 1 ? '' : 's'} without area kept as a ~1 cm buffer of their lines: ${collapsed.join(', ')}`);
    if (crs.toLonLat) warnings.push(`reprojected from ${crs.label} to EPSG:4326${crs.transformation ? `; datum transformation: ${crs.transformation}` : ''}`);
    if (crs.toLonLat) warnings.push(`reprojected from ${crs.label} to EPSG:4326`);
    skipped.sort((a, b) => a.line - b.line);
    // the reasons are in skippedRows; the warning names the features
    if (skipped.length) warnings.push(`${skipped.length} feature${skipped.length === 1 ? '' : 's'} left out (--skip-invalid): ${skipped.slice(0, 50).map((p) => p.feature ?? `#${p.line}`).join(', ')}${skipped.length > 50 ? ', ...' : ''}`);
    const byCode = new Map(states.map((s) => [s.code, s.state]));
    const toWrite = units.filter((u) => byCode.get(u.code) !== 'same');
    await write(tx, toWrite, opts, tick);
    tick(units.length - toWrite.length);
    const codes = units.map((u) => u.code);
    const pairs = neighbourPairs(units, rule);
    const nb = await writeNeighbours(tx, codes, pairs);
    const linked = new Set(pairs.flatMap((p) => [p.a, p.b]));
    const islands = units.length - linked.size;
    if (units.length > 1 && islands > units.length / 10) {
      warnings.push(`${islands} of ${units.length} units have no contiguous neighbour under --contiguity ${rule}${rule === 'exact' ? ' (outlines that do not share vertices exactly: try --contiguity band)' : ''}`);
    }
    const rook = pairs.filter((p) => p.km >= ROOK_MIN_KM).length;
    const counts = {
      inserted: states.filter((s) => s.state === 'new').length,
      updated: states.filter((s) => s.state === 'changed').length,
      unchanged: states.filter((s) => s.state === 'same').length,
      deleted: 0,
    };
    if (nb.changed && counts.inserted + counts.updated === 0) warnings.push('neighbours changed (contiguity rule) although no outline did');
    return {
      rowsRead: features.length, counts, changed: nb.changed || toWrite.length > 0,
      problems: [], problemCount: 0, warnings,
      ...(opts.skipInvalid ? { skipped: skipped.length, skippedRows: skipped.slice(0, max) } : {}),
      derived: [
        `interior points and areas: ${toWrite.length} units`,
        `neighbours (${rule}): ${pairs.length} pairs (${rook} rook with >= ${ROOK_MIN_KM} km shared), ${islands} units without neighbour`,
      ],
      touchedCodes: nb.changed || toWrite.length ? codes : [],
    };
  },
};

registerImporter(boundariesImporter);
export const importer = boundariesImporter;
