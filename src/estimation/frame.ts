// Data frame (numeric columns as Float64Array with NaN = missing, string columns for ids and factors), the panel
// index behind lag()/diff() (a missing year is a gap, not a shift), and evaluation of formula expressions.
import { EstimationInputError } from './result.js';
import { Expr, exprName, parseExpression } from './formula.js';

export type Column = Float64Array | (string | null)[];

export interface DataFrame {
  nrows: number;
  columns: Record<string, Column>;
}

/** Builds a frame from columns (numeric arrays are copied to Float64Array; null/undefined become NaN). */
export function frameFromColumns(cols: Record<string, Column | ArrayLike<number | null | undefined> | (string | number | null)[]>): DataFrame {
  const names = Object.keys(cols);
  const nrows = names.length ? cols[names[0]].length : 0;
  const columns: Record<string, Column> = {};
  for (const name of names) {
    const c = cols[name];
    if (c.length !== nrows) throw new EstimationInputError(`column '${name}' has ${c.length} rows, expected ${nrows}`, name);
    if (c instanceof Float64Array) columns[name] = c;
    else if (Array.prototype.some.call(c, (v: unknown) => typeof v === 'string')) columns[name] = Array.from(c as ArrayLike<unknown>, (v) => (v == null ? null : String(v)));
    else columns[name] = Float64Array.from(c as ArrayLike<number | null | undefined>, (v) => (v == null ? NaN : Number(v)));
  }
  return { nrows, columns };
}

/** Builds a frame from row objects: a column is numeric when every non-missing value is a number (or numeric text). */
export function frameFromRecords(rows: Record<string, unknown>[]): DataFrame {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) { seen.add(k); names.push(k); }
  const columns: Record<string, Column> = {};
  for (const name of names) {
    const raw = rows.map((r) => r[name]);
    const missing = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && /^\s*(|NA|NaN|null)\s*$/i.test(v)) || (typeof v === 'number' && Number.isNaN(v));
    // codes with leading zeros (FIPS "01001", postcodes) stay text: as numbers they would no longer match their ids
    const numeric = raw.every((v) => missing(v) || typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) && !/^\s*[+-]?0\d/.test(v)));
    columns[name] = numeric
      ? Float64Array.from(raw, (v) => (missing(v) ? NaN : Number(v)))
      : raw.map((v) => (missing(v) ? null : String(v)));
  }
  return { nrows: rows.length, columns };
}

export function columnNames(frame: DataFrame): string[] {
  return Object.keys(frame.columns);
}

function getColumn(frame: DataFrame, name: string, what: string): Column {
  const c = frame.columns[name];
  if (c === undefined) {
    const known = columnNames(frame);
    throw new EstimationInputError(`unknown column '${name}' in ${what} (columns: ${known.slice(0, 30).join(', ')}${known.length > 30 ? ', ...' : ''})`, name);
  }
  return c;
}

export function numericColumn(frame: DataFrame, name: string, what = 'the model'): Float64Array {
  const c = getColumn(frame, name, what);
  if (!(c instanceof Float64Array)) throw new EstimationInputError(`column '${name}' in ${what} is not numeric (use it as a fixed effect after '|', or as the panel id)`, name);
  return c;
}

export interface FactorCodes {
  /** 0..nlevels-1 per row, -1 where missing */
  codes: Int32Array;
  levels: string[];
  nlevels: number;
  /** rows with a missing value (code -1) */
  missing: number;
}

/**
 * Integer codes 0..nlevels-1 of any column (missing = -1); levels in first-appearance order. `levels` (as text) is
 * built on first access: the fixed effects of a 10M-row model need only the codes and their count.
 */
