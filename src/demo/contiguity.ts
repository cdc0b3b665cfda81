// Approximate contiguity of city outlines in plain TypeScript (pure; no I/O). Used by scripts/build-cities.ts to
// check that simplification keeps neighbours, and by tests; the authoritative neighbour table is built in PostGIS.
import type { CityFeature } from './cities.js';

export interface SharedBorder { a: string; b: string; km: number }

/**
 * Contiguity on the written outlines, in plain JS (PostGIS on ~340 full polygons takes minutes in PGlite).
 * The boundary of every unit is sampled every STEP degrees; a sample of A counts towards the pair (A, B) when it lies
 * within `band` degrees of B's boundary. Mirrors the rule in src/db/queries/neighbours.ts (boundary length of A inside
 * B's buffer), except that samples deep inside B are not counted (irrelevant for sliver overlaps).
 */
export function contiguity(features: CityFeature[], band = 0.005, step = 0.002) {
  const cell = 0.02;
  const key = (ix: number, iy: number) => ix * 100003 + iy;
  const grid = new Map<number, number[]>(); // cell → segment indices
  const segs: { city: number; ax: number; ay: number; bx: number; by: number }[] = [];
  features.forEach((f, ci) => {
    for (const poly of f.geometry.coordinates) for (const ring of poly) for (let i = 0; i + 1 < ring.length; i++) {
      const [ax, ay] = ring[i];
      const [bx, by] = ring[i + 1];
      const id = segs.push({ city: ci, ax, ay, bx, by }) - 1;
      for (let ix = Math.floor((Math.min(ax, bx) - band) / cell); ix <= Math.floor((Math.max(ax, bx) + band) / cell); ix++) {
        for (let iy = Math.floor((Math.min(ay, by) - band) / cell); iy <= Math.floor((Math.max(ay, by) + band) / cell); iy++) {
          const k = key(ix, iy);
          const list = grid.get(k);
          if (list) list.push(id);
          else grid.set(k, [id]);
        }
      }
    }
  });
  const band2 = band * band;
  const sharedKm = new Map<string, number>(); // "i,j" (i<j) → max of both directions
  const dir = new Map<string, number>();
  features.forEach((f, ci) => {
    for (const poly of f.geometry.coordinates) for (const ring of poly) for (let i = 0; i + 1 < ring.length; i++) {
      const [ax, ay] = ring[i];
      const [bx, by] = ring[i + 1];
      const kmPerDegX = 111.32 * Math.cos((((ay + by) / 2) * Math.PI) / 180);
      const len = Math.hypot(bx - ax, by - ay);
      const n = Math.max(1, Math.ceil(len / step));
      const pieceKm = Math.hypot((bx - ax) * kmPerDegX, (by - ay) * 110.57) / n;
      for (let s = 0; s < n; s++) {
        const px = ax + ((bx - ax) * (s + 0.5)) / n;
        const py = ay + ((by - ay) * (s + 0.5)) / n;
        const near = new Set<number>();
        for (const id of grid.get(key(Math.floor(px / cell), Math.floor(py / cell))) ?? []) {
          const g = segs[id];
          if (g.city === ci || near.has(g.city)) continue;
          const dx = g.bx - g.ax;
          const dy = g.by - g.ay;
          const l2 = dx * dx + dy * dy;
          const t = l2 > 0 ? Math.max(0, Math.min(1, ((px - g.ax) * dx + (py - g.ay) * dy) / l2)) : 0;
          if ((px - g.ax - t * dx) ** 2 + (py - g.ay - t * dy) ** 2 <= band2) near.add(g.city);
        }
        for (const other of near) {
          const k = `${ci},${other}`;
          dir.set(k, (dir.get(k) ?? 0) + pieceKm);
        }
      }
    }
  });
  for (const [k, v] of dir) {
    const [a, b] = k.split(',').map(Number);
    const pk = a < b ? `${a},${b}` : `${b},${a}`;
    sharedKm.set(pk, Math.max(sharedKm.get(pk) ?? 0, v));
  }
  const touched = new Set<number>();
  for (const k of sharedKm.keys()) for (const i of k.split(',').map(Number)) touched.add(i);
  const islands = features.filter((_, i) => !touched.has(i)).map((f) => f.properties);
  const pairKm = (codeA: string, codeB: string) => {
    const a = features.findIndex((f) => f.properties.code === codeA);
    const b = features.findIndex((f) => f.properties.code === codeB);
    return sharedKm.get(a < b ? `${a},${b}` : `${b},${a}`) ?? 0;
  };
  const pairs: SharedBorder[] = [...sharedKm.entries()].map(([k, km]) => {
    const [a, b] = k.split(',').map(Number);
    return { a: features[a].properties.code, b: features[b].properties.code, km };
  });
  return { pairs, islands, pairKm };
}
