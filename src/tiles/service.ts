// Serving tiles: parameters checked, the year resolved, an ETag from the data and geometry versions (so a 304 needs
// no tile work), the encoder picked by engine, and a small in-memory cache of recent tiles per database handle. A
// cached tile keeps its gzip / brotli bytes beside the raw ones (filled on first ask), so it is compressed once per
// data version.
import { createHash } from 'node:crypto';
import type { Db } from '../db/db.js';
import type { Encoding } from '../http/compress.js';
import { sql } from '../db/sql.js';
import { fillMissingOutlines, mapVersions } from '../db/queries/outlines.js';
import { encodeTile, type Encoder } from './encode.js';
import { LAYERS, isLayer, type LayerName } from './layers.js';
import { cityMetricsIndex } from './metrics.js';
import { tileProblem, type TileCoord } from './tile-math.js';

export class TileError extends Error {
  constructor(readonly status: 400 | 404, message: string) { super(message); }
}

export interface TileAnswer {
  /** empty when the tile has no feature (answered 204) */
  body: Buffer;
  /** compressed variants of `body` kept with the cached tile (filled by sendBody, src/http/compress.ts) */
  encoded: Partial<Record<Encoding, Buffer>>;
  etag: string;
  year: number;
  layer: LayerName;
}

const MAX_CACHED = 512;

interface CachedTile { body: Buffer; encoded: Partial<Record<Encoding, Buffer>> }
interface DbState { geometryChecked: number; filling?: Promise<unknown>; tiles: Map<string, CachedTile> }
const state = new WeakMap<Db, DbState>();

function stateOf(db: Db): DbState {
  let s = state.get(db);
  if (!s) state.set(db, (s = { geometryChecked: -1, tiles: new Map() }));
  return s;
}

export const defaultEncoder = (db: Db): Encoder => (db.kind === 'postgres' ? 'postgis' : 'js');

/** Versions of the data behind the map; outlines missing since the last geometry change are computed first. */
async function versions(db: Db) {
  const s = stateOf(db);
  let v = await mapVersions(db);
  if (v.geometry !== s.geometryChecked) {
    // one fill at a time per store: concurrent requests wait for it rather than compute the same outlines
    s.filling ??= fillMissingOutlines(db).finally(() => { s.filling = undefined; });
    await s.filling;
    v = await mapVersions(db);
    s.geometryChecked = v.geometry;
  }
  return v;
}

/** Stored years and the year a request means (`year` absent → the latest). Throws TileError. */
export async function resolveYear(db: Db, year: number | undefined): Promise<{ year: number; years: number[]; dataVersion: number; geometryVersion: number }> {
  const v = await versions(db);
  const { years } = await cityMetricsIndex(db, v.data);
  if (!years.length) throw new TileError(404, 'the store has no city-year data');
  const y = year ?? years[years.length - 1];
  if (!years.includes(y)) throw new TileError(404, `year ${y} has no data; stored years: ${years[0]}..${years[years.length - 1]}`);
  return { year: y, years, dataVersion: v.data, geometryVersion: v.geometry };
}

/** Parses `?year=`; only that parameter is accepted. */
export function yearParam(sp: URLSearchParams): number | undefined {
  for (const k of sp.keys()) if (k !== 'year') throw new TileError(400, `unknown query parameter "${k}"; allowed: year`);
  const raw = sp.get('year');
  if (raw === null || raw === '') return undefined;
  if (!/^\d{4}$/.test(raw) || Number(raw) < 1900 || Number(raw) > 2100) throw new TileError(400, `year must be a year between 1900 and 2100, got "${raw}"`);
  return Number(raw);
}

/** z/x/y path parts as a tile of `layer` (TileError 404 for an unknown layer, 400 for a bad tile). */
export function parseTile(layer: string, z: string, x: string, y: string): { layer: LayerName; tile: TileCoord } {
  if (!isLayer(layer)) throw new TileError(404, `no tile layer "${layer}"; layers: ${Object.keys(LAYERS).join(', ')}`);
  if (![z, x, y].every((s) => /^\d{1,9}$/.test(s))) throw new TileError(400, `z, x and y must be non-negative integers, got ${z}/${x}/${y}`);
  const tile = { z: Number(z), x: Number(x), y: Number(y) };
  const spec = LAYERS[layer];
  const problem = tileProblem(tile, spec.minzoom, spec.maxzoom);
  if (problem) throw new TileError(400, `${layer} tile ${z}/${x}/${y}: ${problem}`);
  return { layer, tile };
}

/** The ETag a tile would have now, and the tile itself when `ifNoneMatch` does not match it. */
export async function getTile(
  db: Db, req: { layer: LayerName; tile: TileCoord; year?: number },
  opts: { encoder?: Encoder; ifNoneMatch?: string } = {},
): Promise<TileAnswer & { notModified: boolean }> {
  const encoder = opts.encoder ?? defaultEncoder(db);
  const { year, dataVersion, geometryVersion } = await resolveYear(db, req.year);
  const { z, x, y } = req.tile;
  const key = `${dataVersion}.${geometryVersion}|${encoder}|${req.layer}|${z}/${x}/${y}|${year}`;
  const etag = `"${createHash('sha1').update(key).digest('base64url').slice(0, 22)}"`;
  const base = { etag, year, layer: req.layer };
  if (opts.ifNoneMatch && opts.ifNoneMatch.split(',').map((s) => s.trim().replace(/^W\//, '')).some((t) => t === etag || t === '*')) {
    return { ...base, body: Buffer.alloc(0), encoded: {}, notModified: true };
  }
  const tiles = stateOf(db).tiles;
  let cached = tiles.get(key);
  if (cached) { tiles.delete(key); tiles.set(key, cached); } else {
    const { byYear } = await cityMetricsIndex(db, dataVersion);
    cached = { body: await encodeTile(db, { layer: req.layer, tile: req.tile, year, metrics: byYear.get(year)! }, encoder), encoded: {} };
    tiles.set(key, cached);
    if (tiles.size > MAX_CACHED) tiles.delete(tiles.keys().next().value!);
  }
  return { ...base, body: cached.body, encoded: cached.encoded, notModified: false };
}

/** The tile's bytes in `enc`, compressed on the first ask and kept with the cached tile (same data version). */
/** Extent of the stored outlines (lon/lat) and a centre point inside it. */
export async function storeExtent(db: Db): Promise<[number, number, number, number] | null> {
  const [r] = await db.query<{ x1: number | null; y1: number; x2: number; y2: number }>(sql`
    SELECT ST_XMin(e) AS x1, ST_YMin(e) AS y1, ST_XMax(e) AS x2, ST_YMax(e) AS y2 FROM (SELECT ST_Extent(boundary)::geometry AS e FROM city) s`);
  return r.x1 === null ? null : [r.x1, r.y1, r.x2, r.y2];
}
