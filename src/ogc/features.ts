// A small read-only OGC API - Features (Part 1: Core, GeoJSON) over the stored cities, for GIS clients (QGIS, GDAL
// "OAPIF:" driver, web maps). Routes: /ogc (landing page), /conformance, /collections, /collections/cities,
// /collections/cities/items?bbox=&limit=&offset=&year=&simplify=, /collections/cities/items/{code}.
// Framework free: returns the response to write, or null when the path is not one of these.
import type { Db } from '../db/db.js';
import { cityExtent, cityItems, type ItemsQuery } from './items.js';

export interface OgcResponse { status: number; contentType: string; body: string }

export const OGC_PATHS = /^\/(ogc\/?|conformance|collections(\/.*)?)$/;
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;
const ITEM_PARAMS = new Set(['bbox', 'limit', 'offset', 'year', 'simplify', 'f']);
const ONE_ITEM_PARAMS = new Set(['year', 'simplify', 'f']);

const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
];

class ParamError extends Error {
  constructor(readonly param: string, message: string, readonly status = 400) { super(`${param}: ${message}`); }
}

const json = (status: number, body: unknown, contentType = 'application/json'): OgcResponse => ({ status, contentType, body: JSON.stringify(body) });

function intParam(sp: URLSearchParams, name: string, dflt: number | undefined, min: number, max: number): number | undefined {
  const raw = sp.get(name);
  if (raw === null || raw === '') return dflt;
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isInteger(v) || v < min || v > max) throw new ParamError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  return v;
}

function bboxParam(sp: URLSearchParams): [number, number, number, number] | undefined {
  const raw = sp.get('bbox');
  if (raw === null || raw === '') return undefined;
  const v = raw.split(',').map((s) => Number(s.trim()));
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) throw new ParamError('bbox', `expects minLon,minLat,maxLon,maxLat (4 numbers, CRS84), got "${raw}"`);
  const [x1, y1, x2, y2] = v;
  if (![x1, x2].every((x) => x >= -180 && x <= 180) || ![y1, y2].every((y) => y >= -90 && y <= 90)) throw new ParamError('bbox', 'longitudes must lie within [-180, 180] and latitudes within [-90, 90]');
  if (x1 > x2 || y1 > y2) throw new ParamError('bbox', 'min must not exceed max (boxes across the antimeridian are not supported)');
  return [x1, y1, x2, y2];
}

function simplifyParam(sp: URLSearchParams): number {
  const raw = sp.get('simplify');
  if (raw === null || raw === '') return 0;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new ParamError('simplify', `tolerance must be within [0, 1] degrees, got "${raw}"`);
  return v;
}

function checkKnown(sp: URLSearchParams, allowed: Set<string>) {
  for (const k of sp.keys()) if (!allowed.has(k)) throw new ParamError(k, `unknown query parameter; allowed: ${[...allowed].join(', ')}`);
  const f = sp.get('f');
  if (f !== null && !['json', 'geojson'].includes(f)) throw new ParamError('f', `only json / geojson are served, got "${f}"`);
}