export function factorCodes(frame: DataFrame, name: string, what = 'the model'): FactorCodes {
  const c = getColumn(frame, name, what);
  if (c instanceof Float64Array) {
    const fast = integerCodes(c);
    if (fast) return fast;
  }
  const codes = new Int32Array(frame.nrows);
  const map = new Map<string | number, number>();
  const levels: string[] = [];
  let missing = 0;
  for (let i = 0; i < frame.nrows; i++) {
    const v = c[i];
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) { codes[i] = -1; missing++; continue; }
    let k = map.get(v);
    if (k === undefined) { k = levels.length; map.set(v, k); levels.push(String(v)); }
    codes[i] = k;
  }
  return { codes, levels, nlevels: levels.length, missing };
}

/** Fast path for integer-valued numeric columns with a compact range (ids, years): a lookup table, no hashing. */
function integerCodes(c: Float64Array): FactorCodes | null {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < c.length; i++) {
    const v = c[i];
    if (v !== v) continue; // NaN
    if (v !== Math.floor(v)) return null; // fractional or infinite
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return { codes: new Int32Array(c.length).fill(-1), levels: [], nlevels: 0, missing: c.length };
  if (!(hi - lo < Math.max(4 * c.length, 1024))) return null;
  const table = new Int32Array(hi - lo + 1).fill(-1);
  const codes = new Int32Array(c.length);
  const values = new Float64Array(Math.min(hi - lo + 1, c.length));
  let k = 0, missing = 0;
  for (let i = 0; i < c.length; i++) {
    const v = c[i];
    if (v !== v) { codes[i] = -1; missing++; continue; }
    let code = table[v - lo];
    if (code < 0) { code = table[v - lo] = k; values[k++] = v; }
    codes[i] = code;
  }
  const used = k < values.length ? values.slice(0, k) : values;
  let levels: string[] | undefined;
  return {
    codes,
    nlevels: k,
    missing,
    get levels() {
      return (levels ??= Array.from(used, String));
    },
  };
}

/** Rows of each id sorted by time; lag(k) maps a row to the row of the same id at time t-k, or -1. */
export class PanelIndex {
  readonly id: Int32Array;
  readonly time: Float64Array;
  readonly ngroups: number;
  /** rows without an id */
  readonly idMissing: number;
  private readonly codes: { levels: string[] };
  private sorted?: Int32Array;
  private lags = new Map<number, Int32Array>();

  constructor(frame: DataFrame, readonly idName: string, readonly timeName: string) {
    const fc = factorCodes(frame, idName, 'panel.id');
    const tcol = getColumn(frame, timeName, 'panel.time');
    if (!(tcol instanceof Float64Array)) throw new EstimationInputError(`panel time column '${timeName}' must be numeric (e.g. a year)`, timeName);
    this.id = fc.codes;
    this.codes = fc;
    this.time = tcol;
    this.ngroups = fc.nlevels;
    this.idMissing = fc.missing;
  }

  /** id values as text, by code (built on first use) */
  get idLevels(): string[] {
    return this.codes.levels;
  }

  /** Rows sorted by (id, time), rows with a missing id or time left out; built on first use (lags, differences). */
  get order(): Int32Array {
    if (this.sorted) return this.sorted;
    const { id: codes, time: tcol, idName, timeName } = this;
    // counting sort by id (stable), then a stable insertion sort by time within each id: O(n) for the usual panel
    // whose rows of an id are few or already in time order
    const L = this.ngroups, start = new Int32Array(L + 1);
    for (let i = 0; i < codes.length; i++) if (codes[i] >= 0 && Number.isFinite(tcol[i])) start[codes[i] + 1]++;
    for (let g = 0; g < L; g++) start[g + 1] += start[g];
    const rows = new Int32Array(start[L]), cur = start.slice(0, L);
    for (let i = 0; i < codes.length; i++) if (codes[i] >= 0 && Number.isFinite(tcol[i])) rows[cur[codes[i]]++] = i;
    for (let g = 0; g < L; g++) {
      // long series: the built-in (stable) sort; short ones: insertion sort, linear when already in order
      if (start[g + 1] - start[g] > 32) rows.subarray(start[g], start[g + 1]).sort((a, b) => tcol[a] - tcol[b]);
      else for (let p = start[g] + 1; p < start[g + 1]; p++) {
        const r = rows[p], t = tcol[r];
        let q = p - 1;
        while (q >= start[g] && tcol[rows[q]] > t) { rows[q + 1] = rows[q]; q--; }
        rows[q + 1] = r;
      }
      for (let p = start[g] + 1; p < start[g + 1]; p++) {
        const a = rows[p - 1], b = rows[p];
        if (tcol[a] === tcol[b])
          throw new EstimationInputError(`panel has duplicate rows for ${idName} = ${this.idLevels[codes[a]]}, ${timeName} = ${tcol[a]} (rows ${a + 1} and ${b + 1})`, idName);
      }
    }
    this.sorted = rows;
    return rows;
  }

