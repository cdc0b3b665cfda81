// Panel grid for dynamic GMM: every group gets every period min(time)..max(time), as plm balances the data before
// building instruments, so a missing year is a gap (lags across it are missing, never the year before the gap).
import { EstimationInputError } from '../result.js';

export interface PanelGrid {
  /** group codes in ascending order (plm orders individuals by id) */
  groups: number[];
  tmin: number;
  /** number of periods in the grid (max - min + 1) */
  T: number;
  /** row of the input at grid cell g * T + p, or -1 when the group has no row for that period */
  cell: Int32Array;
}

export function buildGrid(id: ArrayLike<number>, time: ArrayLike<number>, what = 'panel'): PanelGrid {
  const n = id.length;
  if (time.length !== n) throw new EstimationInputError(`${what}: id has ${n} rows but time has ${time.length}`, 'time');
  if (n === 0) throw new EstimationInputError(`${what}: no rows`, 'id');
  let tmin = Infinity, tmax = -Infinity;
  const codes = new Set<number>();
  for (let i = 0; i < n; i++) {
    const t = time[i], g = id[i];
    if (!Number.isInteger(t)) throw new EstimationInputError(`${what}: time must be an integer, got ${t} at row ${i + 1}`, 'time');
    if (!Number.isFinite(g)) throw new EstimationInputError(`${what}: missing group id at row ${i + 1}`, 'id');
    if (t < tmin) tmin = t;
    if (t > tmax) tmax = t;
    codes.add(g);
  }
  const T = tmax - tmin + 1;
  const groups = [...codes].sort((a, b) => a - b);
  if (groups.length * T > 2 ** 31 - 1) throw new EstimationInputError(`${what}: ${groups.length} groups x ${T} periods is too large a grid`, 'time');
  const gidx = new Map<number, number>();
  groups.forEach((g, k) => gidx.set(g, k));
  const cell = new Int32Array(groups.length * T).fill(-1);
  for (let i = 0; i < n; i++) {
    const c = gidx.get(id[i])! * T + (time[i] - tmin);
    if (cell[c] !== -1) {
      throw new EstimationInputError(`${what}: duplicate (id, time) = (${id[i]}, ${time[i]}) at rows ${cell[c] + 1} and ${i + 1}`, 'time');
    }
    cell[c] = i;
  }
  return { groups, tmin, T, cell };
}

/**
 * values lagged k periods within each id along time (k < 0 gives leads); NaN where the lagged period is absent,
 * so gaps in time are respected. Output is aligned with the input rows.
 */
export function lagWithin(id: ArrayLike<number>, time: ArrayLike<number>, values: ArrayLike<number>, k: number): Float64Array {
  if (!Number.isInteger(k)) throw new EstimationInputError(`lag order must be an integer, got ${k}`);
  const grid = buildGrid(id, time, 'lag');
  const out = new Float64Array(values.length).fill(NaN);
  const { T, cell } = grid;
  for (let g = 0; g < grid.groups.length; g++) {
    for (let p = 0; p < T; p++) {
      const row = cell[g * T + p];
      if (row < 0) continue;
      const q = p - k;
      if (q < 0 || q >= T) continue;
      const src = cell[g * T + q];
      if (src >= 0) out[row] = values[src];
    }
  }
  return out;
}
