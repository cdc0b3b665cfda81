// Per-request loaders: every nested field of a page of cities resolves with one statement per field and argument set
// (DataLoader), and values the query planner (plan.ts) fetched ahead in the root's statement are primed, so the field
// then resolves synchronously: no statement, no promise.
import DataLoader from 'dataloader';
import type { Db } from '../db/db.js';
import { ANONYMOUS_READER, type Principal } from '../auth/roles.js';
import { DEFAULT_RULE_SET } from '../domain/rules.js';
import { boundaries, citiesByCodes, type CityRecord } from '../db/queries/cities.js';
import { neighboursByCity, type NeighbourRecord, type NeighbourType } from '../db/queries/neighbours.js';
import {
  cityYearsOf, firmHistoriesOf, firmPagesOf, firmsByIds,
  type CityYearRecord, type FirmPage, type FirmPageArgs, type FirmRecord, type FirmYearRecord,
} from '../db/queries/panel.js';

/** A value at once (primed, or loaded earlier in the request) or its pending load. */
export type Maybe<T> = T | Promise<T>;

export const isPromise = <T>(v: Maybe<T>): v is Promise<T> => v instanceof Promise;

/** then() that stays synchronous for a value at hand (not named `then`: a module exporting `then` is a thenable). */
export function andThen<T, U>(v: Maybe<T>, f: (t: T) => Maybe<U>): Maybe<U> {
  return isPromise(v) ? v.then(f) : f(v);
}

/** A neighbour without the city it belongs to (the loader's key); planned rows carry the neighbour's city as the
 *  selection asks for it (only the fields it reads, and its planned nested values). */
export type NeighbourRow = Omit<NeighbourRecord, 'cityCode'> & { city?: CityRecord };

/** Loader ids: field and argument set, plus the fields fetched where a field fetches only what is asked. */
const ids = {
  city: 'city',
  boundary: (tolerance: number) => `boundary:${tolerance}`,
  metrics: (years: readonly number[] | null, fields: readonly string[] | null) => `metrics:${JSON.stringify([years, fields])}`,
  firms: (a: Omit<FirmPageArgs, 'ruleVersion'>, fields: readonly string[] | null, count: boolean) =>
    `firms:${JSON.stringify([a.kind ?? null, a.year ?? null, a.first, a.afterId ?? null, fields, count])}`,
  firm: 'firm',
  history: 'history',
  neighbours: (type: NeighbourType, opts: { k?: number; km?: number }) => `neighbours:${type}:${opts.k ?? ''}:${opts.km ?? ''}`,
};

export class Loaders {
  private readonly loaders = new Map<string, DataLoader<unknown, unknown>>();
  /** Values at hand per loader id and key: primed by the planner, or stored when a batch came back. */
  private readonly known = new Map<string, Map<unknown, unknown>>();
  private readonly memos = new Map<object, unknown>();
  /** Look-ahead planning of nested fields into the root's statement (off: every nested field through its DataLoader). */
  readonly planning: boolean;

  /** `batch: false` resolves every key with its own statement: the N+1 baseline the benchmark compares against
   *  (and plans nothing); `plan: false` keeps batching but plans nothing (the reference the planner is tested on). */
  constructor(private readonly db: Db, private readonly opts: { batch?: boolean; plan?: boolean } = {}) {
    this.planning = opts.batch !== false && opts.plan !== false;
  }

  /** The value at hand, or the load of `key` through the DataLoader of `id` (created with `batch`). */
  private get<K, V>(id: string, key: K, batch: (keys: readonly K[]) => Promise<V[]>): Maybe<V> {
    const k = this.known.get(id);
    if (k !== undefined && k.has(key)) return k.get(key) as V;
    let l = this.loaders.get(id) as DataLoader<K, V> | undefined;
    if (!l) {
      l = new DataLoader<K, V>(async (keys) => {
        const values = await batch(keys);
        keys.forEach((key, i) => this.prime(id, key, values[i]));
        return values;
      }, {
        maxBatchSize: this.opts.batch === false ? 1 : 5000,
        // Wait for the whole macrotask: resolvers reached through different promise chains then share one batch.
        batchScheduleFn: (run) => setImmediate(run),
      });
      this.loaders.set(id, l as DataLoader<unknown, unknown>);
    }
    return l.load(key);
  }

  /** Makes `id`/`key` resolve to `value` without a statement (the first value primed stays). */
  private prime(id: string, key: unknown, value: unknown) {
    let k = this.known.get(id);
    if (!k) this.known.set(id, (k = new Map()));
    if (!k.has(key)) k.set(key, value);
  }

  /** Per-request memo (e.g. the fields a selection asks for, keyed by its field nodes). */
  memo<T>(key: object, compute: () => T): T {
    if (this.memos.has(key)) return this.memos.get(key) as T;
    const v = compute();
    this.memos.set(key, v);
    return v;
  }