  /** Row of the same id at time t-k (k < 0: t+|k|), -1 when that period is absent (a gap). */
  lagRows(k: number): Int32Array {
    let out = this.lags.get(k);
    if (out) return out;
    out = new Int32Array(this.id.length).fill(-1);
    const { order, id, time } = this;
    const n = order.length;
    for (let p = 0; p < n; p++) {
      const r = order[p], target = time[r] - k;
      if (k === 0) { out[r] = r; continue; }
      const dir = k > 0 ? -1 : 1;
      for (let q = p + dir; q >= 0 && q < n; q += dir) {
        const s = order[q];
        if (id[s] !== id[r]) break;
        if (time[s] === target) { out[r] = s; break; }
        if (dir < 0 ? time[s] < target : time[s] > target) break;
      }
    }
    this.lags.set(k, out);
    return out;
  }
}

const UNARY_FUNCS: Record<string, (x: number) => number> = {
  log: Math.log, log1p: Math.log1p, exp: Math.exp, sqrt: Math.sqrt, abs: Math.abs, I: (x) => x,
};

/** Evaluates formula expressions on a frame, memoised by canonical name (so lag(log(x), k) reuses log(x)). */
export class Evaluator {
  private cache = new Map<string, Float64Array>();
  constructor(readonly frame: DataFrame, readonly panel?: PanelIndex) {}

  eval(e: Expr, what = exprName(e)): Float64Array {
    const key = exprName(e);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const v = this.compute(e, what);
    this.cache.set(key, v);
    return v;
  }

  /** Product of the factors of an interaction term (a single factor: its values). */
  evalProduct(factors: Expr[], what: string): Float64Array {
    if (factors.length === 1) return this.eval(factors[0], what);
    const out = Float64Array.from(this.eval(factors[0], what));
    for (const f of factors.slice(1)) {
      const v = this.eval(f, what);
      for (let i = 0; i < out.length; i++) out[i] *= v[i];
    }
    return out;
  }

  private compute(e: Expr, what: string): Float64Array {
    const n = this.frame.nrows;
    switch (e.kind) {
      case 'var': return numericColumn(this.frame, e.name, `term '${what}'`);
      case 'num': return new Float64Array(n).fill(e.value);
      case 'unary': {
        const a = this.eval(e.arg, what);
        return e.op === '-' ? a.map((x) => -x) : a.map((x) => (Number.isNaN(x) ? NaN : x ? 0 : 1));
      }
      case 'binary': return binary(e.op, this.eval(e.left, what), this.eval(e.right, what));
      case 'call': {
        if (e.fn in UNARY_FUNCS) {
          const f = UNARY_FUNCS[e.fn];
          return this.eval(e.args[0], what).map(f);
        }
        if (e.fn === 'lag' || e.fn === 'lead' || e.fn === 'diff') {
          if (!this.panel) throw new EstimationInputError(`term '${what}' uses ${e.fn}() but the spec has no panel {id, time}`, 'panel');
          const kArg = e.args[1];
          let k = e.args.length === 2 ? (kArg.kind === 'num' ? kArg.value : NaN) : 1;
          if (!Number.isInteger(k)) throw new EstimationInputError(`term '${what}': the lag must be an integer`, 'formula');
          if (e.fn === 'lead') k = -k;
          const x = this.eval(e.args[0], what);
          const src = this.panel.lagRows(k);
          const out = new Float64Array(n);
          for (let i = 0; i < n; i++) {
            const s = src[i];
            out[i] = s < 0 ? NaN : e.fn === 'diff' ? x[i] - x[s] : x[s];
          }
          return out;
        }
        throw new EstimationInputError(`term '${what}': unknown function '${e.fn}'`, 'formula');
      }
      default:
        throw new EstimationInputError(`term '${what}': '${exprName(e)}' cannot be evaluated as a number`, 'formula');
    }
  }
}

