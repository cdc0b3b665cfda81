// Per-group GMM design (plm::pgmm layout): each group's rows are the differenced equation for periods TL1+1..T and,
// for system GMM, the level equation for periods TL1..T. Instruments are built one group at a time and reduced at
// once to Z_i'HZ_i, Z_i'X_i and Z_i'y_i, so no N x L instrument matrix ever exists.
import { EstimationInputError } from '../result.js';
import { collinearColumns, zeros, type Matrix } from '../linalg.js';
import type { PanelGrid } from './panel.js';

export type FirstStepMatrix = 'I' | 'G' | 'GI' | 'full';

export interface DesignSpec {
  grid: PanelGrid;
  y: ArrayLike<number>;
  yName: string;
  regressors: { name: string; values: ArrayLike<number> }[];
  gmm: { name: string; values: ArrayLike<number>; minLag: number; maxLag: number }[];
  iv: { name: string; values: ArrayLike<number> }[];
  system: boolean;
  collapse: boolean;
  timeDummies: boolean;
  fsm: FirstStepMatrix;
  /** plm's lost.ts: periods lost to differencing and lags (TL1); inferred from the data when undefined */
  lostPeriods?: number;
  /** reproduce plm's makegmm on an empty lag range (R's x[1:0] is x[1]): see docs/gmm.md */
  emulatePlmLagRange?: boolean;
}

export interface Design {
  G: number;
  /** rows per group: m1 differenced (+ m2 = m1 + 1 level rows for system GMM) */
  r: number;
  m1: number;
  m2: number;
  TL1: number;
  K: number;
  L: number;
  termNames: string[];
  timeDummyTerms: string[];
  instrumentNames: string[];
  /** group-major blocks: X (r x K column-major) at g*r*K, y at g*r; zero rows where the observation is missing */
  X: Float64Array;
  y: Float64Array;
  valid: Uint8Array;
  /** per group Z_i'X_i (L x K column-major) at g*L*K and Z_i'y_i at g*L */
  ZX: Float64Array;
  Zy: Float64Array;
  /** the same over the differenced rows only (system GMM; the AR test needs them); aliases of ZX, Zy otherwise */
  ZXd: Float64Array;
  Zyd: Float64Array;
  /** sum over groups of Z_i' H Z_i (L x L) */
  S1: Matrix;
  droppedInstruments: string[];
  droppedDummies: string[];
  nobs: number;
  groupsUsed: number;
}

// instrument / regressor cell sources
const CONST = 0, GMM_LEVEL = 1, GMM_DIFF = 2, IV_LEVEL = 3, IV_DIFF = 4;

interface Template {
  row: number[]; col: number[]; kind: number[]; v: number[]; per: number[]; val: number[];
}
const newTemplate = (): Template => ({ row: [], col: [], kind: [], v: [], per: [], val: [] });
function push(t: Template, row: number, col: number, kind: number, v: number, per: number, val = 0) {
  t.row.push(row); t.col.push(col); t.kind.push(kind); t.v.push(v); t.per.push(per); t.val.push(val);
}

