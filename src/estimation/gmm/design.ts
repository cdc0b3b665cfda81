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
    if (s.timeDummies) {
      for (let c = 0; c < m1; c++) {
        const pc = TL1 + c;
        const v = new Float64Array(r);
        for (let i = 0; i < m1; i++) v[i] = (i === c ? 1 : 0) - (i === c + 1 ? 1 : 0);
        for (let i = m1; i < r; i++) v[i] = rowPeriod(i) === pc ? 1 : 0;
        tdLabels.push(String(grid.tmin + pc)); tdRows.push(v);
      }
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

  const eRow = Int32Array.from(zt.row), eCol = Int32Array.from(zt.col), eKind = Int8Array.from(zt.kind);
  const eVar = Int32Array.from(zt.v), ePer = Int32Array.from(zt.per), eVal = Float64Array.from(zt.val);
  const nE = eRow.length;

  // --- build per group
  const Lf = L;
  const X = new Float64Array(G * r * K), y = new Float64Array(G * r);
  const ZXf = new Float64Array(G * Lf * K), Zyf = new Float64Array(G * Lf);
  const ZXdf = system ? new Float64Array(G * Lf * K) : ZXf, Zydf = system ? new Float64Array(G * Lf) : Zyf;
  const S1f = new Float64Array(Lf * Lf);
  const Z = new Float64Array(r * Lf), HZ = new Float64Array(r * Lf);
  const colNonZero = new Uint8Array(Lf);
  const gmmVals = s.gmm.map((z) => z.values), ivVals = s.iv.map((z) => z.values);
  const nzCols: number[] = [];
  const colSeen = new Uint8Array(Lf);
  for (let g = 0; g < G; g++) {
    const xo = g * r * K, yo = g * r;
    // y and X
    for (let i = 0; i < r; i++) {
      if (!valid[yo + i]) continue;
      const p = rowPeriod(i), lev = rowIsLevel(i);
      y[yo + i] = lev ? at(s.y, g, p) : at(s.y, g, p) - at(s.y, g, p - 1);
      for (let k = 0; k < K0; k++) {
        const v = s.regressors[k].values;
        X[xo + i + k * r] = lev ? at(v, g, p) : at(v, g, p) - at(v, g, p - 1);
      }
      for (let k = K0; k < K; k++) X[xo + i + k * r] = tdRows[keptTd[k - K0]][i];
    }
    // Z: zero rows of missing observations, missing instruments as 0 (plm)
    Z.fill(0);
    nzCols.length = 0;
    for (let e = 0; e < nE; e++) {
      const i = eRow[e];
      if (!valid[yo + i]) continue;
      let v: number;
      switch (eKind[e]) {
        case CONST: v = eVal[e]; break;
        case GMM_LEVEL: v = at(gmmVals[eVar[e]], g, ePer[e]); break;
        case GMM_DIFF: v = at(gmmVals[eVar[e]], g, ePer[e]) - at(gmmVals[eVar[e]], g, ePer[e] - 1); break;
        case IV_LEVEL: v = at(ivVals[eVar[e]], g, ePer[e]); break;
        default: v = at(ivVals[eVar[e]], g, ePer[e]) - at(ivVals[eVar[e]], g, ePer[e] - 1);
      }
      if (!Number.isFinite(v) || v === 0) continue;
      const c = eCol[e];
      Z[i + c * r] = v;
      if (!colSeen[c]) { colSeen[c] = 1; nzCols.push(c); }
    }
    for (const c of nzCols) { colSeen[c] = 0; colNonZero[c] = 1; }
    if (nzCols.length === 0) continue;
    // HZ for the non-zero columns
    for (const c of nzCols) applyH(Z, HZ, c * r, m1, m2, s.fsm);
    // S1 += Z'HZ ; ZX_i = Z'X ; Zy_i = Z'y  (only non-zero columns contribute)
    for (const a of nzCols) {
      const za = a * r;
      for (const b of nzCols) {
        if (b < a) continue;
        const hb = b * r;
        let sum = 0;
        for (let i = 0; i < r; i++) sum += Z[za + i] * HZ[hb + i];
        S1f[a + b * Lf] += sum;
        if (a !== b) S1f[b + a * Lf] += sum;
      }
      const zxo = g * Lf * K;
      for (let k = 0; k < K; k++) {
        let sum = 0;
        const xk = xo + k * r;
        for (let i = 0; i < r; i++) sum += Z[za + i] * X[xk + i];
        ZXf[zxo + a + k * Lf] = sum;
      }
      let sy = 0;
      for (let i = 0; i < r; i++) sy += Z[za + i] * y[yo + i];
      Zyf[g * Lf + a] = sy;
      if (system) {
        for (let k = 0; k < K; k++) {
          let sum = 0;
          const xk = xo + k * r;
          for (let i = 0; i < m1; i++) sum += Z[za + i] * X[xk + i];
          ZXdf[zxo + a + k * Lf] = sum;
        }
        let sd = 0;
        for (let i = 0; i < m1; i++) sd += Z[za + i] * y[yo + i];
        Zydf[g * Lf + a] = sd;
      }
    }
  }

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

/** out = H z for one column: plm's first-step weight (G: 2 on the diagonal, -1 next to it; full: [[G, FD], [FD', I]]). */
function applyH(z: Float64Array, out: Float64Array, o: number, m1: number, m2: number, fsm: FirstStepMatrix) {
  if (fsm === 'I') { for (let i = 0; i < m1 + m2; i++) out[o + i] = z[o + i]; return; }
  for (let i = 0; i < m1; i++) {
    let v = 2 * z[o + i];
    if (i > 0) v -= z[o + i - 1];
    if (i < m1 - 1) v -= z[o + i + 1];
    out[o + i] = v;
  }
  if (m2 === 0) return;
  const l = o + m1;
  if (fsm === 'GI') { for (let j = 0; j < m2; j++) out[l + j] = z[l + j]; return; }
  // full: diff rows get -e_level[i] + e_level[i+1]; level rows get -e_diff[j] + e_diff[j-1] + e_level[j]
  for (let i = 0; i < m1; i++) out[o + i] += -z[l + i] + z[l + i + 1];
  for (let j = 0; j < m2; j++) {
    let v = z[l + j];
    if (j < m1) v -= z[o + j];
    if (j >= 1) v += z[o + j - 1];
    out[l + j] = v;
  }
}
