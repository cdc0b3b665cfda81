// Per-request DataLoaders: every nested field of a page of cities resolves with one statement per field and argument set.
import DataLoader from 'dataloader';
import type { Db } from '../db/db.js';
import { ANONYMOUS_READER, type Principal } from '../auth/roles.js';
import { DEFAULT_RULE_SET } from '../domain/rules.js';
import { boundaries, citiesByCodes, type CityRecord } from '../db/queries/cities.js';
import { neighboursOf, type NeighbourRecord, type NeighbourType } from '../db/queries/neighbours.js';
import {
  cityYears, firmHistories, firmsByIds, firmsOfCities,
  type CityYearRecord, type FirmPageArgs, type FirmRecord, type FirmYearRecord,
} from '../db/queries/panel.js';

function groupBy<T, K>(rows: T[], key: (r: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r); else m.set(k, [r]);
  }
  return m;
}

export class Loaders {
  private readonly keyed = new Map<string, DataLoader<unknown, unknown>>();
  /** `batch: false` resolves every key with its own statement: the N+1 baseline the benchmark compares against. */
  constructor(private readonly db: Db, private readonly opts: { batch?: boolean } = {}) {}

  /** One loader per (field, arguments): arguments differ → a different statement. */
  private loader<K, V>(name: string, args: unknown, batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
    const id = `${name}:${JSON.stringify(args)}`;
    let l = this.keyed.get(id) as DataLoader<K, V> | undefined;
    if (!l) {
      l = new DataLoader<K, V>(batch, {
        maxBatchSize: this.opts.batch === false ? 1 : 5000,
        // Wait for the whole macrotask: resolvers reached through different promise chains then share one batch.
        batchScheduleFn: (run) => setImmediate(run),
      });
      this.keyed.set(id, l as DataLoader<unknown, unknown>);
    }
    return l;
  }

  private cities() {
    return this.loader<string, CityRecord | null>('city', null, async (codes) => {
      const byCode = new Map((await citiesByCodes(this.db, codes)).map((c) => [c.code, c]));
      return codes.map((c) => byCode.get(c) ?? null);
    });
  }

  city(code: string): Promise<CityRecord | null> {
    return this.cities().load(code);
  }

  /** Makes later `city(code)` calls free when a query already returned the row. */
  primeCity(c: CityRecord) {
    this.cities().prime(c.code, c);
  }

  /** GeoJSON text, or the parsed object when it comes from the precomputed outlines. */
  boundary(code: string, tolerance: number): Promise<string | object | null> {
    return this.loader<string, string | object | null>('boundary', tolerance, async (codes) => {
      const m = new Map((await boundaries(this.db, codes, tolerance)).map((r) => [r.code, r.geojson]));
      return codes.map((c) => m.get(c) ?? null);
    }).load(code);
  }

  metrics(code: string, years: number[] | null): Promise<CityYearRecord[]> {
    return this.loader<string, CityYearRecord[]>('metrics', years, async (codes) => {
      const g = groupBy(await cityYears(this.db, codes, years), (r) => r.cityCode);
      return codes.map((c) => g.get(c) ?? []);
    }).load(code);
  }

  firms(code: string, args: Omit<FirmPageArgs, 'ruleVersion'>): Promise<(FirmRecord & { total: number })[]> {
    return this.loader<string, (FirmRecord & { total: number })[]>('firms', args, async (codes) => {
      const g = groupBy(await firmsOfCities(this.db, codes, { ...args, ruleVersion: DEFAULT_RULE_SET.version }), (r) => r.cityCode);
      return codes.map((c) => g.get(c) ?? []);
    }).load(code);
  }

  firm(id: number): Promise<FirmRecord | null> {
    return this.loader<number, FirmRecord | null>('firm', null, async (ids) => {
      const m = new Map((await firmsByIds(this.db, ids)).map((f) => [f.id, f]));
      return ids.map((i) => m.get(i) ?? null);
    }).load(id);
  }

  history(firmId: number): Promise<FirmYearRecord[]> {
    return this.loader<number, FirmYearRecord[]>('history', null, async (ids) => {
      const g = groupBy(await firmHistories(this.db, ids, DEFAULT_RULE_SET.version), (r) => r.firmId);
      return ids.map((i) => g.get(i) ?? []);
    }).load(firmId);
  }

  neighbours(code: string, type: NeighbourType, opts: { k?: number; km?: number }): Promise<NeighbourRecord[]> {
    return this.loader<string, NeighbourRecord[]>('neighbours', [type, opts], async (codes) => {
      const g = groupBy(await neighboursOf(this.db, codes, type, opts), (r) => r.cityCode);
      return codes.map((c) => g.get(c) ?? []);
    }).load(code);
  }
}

export interface Context {
  db: Db;
  loaders: Loaders;
  /** Who is asking (API key's role); resolvers of protected operations call requireRole(ctx.principal, ...). */
  principal: Principal;
}

export const makeContext = (db: Db, opts?: { batch?: boolean; principal?: Principal }): Context =>
  ({ db, loaders: new Loaders(db, opts), principal: opts?.principal ?? ANONYMOUS_READER });
