// Queen / rook contiguity from polygon vertices, near-linear in the number of polygons.
//
// As spdep::poly2nb, two polygons are queen neighbours when some vertex of one lies within `snap` (Euclidean,
// <=) of a vertex of the other. Candidate vertex pairs come from one sort of all vertices on a grid of cell
// size `snap` (x cell, then y): only vertices in the same or the next x cell and within snap in y are compared,
// so the cost is O(V log V + matches) instead of spdep's per-box-pair vertex loops.
// Rook has two definitions:
//  - 'edge' (libpysal, the default): the polygons share a boundary segment, i.e. two ring-consecutive vertices of
//    one match two ring-consecutive vertices of the other;
//  - 'spdep' (poly2nb queen = FALSE): at least two matching vertex pairs, counted as poly2nb counts them (every
//    ring's closing vertex kept except the feature's very first one) - this also links polygons that touch at
//    two separate points.
import type { FeatureRings } from './geometry.js';

export type RookRule = 'edge' | 'spdep';

interface Vertices {
  x: Float64Array; y: Float64Array; poly: Int32Array; next: Int32Array; prev: Int32Array; mult: Int8Array;
}

function collect(features: FeatureRings[]): Vertices {
  let V = 0;
  for (const f of features) for (const r of f.rings) V += ringLength(r);
  const v: Vertices = {
    x: new Float64Array(V), y: new Float64Array(V), poly: new Int32Array(V),
    next: new Int32Array(V), prev: new Int32Array(V), mult: new Int8Array(V),
  };
  let t = 0;
  features.forEach((f, p) => {
    f.rings.forEach((r, k) => {
      const m = ringLength(r), start = t;
      for (let i = 0; i < m; i++, t++) {
        v.x[t] = r[i][0]; v.y[t] = r[i][1]; v.poly[t] = p;
        v.next[t] = start + ((i + 1) % m); v.prev[t] = start + ((i + m - 1) % m);
        // poly2nb's vertex list: all ring positions including closing ones, minus the feature's first row
        v.mult[t] = i === 0 && k > 0 ? 2 : 1;
      }
    });
  });
  return v;
}

/** Ring length without the closing duplicate. */
function ringLength(r: number[][]): number {
  const a = r[0], b = r[r.length - 1];
  return a[0] === b[0] && a[1] === b[1] ? r.length - 1 : r.length;
}

/** All pairs of vertices of different polygons within `snap`, as flat [u0, v0, u1, v1, ...]. */
function matchVertices(v: Vertices, snap: number): Int32Array {
  const V = v.x.length, { x, y, poly } = v;
  const order = sortByCellThenY(x, y, snap);
  const cs = new Float64Array(V), ys = new Float64Array(V), xs = new Float64Array(V), ps = new Int32Array(V);
  for (let s = 0; s < V; s++) {
    const i = order[s];
    cs[s] = snap > 0 ? Math.floor(x[i] / snap) : x[i]; ys[s] = y[i]; xs[s] = x[i]; ps[s] = poly[i];
  }
  let out = new Int32Array(1 << 16), m = 0;
  let nextStart = 0; // first index of the following x cell
  for (let s = 0; s < V; s++) {
    const c = cs[s], yy = ys[s], xx = xs[s], p = ps[s];
    // same cell: later entries with y within snap; then the next cell from y - snap to y + snap
    let t = s + 1;
    for (let pass = 0; pass < 2; pass++) {
      if (pass === 1) {
        if (snap <= 0) break;
        if (nextStart <= s) nextStart = s + 1;
        while (nextStart < V && cs[nextStart] === c) nextStart++;
        if (nextStart >= V || cs[nextStart] !== c + 1) break;
        let lo = nextStart, hi = V;
        while (lo < hi) { const mid = (lo + hi) >> 1; if (cs[mid] === c + 1 && ys[mid] < yy - snap) lo = mid + 1; else hi = mid; }
        t = lo;
      }
      const cc = pass === 0 ? c : c + 1;
      for (; t < V && cs[t] === cc && ys[t] - yy <= snap; t++) {
        if (ps[t] === p) continue;
        const dx = Math.abs(xs[t] - xx), dy = Math.abs(ys[t] - yy);
        if (dx > snap || dy > snap || Math.sqrt(dx * dx + dy * dy) > snap) continue;
        if (m + 2 > out.length) { const o = new Int32Array(out.length * 2); o.set(out); out = o; }
        out[m++] = order[s]; out[m++] = order[t];
      }
    }
  }
  return out.subarray(0, m);
}

/** Vertex order by (x cell, y) with two counting-sort passes over integer ranks (native numeric sorts only). */
function sortByCellThenY(x: Float64Array, y: Float64Array, snap: number): Int32Array {
  const V = x.length;
  const cell = new Float64Array(V);
  for (let i = 0; i < V; i++) cell[i] = snap > 0 ? Math.floor(x[i] / snap) : x[i];
  const rank = (a: Float64Array): Int32Array => {
    const u = Float64Array.from(a).sort(); // native numeric sort
    let k = 0;
    for (let i = 1; i < V; i++) if (u[i] !== u[k]) u[++k] = u[i];
    const uniq = u.subarray(0, k + 1), r = new Int32Array(V);
    for (let i = 0; i < V; i++) {
      let lo = 0, hi = uniq.length - 1;
      const t = a[i];
      while (lo < hi) { const mid = (lo + hi) >> 1; if (uniq[mid] < t) lo = mid + 1; else hi = mid; }
      r[i] = lo;
    }
    return r;
  };
  const countingSort = (keys: Int32Array, input: Int32Array): Int32Array => {
    const cnt = new Int32Array(V + 1), out = new Int32Array(V);
    for (let s = 0; s < V; s++) cnt[keys[input[s]] + 1]++;
    for (let k = 1; k <= V; k++) cnt[k] += cnt[k - 1];
    for (let s = 0; s < V; s++) out[cnt[keys[input[s]]]++] = input[s];
    return out;
  };
  const byY = countingSort(rank(y), Int32Array.from({ length: V }, (_, i) => i));
  return countingSort(rank(cell), byY); // stable: y order kept within a cell
}