export function buildDesign(s: DesignSpec): Design {
  const { grid, system, collapse } = s;
  const { T, cell } = grid;
  const G = grid.groups.length;
  const K0 = s.regressors.length;
  const at = (vals: ArrayLike<number>, g: number, p: number) => {
    if (p < 0 || p >= T) return NaN;
    const row = cell[g * T + p];
    return row < 0 ? NaN : vals[row];
  };
  // --- validity of differenced / level rows for every period (y and all regressors observed)
  const levelOk = new Uint8Array(G * T);
  for (let g = 0; g < G; g++) {
    for (let p = 0; p < T; p++) {
      let ok = Number.isFinite(at(s.y, g, p));
      for (let k = 0; ok && k < K0; k++) ok = Number.isFinite(at(s.regressors[k].values, g, p));
      levelOk[g * T + p] = ok ? 1 : 0;
    }
  }
  const diffOk = (g: number, p: number) => p >= 1 && levelOk[g * T + p] === 1 && levelOk[g * T + p - 1] === 1;
  const minGmmLag = Math.min(...s.gmm.map((z) => z.minLag));
  let TL1 = s.lostPeriods;
  if (TL1 === undefined) {
    // plm: TL1 = max(max regressor lag + 1, min gmm lag); the first part is read off the data as the period
    // before the first complete differenced row, which equals it whenever that row exists in plm's sense.
    let first = -1;
    for (let p = 1; p < T && first < 0; p++) for (let g = 0; g < G; g++) if (diffOk(g, p)) { first = p; break; }
    if (first < 0) {
      throw new EstimationInputError(`panel too short: no group has two consecutive periods with ${s.yName} and all regressors observed`, 'time');
    }
    TL1 = Math.max(first, minGmmLag, 1);
  }
  const m1 = T - TL1;
  if (m1 < 1) {
    throw new EstimationInputError(`panel too short: ${T} periods but ${TL1} are lost to lags and differencing (instruments from lag ${minGmmLag})`, 'time');
  }
  const m2 = system ? m1 + 1 : 0;
  const r = m1 + m2;
  // row -> period; diff rows 0..m1-1 are periods TL1..T-1 (0-based), level rows are periods TL1-1..T-1
  const rowPeriod = (i: number) => (i < m1 ? TL1 + i : TL1 - 1 + (i - m1));
  const rowIsLevel = (i: number) => i >= m1;
  const valid = new Uint8Array(G * r);
  const rowCount = new Float64Array(r);
  let nobs = 0, groupsUsed = 0;
  for (let g = 0; g < G; g++) {
    let any = false;
    for (let i = 0; i < r; i++) {
      const p = rowPeriod(i);
      const ok = rowIsLevel(i) ? levelOk[g * T + p] === 1 : diffOk(g, p);
      if (ok) { valid[g * r + i] = 1; rowCount[i]++; nobs++; any = true; }
    }
    if (any) groupsUsed++;
  }
  if (nobs === 0) throw new EstimationInputError(`panel too short: no usable differenced observation of ${s.yName}`, 'time');

  // --- time dummies: plm's V1 (differenced) / V2 (levels, with intercept); drop those the sample cannot identify
  const tdLabels: string[] = [];
  const tdRows: Float64Array[] = []; // value of each dummy column on each row
  if (s.timeDummies) {
    // plm adds the intercept (levels) only together with the time dummies (effect = "twoways")
    if (system) {
      const v = new Float64Array(r);
      for (let i = m1; i < r; i++) v[i] = 1;
      tdLabels.push('(Intercept)'); tdRows.push(v);
    }
    for (let c = 0; c < m1; c++) {
      const pc = TL1 + c;
      const v = new Float64Array(r);
      for (let i = 0; i < m1; i++) v[i] = (i === c ? 1 : 0) - (i === c + 1 ? 1 : 0);
      for (let i = m1; i < r; i++) v[i] = rowPeriod(i) === pc ? 1 : 0;
      tdLabels.push(String(grid.tmin + pc)); tdRows.push(v);
    }
  }
  const droppedDummies: string[] = [];
  let keptTd = tdLabels.map((_, j) => j);
  if (tdLabels.length) {
    const nt = tdLabels.length, gram = zeros(nt, nt);
    for (let a = 0; a < nt; a++) for (let b = 0; b < nt; b++) {
      let sum = 0;
      for (let i = 0; i < r; i++) sum += rowCount[i] * tdRows[a][i] * tdRows[b][i];
      gram.data[a + b * nt] = sum;
    }
    const bad = new Set(collinearColumns(gram, 1e-10));
    keptTd = keptTd.filter((j) => !bad.has(j));
    for (const j of bad) droppedDummies.push(tdLabels[j]);
  }

  // --- regressor template
  const termNames = [...s.regressors.map((x) => x.name), ...keptTd.map((j) => tdLabels[j])];
  const timeDummyTerms = keptTd.map((j) => tdLabels[j]);
  const K = termNames.length;

  // --- instrument template (plm column order: d: [gmm, V1, Z1]; ld: [gmm diff | gmm level, V2 | Z1 | Z2])
  const zt = newTemplate();
  const inames: string[] = [];
  let L = 0;
  const gmmDiffBlock = () => {
    s.gmm.forEach((z, j) => {
      if (collapse) {
        const maxl = Math.min(z.maxLag, T - 1);
        for (let l = z.minLag; l <= maxl; l++) {
          let used = false;
          for (let i = 0; i < m1; i++) {
            let q = rowPeriod(i) - l;
            if (q === -1 && l === z.minLag && s.emulatePlmLagRange) q = 0;
            if (q >= 0) { push(zt, i, L, GMM_LEVEL, j, q); used = true; }
          }
          if (used) { inames.push(`lag(${z.name}, ${l}) [collapsed]`); L++; }
        }
      } else {
        for (let i = 0; i < m1; i++) {
          const p = rowPeriod(i);
          const last = p - z.minLag === -1 && s.emulatePlmLagRange ? 0 : p - z.minLag;
          for (let q = Math.max(0, p - z.maxLag); q <= last; q++) {
            push(zt, i, L, GMM_LEVEL, j, q);
            inames.push(`${z.name}@${grid.tmin + q} for ${grid.tmin + p}`); L++;
          }
        }
      }
    });
  };
  const gmmLevelBlock = () => {
    // plm's makeW2: the level equation of period t uses the first difference at t-1, whatever the gmm lags
    s.gmm.forEach((z, j) => {
      if (collapse) {
        let used = false;
        for (let i = m1; i < r; i++) if (rowPeriod(i) >= 2) { push(zt, i, L, GMM_DIFF, j, rowPeriod(i) - 1); used = true; }
        if (used) { inames.push(`diff(${z.name}) lag 1 [level eq., collapsed]`); L++; }
      } else {
        for (let i = m1; i < r; i++) {
          const p = rowPeriod(i);
          if (p < 2) continue;
          push(zt, i, L, GMM_DIFF, j, p - 1);
          inames.push(`diff(${z.name})@${grid.tmin + p - 1} for level ${grid.tmin + p}`); L++;
        }
      }
    });
  };
  const tdBlock = (rows: 'diff' | 'level') => {
    for (const j of keptTd) {
      const from = rows === 'diff' ? 0 : m1, to = rows === 'diff' ? m1 : r;
      for (let i = from; i < to; i++) if (tdRows[j][i] !== 0) push(zt, i, L, CONST, 0, 0, tdRows[j][i]);
      inames.push(`${tdLabels[j]} [${rows === 'diff' ? 'diff' : 'level'} eq.]`); L++;
    }
  };
  const ivBlock = (rows: 'diff' | 'level') => {
    s.iv.forEach((z, j) => {
      const from = rows === 'diff' ? 0 : m1, to = rows === 'diff' ? m1 : r;
      for (let i = from; i < to; i++) push(zt, i, L, rows === 'diff' ? IV_DIFF : IV_LEVEL, j, rowPeriod(i));
      inames.push(`${z.name} [${rows === 'diff' ? 'diff' : 'level'} eq.]`); L++;
    });
  };
  gmmDiffBlock();
  if (system) gmmLevelBlock();
  const gmmCols = L;
  if (gmmCols === 0) {
    throw new EstimationInputError(`no valid instruments: lags ${s.gmm.map((z) => `${z.minLag}:${z.maxLag} of ${z.name}`).join(', ')} reach before the first period for every row`, 'gmm.instruments');
  }
  if (system) { tdBlock('level'); ivBlock('diff'); ivBlock('level'); }
  else { if (s.timeDummies) tdBlock('diff'); ivBlock('diff'); }

  // template entries sorted by row, so each group's Z is built directly as sparse rows
  const nE = zt.row.length;
  const ord = Array.from({ length: nE }, (_, e) => e).sort((a, b) => zt.row[a] - zt.row[b] || a - b);
  const eRow = Int32Array.from(ord, (e) => zt.row[e]), eCol = Int32Array.from(ord, (e) => zt.col[e]);
  const eKind = Int8Array.from(ord, (e) => zt.kind[e]), eVar = Int32Array.from(ord, (e) => zt.v[e]);
  const ePer = Int32Array.from(ord, (e) => zt.per[e]), eVal = Float64Array.from(ord, (e) => zt.val[e]);
  const { hi, hj, hv } = firstStepEntries(m1, m2, s.fsm);

  // --- build per group: y, X (dense r x K), Z as sparse rows; accumulate Z'HZ, Z'X, Z'y
  const Lf = L;
  const f64 = (a: ArrayLike<number>) => (a instanceof Float64Array ? a : Float64Array.from(a));
  const ctx: GroupContext = {
    T, r, m1, K, K0, Lf, system, cell,
    yv: f64(s.y), regVals: s.regressors.map((x) => f64(x.values)),
    gmmVals: s.gmm.map((z) => f64(z.values)), ivVals: s.iv.map((z) => f64(z.values)),
    rowPer: Int32Array.from({ length: r }, (_, i) => rowPeriod(i)),
    tdCols: Float64Array.from({ length: r * (K - K0) }, (_, t) => tdRows[keptTd[Math.floor(t / r)]][t % r]),
    eRow, eCol, eKind, eVar, ePer, eVal, hi, hj, hv, valid,
    X: new Float64Array(G * r * K), y: new Float64Array(G * r),
    ZX: new Float64Array(G * Lf * K), Zy: new Float64Array(G * Lf),
    ZXd: system ? new Float64Array(G * Lf * K) : new Float64Array(0), Zyd: system ? new Float64Array(G * Lf) : new Float64Array(0),
    S1: new Float64Array(Lf * Lf),
    rowStart: new Int32Array(r + 1), zCol: new Int32Array(eRow.length), zVal: new Float64Array(eRow.length),
    colNonZero: new Uint8Array(Lf),
  };
  for (let g = 0; g < G; g++) buildGroup(ctx, g);
  const { X, y, colNonZero } = ctx;
  const ZXf = ctx.ZX, Zyf = ctx.Zy, S1f = ctx.S1;
  const ZXdf = system ? ctx.ZXd : ZXf, Zydf = system ? ctx.Zyd : Zyf;

  // --- drop instrument columns that are zero in every group (plm keeps them and falls back to a g-inverse)
  const keep: number[] = [], dropNames: string[] = [];
  for (let c = 0; c < Lf; c++) if (colNonZero[c]) keep.push(c); else dropNames.push(inames[c]);
  L = keep.length;
  if (!keep.some((c) => c < gmmCols)) {
    throw new EstimationInputError(`no valid instruments: ${s.gmm.map((z) => z.name).join(', ')} missing (or zero) at every lag used, wherever the model is observed`, 'gmm.instruments');
  }
  let ZX = ZXf, Zy = Zyf, ZXd = ZXdf, Zyd = Zydf;
  const S1 = zeros(L, L);
  for (let b = 0; b < L; b++) for (let a = 0; a < L; a++) S1.data[a + b * L] = S1f[keep[a] + keep[b] * Lf];
  const compact = (zx: Float64Array, zy: Float64Array) => {
    const ox = new Float64Array(G * L * K), oy = new Float64Array(G * L);
    for (let g = 0; g < G; g++) {
      for (let a = 0; a < L; a++) {
        oy[g * L + a] = zy[g * Lf + keep[a]];
        for (let k = 0; k < K; k++) ox[g * L * K + a + k * L] = zx[g * Lf * K + keep[a] + k * Lf];
      }
    }
    return [ox, oy] as const;
  };
  if (L !== Lf) {
    [ZX, Zy] = compact(ZXf, Zyf);
    [ZXd, Zyd] = system ? compact(ZXdf, Zydf) : [ZX, Zy];
  }
  return {
    G, r, m1, m2, TL1, K, L, termNames, timeDummyTerms, instrumentNames: keep.map((c) => inames[c]),
    X, y, valid, ZX, Zy, ZXd, Zyd, S1, droppedInstruments: dropNames, droppedDummies, nobs, groupsUsed,
  };
}

