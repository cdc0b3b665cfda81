// Deterministic synthetic irregular polygons (a jittered lattice, 4 shared jittered points per edge, so about 20
// vertices per polygon, like county boundaries) and a simulated SAR data set on them. Shared by bench/spatial.ts,
// test/spatial-matrix.test.ts and the R fixtures of test/fixtures/spatial-matrix (written through CSV by
// test/fixtures/spatial-matrix/write-inputs.ts), so every consumer sees the same units, weights and data.
import { ImRhoW } from '../src/estimation/spatial/solve.js';
import { normalStream } from '../src/estimation/spatial/rng.js';
import type { SpatialWeights } from '../src/estimation/spatial/types.js';

/** deterministic hash noise in [-0.5, 0.5) */
export function noise(a: number, b: number, c: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(c + 0x27d4eb2f, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d); h ^= h >>> 12; h = Math.imul(h, 0x297a2d39); h ^= h >>> 15;
  return (h >>> 0) / 4294967296 - 0.5;
}

export interface PolygonFeature { type: 'Feature'; properties: { id: string }; geometry: { type: 'Polygon'; coordinates: number[][][] } }

/** rows x cols polygons with ids p<row>_<col>, row-major; neighbours share their vertices exactly (queen: 8 each
 * inside the lattice). */
export function polygons(rows: number, cols: number): { type: 'FeatureCollection'; features: PolygonFeature[] } {
  const V = (i: number, j: number) => [j + 0.35 * noise(i, j, 1), i + 0.35 * noise(i, j, 2)];
  // points strictly inside an edge from (i0,j0) to (i1,j1), computed from the edge so both sides share them
  const edge = (i0: number, j0: number, i1: number, j1: number): number[][] => {
    const flip = i0 > i1 || (i0 === i1 && j0 > j1);
    const [a, b] = flip ? [[i1, j1], [i0, j0]] : [[i0, j0], [i1, j1]];
    const p = V(a[0], a[1]), q = V(b[0], b[1]), out: number[][] = [];
    for (let k = 1; k <= 4; k++) {
      const t = k / 5, nx = -(q[1] - p[1]), ny = q[0] - p[0], s = 0.08 * noise(a[0] * 7919 + b[0], a[1] * 104729 + b[1], k);
      out.push([p[0] + t * (q[0] - p[0]) + s * nx, p[1] + t * (q[1] - p[1]) + s * ny]);
    }
    return flip ? out.reverse() : out;
  };
  const features: PolygonFeature[] = [];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
    const corners: [number, number][] = [[i, j], [i, j + 1], [i + 1, j + 1], [i + 1, j]];
    const ring: number[][] = [];
    for (let c = 0; c < 4; c++) {
      const [a, b] = corners[c], [d, e] = corners[(c + 1) % 4];
      ring.push(V(a, b), ...edge(a, b, d, e));
    }
    ring.push(ring[0]);
    features.push({ type: 'Feature', properties: { id: `p${i}_${j}` }, geometry: { type: 'Polygon', coordinates: [ring] } });
  }
  return { type: 'FeatureCollection', features };
}

/** y = (I - 0.5 W)^-1 (1 + 2 x1 - x2 + e) with x1, x2, e standard normal from normalStream(seed), in that order
 * per unit; the solve is conjugate gradients to 1e-12 (deterministic arithmetic, so reruns give the same bits). */
export function simulateSAR(W: SpatialWeights, seed: number): { y: Float64Array; x1: Float64Array; x2: Float64Array } {
  const n = W.ids.length, z = normalStream(seed);
  const x1 = Float64Array.from({ length: n }, z), x2 = Float64Array.from({ length: n }, z);
  const y = new ImRhoW(W, 0.5).solve(Float64Array.from({ length: n }, (_, i) => 1 + 2 * x1[i] - x2[i] + z()));
  return { y, x1, x2 };
}

/** the benchmark / fixture sizes: rows x cols of the lattice */
export const SIZES: Record<string, [number, number]> = { '1k': [25, 40], '3k': [50, 60], '10k': [100, 100], '30k': [150, 200] };
