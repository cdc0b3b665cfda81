// Polygon rings out of plain GeoJSON objects, centroids, great-circle distance and a 3-d k-d tree for knn / bands.
import { EstimationInputError } from '../result.js';

export type Ring = number[][];
/** One feature's rings, outer and inner, all parts of a MultiPolygon in order. */
export interface FeatureRings { rings: Ring[]; holes: boolean[] }

export interface GeoJSONFeature { type: string; properties?: Record<string, unknown> | null; geometry: { type: string; coordinates: unknown } | null }
export interface GeoJSONFeatureCollection { type: string; features: GeoJSONFeature[]; crs?: unknown }

export const EARTH_RADIUS_KM = 6371.0088;

function checkRing(r: unknown, where: string): Ring {
  if (!Array.isArray(r) || r.length < 4) throw new EstimationInputError(`${where}: a polygon ring needs at least 4 positions`, 'geometry');
  for (const p of r) {
    if (!Array.isArray(p) || p.length < 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      throw new EstimationInputError(`${where}: invalid coordinate ${JSON.stringify(p)}`, 'geometry');
    }
  }
  return r as Ring;
}

export function featureRings(f: GeoJSONFeature, where: string): FeatureRings {
  const g = f.geometry;
  if (!g) throw new EstimationInputError(`${where}: empty geometry`, 'geometry');
  const rings: Ring[] = [], holes: boolean[] = [];
  const addPolygon = (poly: unknown) => {
    if (!Array.isArray(poly) || poly.length === 0) throw new EstimationInputError(`${where}: empty polygon`, 'geometry');
    poly.forEach((r, k) => { rings.push(checkRing(r, where)); holes.push(k > 0); });
  };
  if (g.type === 'Polygon') addPolygon(g.coordinates);
  else if (g.type === 'MultiPolygon') {
    if (!Array.isArray(g.coordinates) || g.coordinates.length === 0) throw new EstimationInputError(`${where}: empty MultiPolygon`, 'geometry');
    for (const p of g.coordinates) addPolygon(p);
  } else throw new EstimationInputError(`${where}: geometry type ${g.type} is not a (Multi)Polygon`, 'geometry');
  return { rings, holes };
}

/** Area-weighted centroid (holes subtract), as GEOS / sf st_centroid on planar coordinates. */
export function centroid(fr: FeatureRings): [number, number] {
  let A = 0, cx = 0, cy = 0;
  // shift by the first vertex for numerical stability
  const x0 = fr.rings[0][0][0], y0 = fr.rings[0][0][1];
  for (let r = 0; r < fr.rings.length; r++) {
    const ring = fr.rings[r];
    let a = 0, sx = 0, sy = 0;
    for (let i = 0; i + 1 < ring.length; i++) {
      const xa = ring[i][0] - x0, ya = ring[i][1] - y0, xb = ring[i + 1][0] - x0, yb = ring[i + 1][1] - y0;
      const c = xa * yb - xb * ya;
      a += c; sx += (xa + xb) * c; sy += (ya + yb) * c;
    }
    // outer rings count positive, holes negative, whatever their orientation
    const sign = (fr.holes[r] ? -1 : 1) * Math.sign(a || 1);
    A += sign * a / 2; cx += sign * sx / 6; cy += sign * sy / 6;
  }
  if (Math.abs(A) < 1e-300) {
    // degenerate polygon: mean of vertices
    let n = 0; cx = 0; cy = 0;
    for (const ring of fr.rings) for (const p of ring) { cx += p[0]; cy += p[1]; n++; }
    return [cx / n, cy / n];
  }
  return [cx / A + x0, cy / A + y0];
}