function collection(base: string, extent?: Awaited<ReturnType<typeof cityExtent>>) {
  return {
    id: 'cities',
    title: 'Prefecture-level cities of China',
    description: 'Real outlines with city attributes; ?year= adds that year\'s city-year metrics (SYNTHETIC demo data). ?simplify= (degrees) lightens outlines.',
    itemType: 'feature',
    crs: ['http://www.opengis.net/def/crs/OGC/1.3/CRS84'],
    ...(extent ? {
      extent: {
        spatial: { bbox: [extent.bbox], crs: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84' },
        ...(extent.years ? { temporal: { interval: [[`${extent.years[0]}-01-01T00:00:00Z`, `${extent.years[1]}-12-31T23:59:59Z`]] } } : {}),
      },
    } : {}),
    links: [
      { href: `${base}/collections/cities`, rel: 'self', type: 'application/json', title: 'this collection' },
      { href: `${base}/collections/cities/items`, rel: 'items', type: 'application/geo+json', title: 'cities' },
    ],
  };
}

async function items(db: Db, base: string, sp: URLSearchParams, code?: string): Promise<OgcResponse> {
  checkKnown(sp, code ? ONE_ITEM_PARAMS : ITEM_PARAMS);
  const q: ItemsQuery = {
    bbox: code ? undefined : bboxParam(sp),
    limit: code ? 1 : intParam(sp, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT)!,
    offset: code ? 0 : intParam(sp, 'offset', 0, 0, 1_000_000)!,
    year: intParam(sp, 'year', undefined, 1900, 2100),
    simplify: simplifyParam(sp),
    code,
  };
  if (code !== undefined && !/^[1-8]\d{5}$/.test(code)) throw new ParamError('featureId', `"${code}" is not a 6-digit city code`, 404);
  const page = await cityItems(db, q);
  if (q.year !== undefined && page.yearRows === 0) throw new ParamError('year', `no city-year data for ${q.year}`);
  if (code !== undefined) {
    if (!page.features.length) throw new ParamError('featureId', `no city with code ${code}`, 404);
    const f = page.features[0] as Record<string, unknown>;
    return json(200, { ...f, links: [
      { href: `${base}/collections/cities/items/${code}`, rel: 'self', type: 'application/geo+json' },
      { href: `${base}/collections/cities`, rel: 'collection', type: 'application/json' },
    ] }, 'application/geo+json');
  }
  const link = (rel: string, offset: number) => {
    const p = new URLSearchParams(sp);
    p.set('offset', String(offset));
    p.set('limit', String(q.limit));
    return { href: `${base}/collections/cities/items?${p}`, rel, type: 'application/geo+json' };
  };
  const links = [link('self', q.offset)];
  if (q.offset + page.features.length < page.matched) links.push(link('next', q.offset + q.limit));
  if (q.offset > 0) links.push(link('prev', Math.max(0, q.offset - q.limit)));
  links.push({ href: `${base}/collections/cities`, rel: 'collection', type: 'application/json' });
  return json(200, {
    type: 'FeatureCollection',
    numberMatched: page.matched,
    numberReturned: page.features.length,
    timeStamp: new Date().toISOString(),
    features: page.features,
    links,
  }, 'application/geo+json');
}

/** Answers an OGC API - Features request; `base` is the server origin (e.g. http://localhost:4000). */
export async function ogcResponse(db: Db, url: URL, base: string): Promise<OgcResponse | null> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (!OGC_PATHS.test(path) && path !== '/ogc') return null;
  try {
    if (path === '/ogc') {
      return json(200, {
        title: 'Agglomera - OGC API - Features',
        description: 'Chinese prefecture-level cities (real outlines) with city-year metrics (SYNTHETIC demo data). GraphQL at /graphql.',
        links: [
          { href: `${base}/ogc`, rel: 'self', type: 'application/json', title: 'this document' },
          { href: `${base}/conformance`, rel: 'conformance', type: 'application/json' },
          { href: `${base}/collections`, rel: 'data', type: 'application/json' },
        ],
      });
    }
    if (path === '/conformance') return json(200, { conformsTo: CONFORMANCE });
    if (path === '/collections') {
      return json(200, {
        links: [{ href: `${base}/collections`, rel: 'self', type: 'application/json' }],
        collections: [collection(base, await cityExtent(db))],
      });
    }
    if (path === '/collections/cities') return json(200, collection(base, await cityExtent(db)));
    if (path === '/collections/cities/items') return await items(db, base, url.searchParams);
    const one = /^\/collections\/cities\/items\/([^/]+)$/.exec(path);
    if (one) return await items(db, base, url.searchParams, decodeURIComponent(one[1]));
    return json(404, { code: 'NotFound', description: `no such resource ${path}; the collection is /collections/cities` });
  } catch (e) {
    if (e instanceof ParamError) {
      return json(e.status, { code: e.status === 404 ? 'NotFound' : 'InvalidParameterValue', parameter: e.param, description: e.message });
    }
    throw e;
  }
}