interface GroupContext {
  T: number; r: number; m1: number; K: number; K0: number; Lf: number; system: boolean; cell: Int32Array;
  yv: Float64Array; regVals: Float64Array[]; gmmVals: Float64Array[]; ivVals: Float64Array[];
  rowPer: Int32Array; tdCols: Float64Array;
  eRow: Int32Array; eCol: Int32Array; eKind: Int8Array; eVar: Int32Array; ePer: Int32Array; eVal: Float64Array;
  hi: Int32Array; hj: Int32Array; hv: Float64Array; valid: Uint8Array;
  X: Float64Array; y: Float64Array; ZX: Float64Array; Zy: Float64Array; ZXd: Float64Array; Zyd: Float64Array; S1: Float64Array;
  rowStart: Int32Array; zCol: Int32Array; zVal: Float64Array; colNonZero: Uint8Array;
}

/** value of a variable for grid cell base + p (NaN outside the grid or where the group has no row) */
function cellValue(vals: Float64Array, cell: Int32Array, base: number, p: number, T: number): number {
  if (p < 0 || p >= T) return NaN;
  const row = cell[base + p];
  return row < 0 ? NaN : vals[row];
}

// One group's rows: a small top-level function so V8 optimises it once and reuses it for every group.
function buildGroup(c: GroupContext, g: number) {
  const { T, r, m1, K, K0, Lf, cell, valid, X, y, rowStart, zCol, zVal } = c;
  const base = g * T, xo = g * r * K, yo = g * r;
  for (let i = 0; i < r; i++) {
    if (!valid[yo + i]) continue;
    const p = c.rowPer[i], lev = i >= m1;
    const y1 = cellValue(c.yv, cell, base, p, T);
    y[yo + i] = lev ? y1 : y1 - cellValue(c.yv, cell, base, p - 1, T);
    for (let k = 0; k < K0; k++) {
      const v = c.regVals[k], x1 = cellValue(v, cell, base, p, T);
      X[xo + i + k * r] = lev ? x1 : x1 - cellValue(v, cell, base, p - 1, T);
    }
    for (let k = K0; k < K; k++) X[xo + i + k * r] = c.tdCols[(k - K0) * r + i];
  }
  // sparse rows of Z: rows of missing observations are empty, missing instruments are 0 (plm)
  const { eRow, eCol, eKind, eVar, ePer, eVal } = c;
  const nE = eRow.length;
  let nz = 0, e = 0;
  for (let i = 0; i < r; i++) {
    rowStart[i] = nz;
    if (!valid[yo + i]) { while (e < nE && eRow[e] === i) e++; continue; }
    for (; e < nE && eRow[e] === i; e++) {
      let v: number;
      const kind = eKind[e];
      if (kind === CONST) v = eVal[e];
      else {
        const vals = kind === GMM_LEVEL || kind === GMM_DIFF ? c.gmmVals[eVar[e]] : c.ivVals[eVar[e]];
        v = cellValue(vals, cell, base, ePer[e], T);
        if (kind === GMM_DIFF || kind === IV_DIFF) v -= cellValue(vals, cell, base, ePer[e] - 1, T);
      }
      if (!(v === v) || v === 0 || v === Infinity || v === -Infinity) continue;
      zCol[nz] = eCol[e]; zVal[nz] = v; nz++;
      c.colNonZero[eCol[e]] = 1;
    }
  }
  rowStart[r] = nz;
  if (nz === 0) return;
  // S1 += sum_ij H_ij z_i z_j'
  const { hi, hj, hv, S1 } = c;
  for (let t = 0; t < hi.length; t++) {
    const i = hi[t], j = hj[t], h = hv[t];
    const ai = rowStart[i], bi = rowStart[i + 1], aj = rowStart[j], bj = rowStart[j + 1];
    if (ai === bi || aj === bj) continue;
    for (let u = ai; u < bi; u++) {
      const hu = h * zVal[u], cu = zCol[u];
      for (let w = aj; w < bj; w++) S1[cu + zCol[w] * Lf] += hu * zVal[w];
    }
  }
  // Z_i'X_i and Z_i'y_i (and over the differenced rows alone for system GMM)
  const { ZX, Zy, ZXd, Zyd, system } = c;
  const zxo = g * Lf * K, zyo = g * Lf;
  for (let i = 0; i < r; i++) {
    const a = rowStart[i], b = rowStart[i + 1];
    if (a === b) continue;
    const yi = y[yo + i], diffRow = system && i < m1;
    for (let u = a; u < b; u++) {
      const col = zCol[u], v = zVal[u];
      Zy[zyo + col] += v * yi;
      if (diffRow) Zyd[zyo + col] += v * yi;
      for (let k = 0; k < K; k++) {
        const xv = X[xo + i + k * r];
        if (xv === 0) continue;
        ZX[zxo + col + k * Lf] += v * xv;
        if (diffRow) ZXd[zxo + col + k * Lf] += v * xv;
      }
    }
  }
}

/** non-zero entries of plm's first-step matrix H for one group (G: 2 on the diagonal, -1 next to it; full: [[G, FD], [FD', I]]) */
function firstStepEntries(m1: number, m2: number, fsm: FirstStepMatrix) {
  const hi: number[] = [], hj: number[] = [], hv: number[] = [];
  const add = (i: number, j: number, v: number) => { hi.push(i); hj.push(j); hv.push(v); };
  if (fsm === 'I') {
    for (let i = 0; i < m1 + m2; i++) add(i, i, 1);
  } else {
    for (let i = 0; i < m1; i++) {
      add(i, i, 2);
      if (i + 1 < m1) { add(i, i + 1, -1); add(i + 1, i, -1); }
    }
    for (let j = 0; j < m2; j++) add(m1 + j, m1 + j, 1);
    if (fsm === 'full') {
      // FD (m1 x m2): row i has -1 at level column i and +1 at level column i + 1
      for (let i = 0; i < m1; i++) {
        add(i, m1 + i, -1); add(m1 + i, i, -1);
        add(i, m1 + i + 1, 1); add(m1 + i + 1, i, 1);
      }
    }
  }
  return { hi: Int32Array.from(hi), hj: Int32Array.from(hj), hv: Float64Array.from(hv) };
}
