// Query parameters of the OGC API: parsing and validation, every error naming its parameter (HTTP 400 unless said).
export class ParamError extends Error {
  constructor(readonly param: string, message: string, readonly status = 400) { super(`${param}: ${message}`); }
}

export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
// EPSG:4326 is not an alias: its axis order is latitude, longitude
const CRS84_ALIASES = new Set([CRS84, 'https://www.opengis.net/def/crs/OGC/1.3/CRS84', '[OGC:CRS84]', 'OGC:CRS84']);

export function intParam(sp: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = sp.get(name);
  if (raw === null || raw === '') return dflt;
  const v = Number(raw);
  if (!/^\s*-?\d+\s*$/.test(raw) || v < min || v > max) throw new ParamError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  return v;
}

export function bboxParam(sp: URLSearchParams): [number, number, number, number] | undefined {
  const raw = sp.get('bbox');
  if (raw === null || raw === '') return undefined;
  const v = raw.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (v.length === 6) throw new ParamError('bbox', 'boxes with heights (6 numbers) are not supported; give minLon,minLat,maxLon,maxLat');
  if (v.length !== 4 || v.some((x) => !Number.isFinite(x))) throw new ParamError('bbox', `expects minLon,minLat,maxLon,maxLat (4 numbers, CRS84), got "${raw}"`);
  const [x1, y1, x2, y2] = v;
  if (![x1, x2].every((x) => x >= -180 && x <= 180) || ![y1, y2].every((y) => y >= -90 && y <= 90)) throw new ParamError('bbox', 'longitudes must lie within [-180, 180] and latitudes within [-90, 90]');
  if (x1 > x2 || y1 > y2) throw new ParamError('bbox', 'min must not exceed max (boxes across the antimeridian are not supported)');
  return [x1, y1, x2, y2];
}

/** bbox-crs / filter-crs / crs: only CRS84 (longitude, latitude) is served. */
export function crsParam(sp: URLSearchParams, name: string) {
  const raw = sp.get(name);
  if (raw === null || raw === '' || CRS84_ALIASES.has(raw.trim())) return;
  throw new ParamError(name, `only ${CRS84} (longitude, latitude) is supported, got "${raw}"`);
}

export function simplifyParam(sp: URLSearchParams): number {
  const raw = sp.get('simplify');
  if (raw === null || raw === '') return 0;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) throw new ParamError('simplify', `tolerance must be within [0, 1] degrees, got "${raw}"`);
  return v;
}

/** Year of one datetime instant: YYYY, YYYY-MM-DD or an RFC 3339 date-time (its UTC year). */
function instantYear(s: string, param: string): number {
  if (/^\d{4}$/.test(s)) return Number(s);
  if (/^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s))) return Number(s.slice(0, 4));
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return new Date(t).getUTCFullYear();
  }
  throw new ParamError(param, `"${s}" is not a year, a date (YYYY-MM-DD) or an RFC 3339 date-time`);
}

/**
 * The year of the metrics for `datetime` (or the shortcut `year`): an instant selects its year; an interval
 * (start/end, either end open with ".." or empty) selects the LATEST year with data inside it; absent → the latest
 * year with data. Features carry one year's values, so an interval cannot return several years of one city.
 */
export function yearParam(sp: URLSearchParams, years: readonly number[]): number {
  const dt = sp.get('datetime');
  const y = sp.get('year');
  if (dt !== null && y !== null) throw new ParamError('year', 'give either datetime or year, not both');
  const param = dt !== null ? 'datetime' : 'year';
  const raw = (dt ?? y)?.trim();
  const latest = years[years.length - 1];
  if (raw === undefined || raw === '') {
    if (latest === undefined) throw new ParamError(param, 'the store has no years with data');
    return latest;
  }
  let lo: number; let hi: number;
  if (param === 'datetime' && raw.includes('/')) {
    const parts = raw.split('/');
    if (parts.length !== 2) throw new ParamError(param, `an interval is start/end, got "${raw}"`);
    const open = (s: string) => s === '' || s === '..';
    if (open(parts[0]) && open(parts[1])) throw new ParamError(param, 'an interval needs at least one bounded end');
    lo = open(parts[0]) ? -Infinity : instantYear(parts[0], param);
    hi = open(parts[1]) ? Infinity : instantYear(parts[1], param);
    if (lo > hi) throw new ParamError(param, `the interval "${raw}" ends before it starts`);
  } else {
    if (param === 'year' && !/^\d{4}$/.test(raw)) throw new ParamError(param, `must be a year (YYYY), got "${raw}"`);
    lo = hi = instantYear(raw, param);
  }
  const inside = years.filter((x) => x >= lo && x <= hi);
  if (!inside.length) throw new ParamError(param, `no data for "${raw}"; years with data: ${years.length ? `${years[0]}-${latest}` : 'none'}`);
  return inside[inside.length - 1];
}

export type Format = 'json' | 'html';

/** f=json|geojson|html, else the Accept header (text/html before any JSON type → HTML), else JSON. */
export function formatOf(sp: URLSearchParams, accept: string | undefined): Format {
  const f = sp.get('f');
  if (f !== null) {
    if (f === 'json' || f === 'geojson' || f === 'application/json' || f === 'application/geo+json') return 'json';
    if (f === 'html' || f === 'text/html') return 'html';
    throw new ParamError('f', `expects json, geojson or html, got "${f}"`);
  }
  if (!accept) return 'json';
  const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  const html = types.indexOf('text/html');
  const json = types.findIndex((t) => t.includes('json'));
  return html >= 0 && (json < 0 || html < json) ? 'html' : 'json';
}

export function checkKnown(sp: URLSearchParams, allowed: ReadonlySet<string>, hint = '') {
  for (const k of new Set(sp.keys())) {
    if (!allowed.has(k)) throw new ParamError(k, `unknown query parameter; allowed: ${[...allowed].join(', ')}${hint}`);
    if (sp.getAll(k).length > 1) throw new ParamError(k, 'given more than once');
  }
}
