// The one unit matcher: a value from a row (a code, or a name in any of the forms statistical yearbooks use) → the
// code of a stored unit, or a reason why not. Used by every import door (city-years, firms) and by anything else that
// needs name → code. Tiers, first hit wins: code; old code (history); exact name; normal form; short form; old name
// (history); pinyin (stored names, then old names). A tier with more than one candidate (after the province filter)
// is an ambiguity, not a guess. Results are cached per distinct (value, province), or per (value, province, year)
// when the year can change the answer, so a file of any length costs one lookup per row after the first of each key.
import { adminChanges, followChange, type AdminChange } from './history.js';
import { hasCjk, isLatin, latinKeys, normalName, pinyinKeys, provinceKeys, shortForms } from './names.js';

import type { MatchMode } from './options.js';
export { MATCH_MODES, type MatchMode } from './options.js';
/** How a value was matched (the import report counts rows per method). */
export type MatchMethod = 'code' | 'name' | 'normalised' | 'short' | 'pinyin' | 'history';
export const MATCH_METHODS: readonly MatchMethod[] = ['code', 'name', 'normalised', 'short', 'pinyin', 'history'];

/** A stored unit as the matcher sees it. */
export interface UnitRecord { code: string; name: string; province?: string | null; provinceCode?: string | null }

export interface MatchContext {
  /** the row's province / parent unit (name in any form, or its code): candidates outside it are left out */
  province?: string | null;
  /** the row's year: picks the reading of names that changed (default: the latest reading) */
  year?: number | null;
}

export type MatchResult =
  | { ok: true; code: string; name: string; method: MatchMethod; /** history: the changes followed */ via?: string }
  | { ok: false; kind: 'unknown' | 'ambiguous' | 'abolished' | 'not-yet' | 'not-held' | 'province'; reason: string; candidates: string[] };

export interface MatcherOptions {
  mode?: MatchMode;
  /** the change table (default: the shipped data/admin-changes.json); [] turns history off */
  history?: AdminChange[];
}

type Ref = { unit: UnitRecord } | { change: AdminChange; name: string };

class Index {
  private readonly m = new Map<string, Ref[]>();
  add(key: string, ref: Ref) {
    const l = this.m.get(key);
    const same = (r: Ref) => ('unit' in r && 'unit' in ref ? r.unit === ref.unit : r === ref || ('change' in r && 'change' in ref && r.change === ref.change));
    if (!l) this.m.set(key, [ref]);
    else if (!l.some(same)) l.push(ref);
  }
  get(key: string): Ref[] { return this.m.get(key) ?? []; }
}

const describe = (u: UnitRecord) => `${u.name} (${u.code}${u.province ? `, ${u.province}` : ''})`;

export class UnitMatcher {
  readonly mode: MatchMode;
  private readonly byCode = new Map<string, UnitRecord>();
  private readonly normals: [string, UnitRecord][] = [];
  private readonly exact = new Index();
  private readonly normal = new Index();
  private readonly short = new Index();
  private readonly pinyin = new Index();
  private readonly oldCode = new Index();
  private readonly oldName = new Index();
  private readonly oldPinyin = new Index();
  private readonly history: AdminChange[];
  /** 'new' entries by the code they created: rows before that year have no such unit */
  private readonly created = new Map<string, AdminChange>();
  private readonly provinceOf = new Map<string, Set<string>>(); // province key → stored province names
  private readonly cache = new Map<string, MatchResult>();

  constructor(units: Iterable<UnitRecord>, opts: MatcherOptions = {}) {
    this.mode = opts.mode ?? 'auto';
    this.history = opts.history ?? adminChanges();
    for (const u of units) {
      this.byCode.set(u.code, u);
      const n = normalName(u.name);
      this.normals.push([n, u]);
      this.exact.add(u.name, { unit: u });
      this.normal.add(n, { unit: u });
      for (const f of shortForms(n)) this.short.add(f, { unit: u });
      for (const k of pinyinKeys(n)) this.pinyin.add(k, { unit: u });
      for (const p of [u.province, u.provinceCode]) {
        if (p) for (const k of provinceKeys(p)) (this.provinceOf.get(k) ?? this.provinceOf.set(k, new Set()).get(k)!).add(p);
      }
    }
    for (const c of this.history) {
      if (c.kind === 'new' && c.new?.code) this.created.set(c.new.code, c);
      const old = c.old;
      // an old name that is still a stored unit's name (莱芜市 in a store that holds it) is read as that unit
      if (!old || (old.code && this.byCode.get(old.code)?.name === old.name)) continue;
      if (old.code && !this.byCode.has(old.code)) this.oldCode.add(old.code, { change: c, name: old.name });
      const n = normalName(old.name);
      for (const f of [n, ...shortForms(n)]) this.oldName.add(f, { change: c, name: old.name });
      for (const k of pinyinKeys(n)) this.oldPinyin.add(k, { change: c, name: old.name });
    }
  }

  /** Number of stored units. */
  get size(): number { return this.byCode.size; }

  /** Matches one value (cached per value, province and year). */
  match(value: string, ctx: MatchContext = {}): MatchResult {
    // a match that cannot depend on the year (a unit without an establishment year, not read through history) is
    // cached for every year, so a long panel computes each name form once, not once per year
    const anyYear = `${value}\u0000${ctx.province ?? ''}\u0000*`;
    let r = this.cache.get(anyYear);
    if (r) return r;
    const key = `${value}\u0000${ctx.province ?? ''}\u0000${ctx.year ?? ''}`;
    r = this.cache.get(key);
    if (!r) {
      r = this.compute(value, ctx);
      if (this.cache.size > 200_000) this.cache.clear(); // bounded: a file of all-distinct values must not grow it without end
      this.cache.set(r.ok && r.method !== 'history' && !this.created.has(r.code) ? anyYear : key, r);
    }
    return r;
  }