function binary(op: string, a: Float64Array, b: Float64Array): Float64Array {
  const n = a.length, out = new Float64Array(n);
  const cmp = (f: (x: number, y: number) => boolean) => { for (let i = 0; i < n; i++) out[i] = Number.isNaN(a[i]) || Number.isNaN(b[i]) ? NaN : f(a[i], b[i]) ? 1 : 0; };
  switch (op) {
    case '+': for (let i = 0; i < n; i++) out[i] = a[i] + b[i]; break;
    case '-': for (let i = 0; i < n; i++) out[i] = a[i] - b[i]; break;
    case '*': for (let i = 0; i < n; i++) out[i] = a[i] * b[i]; break;
    case '/': for (let i = 0; i < n; i++) out[i] = a[i] / b[i]; break;
    case '^': for (let i = 0; i < n; i++) out[i] = a[i] ** b[i]; break;
    case '==': cmp((x, y) => x === y); break;
    case '!=': cmp((x, y) => x !== y); break;
    case '>=': cmp((x, y) => x >= y); break;
    case '<=': cmp((x, y) => x <= y); break;
    case '>': cmp((x, y) => x > y); break;
    case '<': cmp((x, y) => x < y); break;
    case '&': cmp((x, y) => x !== 0 && y !== 0); break;
    case '|': cmp((x, y) => x !== 0 || y !== 0); break;
    default: throw new EstimationInputError(`unknown operator '${op}'`, 'formula');
  }
  return out;
}

/**
 * Rows kept by a `sample.where` condition such as `year >= 2014 & province != "Hubei"`.
 * String columns can be compared to string literals with == and !=; a missing value never matches.
 */
export function evalWhere(frame: DataFrame, where: string, panel?: PanelIndex): Uint8Array {
  const e = parseExpression(where, 'sample.where');
  const ev = new Evaluator(frame, panel);
  const n = frame.nrows;
  const cond = (x: Expr): Float64Array => {
    if (x.kind === 'binary' && (x.op === '==' || x.op === '!=') && (x.left.kind === 'str' || x.right.kind === 'str')) {
      const [col, lit] = x.left.kind === 'str' ? [x.right, x.left] : [x.left, x.right];
      if (col.kind !== 'var' || lit.kind !== 'str') throw new EstimationInputError(`sample.where: a string can only be compared with a column`, 'sample.where');
      const c = getColumn(frame, col.name, 'sample.where');
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = c[i];
        out[i] = v === null || (typeof v === 'number' && Number.isNaN(v)) ? NaN : (String(v) === lit.value) === (x.op === '==') ? 1 : 0;
      }
      return out;
    }
    if (x.kind === 'binary' && (x.op === '&' || x.op === '|')) return binary(x.op, cond(x.left), cond(x.right));
    if (x.kind === 'unary' && x.op === '!') return cond(x.arg).map((v) => (Number.isNaN(v) ? NaN : v ? 0 : 1));
    return ev.eval(x, 'sample.where');
  };
  const v = cond(e);
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = v[i] === 0 || Number.isNaN(v[i]) ? 0 : 1;
  return keep;
}
