// us-atlas counties (TopoJSON -> GeoJSON): fast contiguity against spdep::poly2nb output made by
// scripts/usatlas_poly2nb.R (test/fixtures/usatlas/poly2nb.json) and against an independent brute-force test.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { usAtlasCounties } from '../scripts/usatlas-geojson.js';
import { contiguityBruteForce, DEFAULT_SNAP, readFeatures, weightsFromGeoJSON, type SpatialWeights } from '../src/estimation/spatial/index.js';

const fc = usAtlasCounties();
const ref = JSON.parse(readFileSync(new URL('./fixtures/usatlas/poly2nb.json', import.meta.url), 'utf8')) as Record<'queen' | 'rook', Record<string, string[]>>;

function differing(ids: string[], nbs: ArrayLike<number>[], want: Record<string, string[]>): string[] {
  return ids.filter((id, i) => {
    const got = Array.from(nbs[i], (j) => ids[j]).sort(), exp = [...want[id]].sort();
    return got.join() !== exp.join();
  });
}
const nbOf = (w: SpatialWeights) => w.neighbours;

describe('us-atlas counties contiguity', () => {
  it('has 3231 counties and the reference covers them all', () => {
    expect(fc.features.length).toBe(3231);
    expect(Object.keys(ref.queen).length).toBe(3231);
  });
  it('queen equals poly2nb for every county, islands reported', () => {
    const w = weightsFromGeoJSON(fc, 'GEOID', { type: 'queen' });
    expect(differing(w.ids, nbOf(w), ref.queen)).toEqual([]);
    const refIslands = Object.keys(ref.queen).filter((k) => ref.queen[k].length === 0).sort();
    expect([...w.islands!].sort()).toEqual(refIslands);
    expect(refIslands.length).toBe(15);
  });
  it("rook with poly2nb's rule equals poly2nb for every county", () => {
    const w = weightsFromGeoJSON(fc, 'GEOID', { type: 'rook', rookRule: 'spdep' });
    expect(differing(w.ids, nbOf(w), ref.rook)).toEqual([]);
  });
  it('shared-edge rook differs from poly2nb only for Harrison / Pearl River (MS), which touch at two points, no edge', () => {
    const w = weightsFromGeoJSON(fc, 'GEOID', { type: 'rook' });
    expect(differing(w.ids, nbOf(w), ref.rook)).toEqual(['28047', '28109']);
  });
  it('agrees with the brute-force vertex / segment-overlap test', () => {
    const { ids, rings } = readFeatures(fc, 'GEOID');
    const q = weightsFromGeoJSON(fc, 'GEOID', { type: 'queen' }), r = weightsFromGeoJSON(fc, 'GEOID', { type: 'rook' });
    const bq = contiguityBruteForce(rings, true, DEFAULT_SNAP), br = contiguityBruteForce(rings, false, DEFAULT_SNAP);
    const eq = (a: Int32Array[], b: Int32Array[]) => ids.filter((_, i) => a[i].join() !== b[i].join());
    expect(eq(q.neighbours, bq)).toEqual([]);
    expect(eq(r.neighbours, br)).toEqual([]);
  });
  it('neighbour relation is symmetric and rows are sorted', () => {
    const w = weightsFromGeoJSON(fc, 'GEOID', { type: 'queen', style: 'B' });
    w.neighbours.forEach((nb, i) => {
      for (let k = 1; k < nb.length; k++) expect(nb[k]).toBeGreaterThan(nb[k - 1]);
      for (const j of nb) expect(Array.from(w.neighbours[j])).toContain(i);
    });
  });
  it('knn and distance bands on lon/lat centroids use great-circle km', () => {
    const k = weightsFromGeoJSON(fc, 'GEOID', { type: 'knn', k: 5 });
    expect(k.neighbours.every((nb) => nb.length === 5)).toBe(true);
    const d = weightsFromGeoJSON(fc, 'GEOID', { type: 'distance', km: 50 });
    const d2 = weightsFromGeoJSON(fc, 'GEOID', { type: 'distance', km: 100, inverseDistance: true, style: 'B' });
    let n1 = 0, n2 = 0;
    d.neighbours.forEach((nb) => (n1 += nb.length)); d2.neighbours.forEach((nb) => (n2 += nb.length));
    expect(n2).toBeGreaterThan(n1);
    // inverse distances: every weight above 1/100 km
    for (const v of d2.weights) for (const x of v) expect(x).toBeGreaterThanOrEqual(1 / 100 - 1e-12);
  });
});