  private compute(raw: string, ctx: MatchContext): MatchResult {
    const value = raw.trim();
    if (!value) return { ok: false, kind: 'unknown', reason: 'missing unit code or name', candidates: [] };
    const year = ctx.year ?? null;
    const provinces = ctx.province?.trim() ? this.provinces(ctx.province) : null;
    if (provinces && !provinces.size) {
      return { ok: false, kind: 'province', reason: `unknown province '${ctx.province}' (not the province of any stored unit)`, candidates: [] };
    }
    const inProvince = (r: Ref) => !provinces || provinces.has(('unit' in r ? r.unit.province : r.change.province) ?? '');
    let outside: Ref[] = [];
    // one tier: its candidates in the province; none → next tier; one → the match; more → ambiguous
    const tier = (refs: Ref[], method: MatchMethod): MatchResult | null => {
      const kept = refs.filter(inProvince);
      if (!kept.length) { if (refs.length && !outside.length) outside = refs; return null; }
      if (kept.length > 1) {
        // several old names that all lead to the same unit (思茅 = 思茅地区 until 2003, 思茅市 until 2007) are one answer
        const rs = kept.map((r) => this.resolve(r, method, value, year));
        if (rs.every((x) => x.ok && rs[0].ok && x.code === rs[0].code)) return rs[0];
        const names = kept.map((r) => ('unit' in r ? describe(r.unit) : `${r.name} (until ${r.change.year}, ${r.change.province})`));
        return { ok: false, kind: 'ambiguous', candidates: names, reason: `ambiguous unit '${value}': ${names.join(' / ')}${provinces ? '' : '; give a province column (--province) or the code'}` };
      }
      return this.resolve(kept[0], method, value, year);
    };
    const tiers: [() => Ref[], MatchMethod][] = [];
    if (this.mode !== 'name') {
      tiers.push([() => { const u = this.byCode.get(value); return u ? [{ unit: u }] : []; }, 'code']);
      tiers.push([() => this.oldCode.get(value), 'history']);
    }
    if (this.mode !== 'code') {
      const n = normalName(value);
      tiers.push([() => this.exact.get(value), 'name'], [() => this.normal.get(n), 'normalised'], [() => this.short.get(n), 'short'],
        [() => this.oldName.get(n), 'history']);
      if (isLatin(value)) {
        const keys = latinKeys(value);
        const first = (ix: Index) => { for (const k of keys) { const r = ix.get(k); if (r.length) return r; } return []; };
        tiers.push([() => first(this.pinyin), 'pinyin'], [() => first(this.oldPinyin), 'history']);
      }
    }
    for (const [refs, method] of tiers) {
      const r = tier(refs(), method);
      if (r) return r;
    }
    if (outside.length) {
      const names = outside.map((r) => ('unit' in r ? describe(r.unit) : `${r.name} (${r.change.province})`));
      return { ok: false, kind: 'province', candidates: names, reason: `no unit '${value}' in ${ctx.province}; outside it: ${names.join(' / ')}` };
    }
    return this.unknown(value);
  }

  /** Stored province names a row's province value stands for. */
  private provinces(raw: string): Set<string> {
    const out = new Set<string>();
    for (const k of provinceKeys(raw)) for (const p of this.provinceOf.get(k) ?? []) out.add(p);
    // a province given by code stands for the name stored beside that code
    for (const u of this.byCode.values()) if (u.provinceCode && out.has(u.provinceCode) && u.province) out.add(u.province);
    return out;
  }

  private resolve(ref: Ref, method: MatchMethod, value: string, year: number | null): MatchResult {
    if ('unit' in ref) {
      // a stored code is the store's own key: accepted in any year (the store decides which units exist); a name is
      // read in its year, and a unit's name before the unit existed is a problem
      const born = method === 'code' ? undefined : this.created.get(ref.unit.code);
      if (born && year !== null && year < born.year) {
        return { ok: false, kind: 'not-yet', candidates: (born.from ?? []).map((u) => u.name), reason: `${ref.unit.name}: established ${born.year}, no such unit in ${year}${born.from?.length ? ` (its area was in ${born.from.map((u) => u.name).join(' / ')})` : ''}` };
      }
      return { ok: true, code: ref.unit.code, name: ref.unit.name, method };
    }
    const r = followChange(ref.change, this.history, (c) => this.byCode.get(c)?.name, ref.name);
    if (!r.ok) return { ok: false, kind: r.kind, reason: r.reason, candidates: r.candidates };
    return { ok: true, code: r.code, name: r.name, method: 'history', via: r.via };
  }

  /** Nothing matched: name stored units that share the first two characters (or letters) as candidates. */
  private unknown(value: string): MatchResult {
    const n = normalName(value);
    const head = hasCjk(n) ? n.slice(0, 2) : n.slice(0, 3);
    const near: string[] = [];
    if (head.length >= 2) {
      for (const [un, u] of this.normals) {
        if (un.startsWith(head)) near.push(describe(u));
        if (near.length >= 5) break;
      }
    }
    // the wording of the code-only importers before names were matched, so existing checks keep reading it
    const what = this.mode === 'code' ? ' by code' : this.mode === 'name' ? ' by name' : '';
    return { ok: false, kind: 'unknown', candidates: near, reason: `unknown unit '${value}' (not among the stored units${what}${near.length ? `; similar: ${near.join(' / ')}` : ''})` };
  }
}
