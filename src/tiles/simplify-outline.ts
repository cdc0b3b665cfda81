// Outline simplification in process (Douglas-Peucker per ring, simplify-js), so both database engines store the very
// same outlines: PostGIS's ST_SimplifyPreserveTopology gives different vertices under GEOS 3.11 and 3.14.
// Topology is kept by the caller: a result PostGIS finds invalid is simplified again at half the tolerance.
import simplify from 'simplify-js';

export type Ring = number[][];
export type MultiPolygonCoords = Ring[][];

/** Shoelace area in square degrees (sign dropped). */
export function ringArea(r: Ring): number {
  let s = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) s += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]);
  return Math.abs(s) / 2;
}

/** A closed ring simplified at `tolerance` degrees, or null when it collapses (fewer than 4 positions or no area). */
function simplifyRing(ring: Ring, tolerance: number): Ring | null {
  const pts = simplify(ring.map(([x, y]) => ({ x, y })), tolerance, true).map((p) => [p.x, p.y]);
  const [a, b] = [pts[0], pts[pts.length - 1]];
  if (a[0] !== b[0] || a[1] !== b[1]) pts.push([a[0], a[1]]);
  return pts.length >= 4 && ringArea(pts) > 0 ? pts : null;
}

/**
 * Each ring simplified on its own. Holes and islands that collapse are dropped (generalisation); when every polygon
 * collapses, the largest is kept as it is, so a unit never vanishes. tolerance 0 returns the outline unchanged.
 */
export function simplifyMultiPolygon(coords: MultiPolygonCoords, tolerance: number): MultiPolygonCoords {
  if (tolerance <= 0) return coords;
  const out: MultiPolygonCoords = [];
  for (const poly of coords) {
    const outer = simplifyRing(poly[0], tolerance);
    if (!outer) continue;
    const holes = poly.slice(1).map((h) => simplifyRing(h, tolerance)).filter((h): h is Ring => h !== null);
    out.push([outer, ...holes]);
  }
  if (out.length) return out;
  const largest = coords.reduce((best, p) => (ringArea(p[0]) > ringArea(best[0]) ? p : best), coords[0]);
  return [largest];
}

/** GeoJSON text with coordinates rounded to 5 decimals (~1 m), as ST_AsGeoJSON(g, 5) would send them. */
export function multiPolygonJson(coords: MultiPolygonCoords): string {
  const r = (v: number) => Math.round(v * 1e5) / 1e5;
  return JSON.stringify({ type: 'MultiPolygon', coordinates: coords.map((p) => p.map((ring) => ring.map(([x, y]) => [r(x), r(y)]))) });
}
