// Structural checks of GeoJSON geometries (validity proper is PostGIS's job: ST_IsValid).

const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);

function isPosition(p: unknown): boolean {
  return Array.isArray(p) && p.length >= 2 && p.length <= 3 && p.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** Returns why `g` is not a GeoJSON geometry (or Feature with a geometry), or null. */
export function geoJsonShapeProblem(g: unknown): string | null {
  if (typeof g !== 'object' || g === null) return 'must be a GeoJSON object';
  const o = g as { type?: unknown; coordinates?: unknown; geometry?: unknown; geometries?: unknown };
  if (o.type === 'Feature') return geoJsonShapeProblem(o.geometry);
  if (typeof o.type !== 'string' || !GEOMETRY_TYPES.has(o.type)) return `unknown geometry type ${JSON.stringify(o.type)}`;
  if (o.type === 'GeometryCollection') {
    if (!Array.isArray(o.geometries)) return 'GeometryCollection needs "geometries"';
    for (const sub of o.geometries) { const p = geoJsonShapeProblem(sub); if (p) return p; }
    return null;
  }
  const depth = { Point: 0, MultiPoint: 1, LineString: 1, MultiLineString: 2, Polygon: 2, MultiPolygon: 3 }[o.type as 'Point'];
  const check = (c: unknown, d: number): boolean => (d === 0 ? isPosition(c) : Array.isArray(c) && c.length > 0 && c.every((x) => check(x, d - 1)));
  if (!check(o.coordinates, depth)) return `${o.type} coordinates are malformed`;
  if (o.type === 'Polygon' || o.type === 'MultiPolygon') {
    const polys = (o.type === 'Polygon' ? [o.coordinates] : o.coordinates) as number[][][][];
    for (const ring of polys.flat()) {
      const a = ring[0], b = ring[ring.length - 1];
      if (ring.length < 4 || a[0] !== b[0] || a[1] !== b[1]) return 'polygon rings must be closed and have at least 4 positions';
    }
  }
  return null;
}

/** Even-odd ray test: is point p inside the ring (lon/lat pairs; closing point optional)? */
export function pointInRing(p: readonly number[], r: readonly (readonly number[])[]): boolean {
  let inside = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const [xi, yi] = r[i];
    const [xj, yj] = r[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
