// Spatial weights from a GeoJSON FeatureCollection: contiguity (queen / rook), k nearest neighbours and distance
// bands on centroids, binary or inverse-distance values, row-standardised (W) or not (B).
import { EstimationInputError } from '../result.js';
import { contiguity, type RookRule } from './contiguity.js';
import { centroid, embed, featureRings, greatCircleKm, KDTree, type FeatureRings, type GeoJSONFeatureCollection } from './geometry.js';
import { fromNeighbourLists, type SpatialWeights } from './types.js';

export interface WeightsOptions {
  type: 'queen' | 'rook' | 'knn' | 'distance';
  /** neighbours for knn */
  k?: number;
  /** distance band in km: great-circle for lon/lat, coordinate units / 1000 (metres assumed) when planar */
  km?: number;
  /** distance band in raw coordinate units (planar only) */
  band?: number;
  style?: 'W' | 'B';
  /** vertex snapping tolerance for contiguity; default sqrt(machine eps) as poly2nb without a CRS */
  snap?: number;
  /** weights 1/d^power (knn, distance) instead of 1 */
  inverseDistance?: boolean;
  power?: number;
  /** lon/lat coordinates (great-circle distances); default: GeoJSON with every coordinate in lon/lat range and
   * no projected `crs` member is taken as lon/lat (RFC 7946) */
  longlat?: boolean;
  /** rook definition: shared boundary segment ('edge', default) or poly2nb's two shared vertices ('spdep') */
  rookRule?: RookRule;
}

export const DEFAULT_SNAP = Math.sqrt(2.220446049250313e-16);

/** Reads ids and rings, rejecting duplicate or missing ids and broken geometries (messages name the feature). */
export function readFeatures(fc: GeoJSONFeatureCollection, idField: string): { ids: string[]; rings: FeatureRings[] } {
  if (!fc || typeof fc !== 'object' || !Array.isArray(fc.features)) {
    throw new EstimationInputError('GeoJSON: expected a FeatureCollection with a features array', 'geojson');
  }
  if (fc.features.length === 0) throw new EstimationInputError('GeoJSON: the FeatureCollection has no features', 'geojson');
  const ids: string[] = [], seen = new Map<string, number>(), rings: FeatureRings[] = [];
  fc.features.forEach((f, i) => {
    const raw = f?.properties?.[idField];
    if (raw === undefined || raw === null || raw === '') {
      throw new EstimationInputError(`GeoJSON feature ${i}: id field "${idField}" is missing`, idField);
    }
    const id = typeof raw === 'number' && Number.isInteger(raw) ? String(raw) : String(raw);
    if (seen.has(id)) throw new EstimationInputError(`GeoJSON feature ${i}: id "${id}" in field "${idField}" repeats feature ${seen.get(id)}`, idField);
    seen.set(id, i);
    ids.push(id);
    rings.push(featureRings(f, `GeoJSON feature ${i} (${idField} = ${id})`));
  });
  return { ids, rings };
}

/** RFC 7946 GeoJSON is lon/lat; a legacy `crs` member naming a projected system (or out-of-range coordinates) says planar. */
export function looksLongLat(fc: GeoJSONFeatureCollection, rings: FeatureRings[]): boolean {
  const crs = JSON.stringify(fc.crs ?? '');
  if (fc.crs && !/4326|CRS84|4490|4258|4269/i.test(crs)) return false;
  for (const f of rings) for (const r of f.rings) for (const p of r) if (Math.abs(p[0]) > 180 || Math.abs(p[1]) > 90) return false;
  return true;
}

export function weightsFromGeoJSON(fc: GeoJSONFeatureCollection, idField: string, opts: WeightsOptions): SpatialWeights {
  const { ids, rings } = readFeatures(fc, idField);
  const style = opts.style ?? 'W';
  if (style !== 'W' && style !== 'B') throw new EstimationInputError(`style must be W or B, got ${String(style)}`, 'style');
  const n = ids.length;
  if (opts.type === 'queen' || opts.type === 'rook') {
    const snap = opts.snap ?? DEFAULT_SNAP;
    if (!(snap >= 0)) throw new EstimationInputError(`snap must be a non-negative number, got ${snap}`, 'snap');
    const nb = contiguity(rings, opts.type === 'queen', snap, opts.rookRule ?? 'edge');
    return fromNeighbourLists(ids, nb, style);
  }
  const longlat = opts.longlat ?? looksLongLat(fc, rings);
  const cents = rings.map(centroid);
  return pointWeights(ids, cents, { ...opts, longlat, style });
}

/** knn / distance-band weights on points (e.g. centroids); exported for point data sets. */
export function pointWeights(ids: string[], pts: [number, number][], opts: WeightsOptions & { longlat: boolean }): SpatialWeights {
  const n = ids.length, style = opts.style ?? 'W', power = opts.power ?? 1;
  const tree = new KDTree(embed(pts, opts.longlat));
  const dist = (i: number, j: number) =>
    opts.longlat ? greatCircleKm(pts[i][0], pts[i][1], pts[j][0], pts[j][1]) : Math.hypot(pts[i][0] - pts[j][0], pts[i][1] - pts[j][1]);
  const nbs: number[][] = [], vals: number[][] = [];
  if (opts.type === 'knn') {
    const k = opts.k ?? 4;
    if (!Number.isInteger(k) || k < 1) throw new EstimationInputError(`k must be a positive integer, got ${k}`, 'k');
    if (k >= n) throw new EstimationInputError(`k = ${k} needs more than ${n} units`, 'k');
    for (let i = 0; i < n; i++) nbs.push(Array.from(tree.knn(i, k)[0]));
  } else if (opts.type === 'distance') {
    let r: number;
    if (opts.longlat) {
      if (!(opts.km! > 0)) throw new EstimationInputError('distance weights on lon/lat need km > 0', 'km');
      const ang = opts.km! / EARTH_KM; // chord length for the great-circle band
      r = 2 * Math.sin(Math.min(Math.PI, ang) / 2);
    } else {
      r = opts.band ?? (opts.km !== undefined ? opts.km * 1000 : NaN);
      if (!(r > 0)) throw new EstimationInputError('distance weights on planar coordinates need band (coordinate units) or km (metres assumed) > 0', 'km');
    }
    const r2 = r * r * (1 + 1e-12);
    for (let i = 0; i < n; i++) nbs.push(tree.within(i, r2));
  } else throw new EstimationInputError(`unknown weights type ${String(opts.type)}`, 'type');
  for (let i = 0; i < n; i++) {
    vals.push(nbs[i].map((j) => {
      if (!opts.inverseDistance) return 1;
      const d = dist(i, j);
      if (!(d > 0)) throw new EstimationInputError(`units ${ids[i]} and ${ids[j]} have the same centroid: inverse distance undefined`, 'inverseDistance');
      return 1 / d ** power;
    }));
  }
  return fromNeighbourLists(ids, nbs, style, vals);
}

const EARTH_KM = 6371.0088;
