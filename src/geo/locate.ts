// Point in unit, in process: which stored unit's boundary contains a lon/lat point. A spatial index over the units'
// bounding boxes (flatbush) picks the candidates, an exact point-in-polygon test (point-in-polygon-hao: holes handled,
// 0 on an edge) decides. Same answer as PostGIS ST_Contains: a point on a boundary is contained by no unit. Used on
// the embedded database, whose PostGIS was seen to drop rows in heavy geometry statements.
import Flatbush from 'flatbush';
import pointInPolygon from 'point-in-polygon-hao';

export type MultiPolygonCoords = number[][][][];

export interface LocatorUnit { code: string; name?: string | null; coordinates: MultiPolygonCoords }

/** inside: exactly one unit contains the point. border: on the boundary of the units named. none / several otherwise. */
export type Placement =
  | { kind: 'inside'; code: string }
  | { kind: 'border'; codes: string[] }
  | { kind: 'several'; codes: string[] }
  | { kind: 'none' };

export interface Nearest { code: string; name: string | null; km: number }

const EARTH_KM = 6371.0088;
const RAD = Math.PI / 180;

export class UnitLocator {
  private readonly index: Flatbush | null;
  private readonly units: LocatorUnit[];

  constructor(units: LocatorUnit[]) {
    this.units = units.filter((u) => u.coordinates.some((p) => p.length && p[0].length));
    if (!this.units.length) { this.index = null; return; }
    this.index = new Flatbush(this.units.length);
    for (const u of this.units) {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const poly of u.coordinates) for (const [x, y] of poly[0] ?? []) {
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
      this.index.add(x0, y0, x1, y1);
    }
    this.index.finish();
  }

  get size(): number { return this.units.length; }

  /** The units as given (codes, names, coordinates). */
  get all(): readonly LocatorUnit[] { return this.units; }

  /** The units whose boundary contains (lon, lat) strictly (as ST_Contains), and those on whose boundary it lies. */
  classify(lon: number, lat: number): { inside: string[]; edge: string[] } {
    const inside: string[] = [], edge: string[] = [];
    if (!this.index) return { inside, edge };
    for (const i of this.index.search(lon, lat, lon, lat)) {
      const u = this.units[i];
      let state: boolean | 0 = false;
      for (const poly of u.coordinates) {
        const r = pointInPolygon([lon, lat], poly);
        if (r === 0) { state = 0; break; }
        if (r) state = true;
      }
      if (state === 0) edge.push(u.code);
      else if (state) inside.push(u.code);
    }
    return { inside: inside.sort(), edge: edge.sort() };
  }

  /** Where (lon, lat) falls: in exactly one unit, on a border, in several (overlapping) units, or in none. */
  locate(lon: number, lat: number): Placement {
    const { inside, edge } = this.classify(lon, lat);
    // exactly one unit containing the point places it, as with ST_Contains on PostgreSQL
    if (inside.length === 1) return { kind: 'inside', code: inside[0] };
    if (inside.length > 1) return { kind: 'several', codes: inside };
    if (edge.length) return { kind: 'border', codes: edge };
    return { kind: 'none' };
  }

  /** The unit whose boundary is nearest to (lon, lat) and the distance in km (0 inside or on it). */
  nearest(lon: number, lat: number, candidates = 16): Nearest | null {
    if (!this.index) return null;
    // bounding boxes nearest in degrees first; the exact distance decides among them
    let best: Nearest | null = null;
    for (const i of this.index.neighbors(lon, lat, candidates)) {
      const u = this.units[i];
      const km = distanceToUnitKm(lon, lat, u.coordinates);
      if (!best || km < best.km) best = { code: u.code, name: u.name ?? null, km };
    }
    return best;
  }
}

/** Distance in km from a point to a multipolygon's outline (0 when inside), on a local equirectangular projection. */
export function distanceToUnitKm(lon: number, lat: number, mp: MultiPolygonCoords): number {
  for (const poly of mp) if (pointInPolygon([lon, lat], poly) !== false) return 0;
  const kx = Math.cos(lat * RAD) * RAD * EARTH_KM, ky = RAD * EARTH_KM;
  let best = Infinity;
  for (const poly of mp) for (const ring of poly) for (let j = 1; j < ring.length; j++) {
    const ax = (ring[j - 1][0] - lon) * kx, ay = (ring[j - 1][1] - lat) * ky;
    const bx = (ring[j][0] - lon) * kx, by = (ring[j][1] - lat) * ky;
    const dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy;
    const t = len ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len)) : 0;
    const d = Math.hypot(ax + t * dx, ay + t * dy);
    if (d < best) best = d;
  }
  return best;
}

/** The problem text of a point no single unit contains, naming the nearest unit and its distance. */
export function placementProblem(p: Exclude<Placement, { kind: 'inside' }>, near: Nearest | null): string {
  const n = near ? `; nearest unit ${near.code}${near.name ? ` (${near.name})` : ''}, ${near.km.toFixed(1)} km` : '';
  switch (p.kind) {
    case 'border': return `point on the border of ${p.codes.join(' / ')}: no unit contains it${n}`;
    case 'several': return `point inside more than one unit (${p.codes.join(', ')})${n}`;
    case 'none': return `point inside no stored unit${n}`;
  }
}