  city(code: string): Maybe<CityRecord | null> {
    return this.get<string, CityRecord | null>(ids.city, code, async (codes) => {
      const byCode = new Map((await citiesByCodes(this.db, codes)).map((c) => [c.code, c]));
      return codes.map((c) => byCode.get(c) ?? null);
    });
  }

  /** Makes later `city(code)` calls free when a query already returned the row. */
  primeCity(c: CityRecord) {
    this.prime(ids.city, c.code, c);
  }

  /** GeoJSON text of the outline at `tolerance` (stored or computed). */
  boundary(code: string, tolerance: number): Maybe<string | null> {
    return this.get<string, string | null>(ids.boundary(tolerance), code, async (codes) => {
      const m = await boundaries(this.db, codes, tolerance);
      return codes.map((c) => m.get(c) ?? null);
    });
  }

  primeBoundary(code: string, tolerance: number, text: string) {
    this.prime(ids.boundary(tolerance), code, text);
  }

  /** Years of a city (all when `years` is null), with the given CityYear fields (null = all). */
  metrics(code: string, years: readonly number[] | null, fields: readonly string[] | null): Maybe<CityYearRecord[]> {
    return this.get<string, CityYearRecord[]>(ids.metrics(years, fields), code, async (codes) => {
      const m = await cityYearsOf(this.db, codes, years, fields);
      return codes.map((c) => m.get(c) ?? []);
    });
  }

  primeMetrics(code: string, years: readonly number[] | null, fields: readonly string[] | null, rows: CityYearRecord[]) {
    this.prime(ids.metrics(years, fields), code, rows);
  }

  /** A city's page of firms with the given Firm fields (null = all), counted when `count`. */
  firms(code: string, args: Omit<FirmPageArgs, 'ruleVersion'>, fields: readonly string[] | null, count: boolean): Maybe<FirmPage> {
    return this.get<string, FirmPage>(ids.firms(args, fields, count), code, async (codes) => {
      const m = await firmPagesOf(this.db, codes, { ...args, ruleVersion: DEFAULT_RULE_SET.version }, fields, count);
      return codes.map((c) => m.get(c) ?? { total: count ? 0 : null, rows: [] });
    });
  }

  primeFirms(code: string, args: Omit<FirmPageArgs, 'ruleVersion'>, fields: readonly string[] | null, count: boolean, page: FirmPage) {
    this.prime(ids.firms(args, fields, count), code, page);
  }

  /** A city's page of firms under filter / sort keys (searchFirms): the pages of a batch of cities in one statement. */
  firmSearch(code: string, spec: FirmSearch, first: number, after: FirmAfter | undefined): Maybe<FirmPage<FirmRecord & { _sort: SortValue[] }>> {
    return this.get<string, FirmPage<FirmRecord & { _sort: SortValue[] }>>(`firmSearch:${JSON.stringify([spec, first, after ?? null])}`, code, async (codes) => {
      const m = await searchFirms(this.db, spec, first, after, codes);
      return codes.map((c) => m.get(c) ?? { total: 0, rows: [] });
    });
  }

  firm(id: number): Maybe<FirmRecord | null> {
    return this.get<number, FirmRecord | null>(ids.firm, id, async (keys) => {
      const m = new Map((await firmsByIds(this.db, keys)).map((f) => [f.id, f]));
      return keys.map((i) => m.get(i) ?? null);
    });
  }

  history(firmId: number): Maybe<FirmYearRecord[]> {
    return this.get<number, FirmYearRecord[]>(ids.history, firmId, async (keys) => {
      const m = await firmHistoriesOf(this.db, keys, DEFAULT_RULE_SET.version);
      return keys.map((i) => m.get(i) ?? []);
    });
  }

  primeHistory(firmId: number, rows: FirmYearRecord[]) {
    this.prime(ids.history, firmId, rows);
  }

  neighbours(code: string, type: NeighbourType, opts: { k?: number; km?: number }): Maybe<NeighbourRow[]> {
    return this.get<string, NeighbourRow[]>(ids.neighbours(type, opts), code, async (codes) => {
      const m = await neighboursByCity(this.db, codes, type, opts);
      return codes.map((c) => m.get(c) ?? []);
    });
  }

  primeNeighbours(code: string, type: NeighbourType, opts: { k?: number; km?: number }, rows: NeighbourRow[]) {
    this.prime(ids.neighbours(type, opts), code, rows);
  }
}

import { searchFirms, type FirmAfter, type FirmSearch, type SortValue } from '../db/queries/firm-search.js';

export interface Context {
  db: Db;
  loaders: Loaders;
  /** Who is asking (API key's role); resolvers of protected operations call requireRole(ctx.principal, ...). */
  principal: Principal;
}

export const makeContext = (db: Db, opts?: { batch?: boolean; plan?: boolean; principal?: Principal }): Context =>
  ({ db, loaders: new Loaders(db, opts), principal: opts?.principal ?? ANONYMOUS_READER });