export function greatCircleKm(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const r = Math.PI / 180;
  const dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
  const a = Math.sin(dlat / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(dlon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Points in 3-d: planar (x, y, 0), or lon/lat as unit-sphere vectors so chord order = great-circle order. */
export function embed(pts: [number, number][], longlat: boolean): Float64Array {
  const out = new Float64Array(pts.length * 3), r = Math.PI / 180;
  pts.forEach(([x, y], i) => {
    if (longlat) {
      const cl = Math.cos(y * r);
      out[3 * i] = cl * Math.cos(x * r); out[3 * i + 1] = cl * Math.sin(x * r); out[3 * i + 2] = Math.sin(y * r);
    } else { out[3 * i] = x; out[3 * i + 1] = y; }
  });
  return out;
}

/** Static k-d tree over 3-d points (median splits on the widest axis). */
export class KDTree {
  private idx: Int32Array;
  private lo: Int32Array; private hi: Int32Array; private axis: Int8Array; private split: Float64Array;
  private left: Int32Array; private right: Int32Array;
  private nodes = 0;
  constructor(private p: Float64Array) {
    const n = p.length / 3;
    this.idx = Int32Array.from({ length: n }, (_, i) => i);
    const cap = 2 * n + 1;
    this.lo = new Int32Array(cap); this.hi = new Int32Array(cap); this.axis = new Int8Array(cap); this.split = new Float64Array(cap);
    this.left = new Int32Array(cap).fill(-1); this.right = new Int32Array(cap).fill(-1);
    if (n) this.build(0, n);
  }
  private build(a: number, b: number): number {
    const node = this.nodes++;
    this.lo[node] = a; this.hi[node] = b;
    if (b - a <= 8) return node;
    let best = 0, bestSpread = -1;
    for (let d = 0; d < 3; d++) {
      let mn = Infinity, mx = -Infinity;
      for (let i = a; i < b; i++) { const v = this.p[3 * this.idx[i] + d]; if (v < mn) mn = v; if (v > mx) mx = v; }
      if (mx - mn > bestSpread) { bestSpread = mx - mn; best = d; }
    }
    if (bestSpread <= 0) return node;
    const sub = Array.from(this.idx.subarray(a, b)).sort((u, v) => this.p[3 * u + best] - this.p[3 * v + best]);
    this.idx.set(sub, a);
    const m = (a + b) >> 1;
    this.axis[node] = best; this.split[node] = this.p[3 * this.idx[m] + best];
    this.left[node] = this.build(a, m); this.right[node] = this.build(m, b);
    return node;
  }
  private d2(i: number, q: ArrayLike<number>) {
    const dx = this.p[3 * i] - q[0], dy = this.p[3 * i + 1] - q[1], dz = this.p[3 * i + 2] - q[2];
    return dx * dx + dy * dy + dz * dz;
  }
  /** k nearest to point `self` (excluded), ties broken by index; returns [indices, squared distances]. */
  knn(self: number, k: number): [Int32Array, Float64Array] {
    const q = this.p.subarray(3 * self, 3 * self + 3);
    const bi = new Int32Array(k).fill(-1), bd = new Float64Array(k).fill(Infinity);
    const visit = (node: number) => {
      if (this.left[node] < 0) {
        for (let t = this.lo[node]; t < this.hi[node]; t++) {
          const i = this.idx[t];
          if (i === self) continue;
          const d = this.d2(i, q);
          if (d > bd[k - 1] || (d === bd[k - 1] && i > bi[k - 1])) continue;
          let pos = k - 1;
          while (pos > 0 && (bd[pos - 1] > d || (bd[pos - 1] === d && bi[pos - 1] > i))) { bd[pos] = bd[pos - 1]; bi[pos] = bi[pos - 1]; pos--; }
          bd[pos] = d; bi[pos] = i;
        }
        return;
      }
      const diff = q[this.axis[node]] - this.split[node];
      const [first, second] = diff < 0 ? [this.left[node], this.right[node]] : [this.right[node], this.left[node]];
      visit(first);
      if (diff * diff <= bd[k - 1]) visit(second);
    };
    visit(0);
    return [bi, bd];
  }
  /** all points within squared distance r2 of point `self` (excluded). */
  within(self: number, r2: number): number[] {
    const q = this.p.subarray(3 * self, 3 * self + 3), out: number[] = [];
    const visit = (node: number) => {
      if (this.left[node] < 0) {
        for (let t = this.lo[node]; t < this.hi[node]; t++) {
          const i = this.idx[t];
          if (i !== self && this.d2(i, q) <= r2) out.push(i);
        }
        return;
      }
      const diff = q[this.axis[node]] - this.split[node];
      if (diff < 0 || diff * diff <= r2) visit(this.left[node]);
      if (diff >= 0 || diff * diff <= r2) visit(this.right[node]);
    };
    visit(0);
    return out;
  }
}