/** Neighbour index lists (sorted) for queen or rook contiguity. */
export function contiguity(features: FeatureRings[], queen: boolean, snap: number, rookRule: RookRule = 'edge'): Int32Array[] {
  const n = features.length, v = collect(features), pairs = matchVertices(v, snap);
  const links = new Map<number, number>(); // key pmin * n + pmax -> spdep-style pair count
  const key = (a: number, b: number) => (a < b ? a * n + b : b * n + a);
  if (queen || rookRule === 'spdep') {
    for (let t = 0; t < pairs.length; t += 2) {
      const a = pairs[t], b = pairs[t + 1], k = key(v.poly[a], v.poly[b]);
      links.set(k, (links.get(k) ?? 0) + v.mult[a] * v.mult[b]);
    }
  } else {
    const V = v.x.length;
    const matched = new Set<number>();
    for (let t = 0; t < pairs.length; t += 2) {
      matched.add(pairs[t] * V + pairs[t + 1]);
      matched.add(pairs[t + 1] * V + pairs[t]);
    }
    for (let t = 0; t < pairs.length; t += 2) {
      const a = pairs[t], b = pairs[t + 1];
      const an = v.next[a];
      if (matched.has(an * V + v.next[b]) || matched.has(an * V + v.prev[b])) {
        links.set(key(v.poly[a], v.poly[b]), 2);
        continue;
      }
      const ap = v.prev[a];
      if (matched.has(ap * V + v.next[b]) || matched.has(ap * V + v.prev[b])) links.set(key(v.poly[a], v.poly[b]), 2);
    }
  }
  const crit = queen ? 1 : 2;
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (const [k, c] of links) {
    if (c < crit) continue;
    const a = Math.floor(k / n), b = k - a * n;
    lists[a].push(b); lists[b].push(a);
  }
  return lists.map((l) => Int32Array.from(l.sort((p, q) => p - q)));
}

/** Reference implementation for cross-checks: every candidate pair of polygons with overlapping (snap-widened)
 * bounding boxes is compared vertex by vertex, and, for rook, segment by segment for collinear overlap. */
export function contiguityBruteForce(features: FeatureRings[], queen: boolean, snap: number): Int32Array[] {
  const n = features.length;
  const bb = features.map((f) => {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const r of f.rings) for (const p of r) { x0 = Math.min(x0, p[0]); y0 = Math.min(y0, p[1]); x1 = Math.max(x1, p[0]); y1 = Math.max(y1, p[1]); }
    return [x0 - snap, y0 - snap, x1 + snap, y1 + snap];
  });
  // sweep on x to list overlapping boxes
  const ord = Array.from({ length: n }, (_, i) => i).sort((a, b) => bb[a][0] - bb[b][0]);
  const lists: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < n; s++) {
    const i = ord[s];
    for (let t = s + 1; t < n && bb[ord[t]][0] <= bb[i][2]; t++) {
      const j = ord[t];
      if (bb[j][1] > bb[i][3] || bb[j][3] < bb[i][1]) continue;
      if (queen ? shareVertex(features[i], features[j], snap) : shareSegment(features[i], features[j], snap)) {
        lists[i].push(j); lists[j].push(i);
      }
    }
  }
  return lists.map((l) => Int32Array.from(l.sort((p, q) => p - q)));
}

function shareVertex(a: FeatureRings, b: FeatureRings, snap: number): boolean {
  for (const ra of a.rings) for (const p of ra) for (const rb of b.rings) for (const q of rb) {
    if (Math.hypot(p[0] - q[0], p[1] - q[1]) <= snap) return true;
  }
  return false;
}

/** True when a segment of a and a segment of b overlap along a stretch longer than snap (collinear within snap). */
function shareSegment(a: FeatureRings, b: FeatureRings, snap: number): boolean {
  for (const ra of a.rings) for (let i = 0; i + 1 < ra.length; i++) {
    const p0 = ra[i], p1 = ra[i + 1];
    const dx = p1[0] - p0[0], dy = p1[1] - p0[1], L = Math.hypot(dx, dy);
    if (L <= snap) continue;
    const ux = dx / L, uy = dy / L;
    for (const rb of b.rings) for (let j = 0; j + 1 < rb.length; j++) {
      const q0 = rb[j], q1 = rb[j + 1];
      // perpendicular distances of q0, q1 from the line of p
      const d0 = (q0[0] - p0[0]) * uy - (q0[1] - p0[1]) * ux, d1 = (q1[0] - p0[0]) * uy - (q1[1] - p0[1]) * ux;
      if (Math.abs(d0) > snap || Math.abs(d1) > snap) continue;
      const t0 = (q0[0] - p0[0]) * ux + (q0[1] - p0[1]) * uy, t1 = (q1[0] - p0[0]) * ux + (q1[1] - p0[1]) * uy;
      const lo = Math.max(0, Math.min(t0, t1)), hi = Math.min(L, Math.max(t0, t1));
      if (hi - lo > snap) return true;
    }
  }
  return false;
}
