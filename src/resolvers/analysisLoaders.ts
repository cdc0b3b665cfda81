// Per-request loaders of the analysis fields nested under City (rta, nqp): every city of a page shares one domain
// call per option set. Attached to the request Context through a WeakMap, so Context itself stays as it is.
import DataLoader from 'dataloader';
import { cityAgglomeration, nqpScores, type RtaOptions } from '../domain/index.js';
import type { CityYearMeasures } from '../domain/agglomeration.js';
import type { Context } from './loaders.js';

const key = (code: string, year: number) => `${code}|${year}`;

export class AnalysisLoaders {
  private readonly measureLoaders = new Map<string, DataLoader<string, CityYearMeasures | null>>();
  private nqpLoader?: DataLoader<string, number | null>;
  constructor(private readonly ctx: Context) {}

  /** RTA and the other measures of one city-year under `options` (null when the city-year is not stored). */
  measures(code: string, year: number, options?: RtaOptions): Promise<CityYearMeasures | null> {
    const id = JSON.stringify(options ?? {});
    let l = this.measureLoaders.get(id);
    if (!l) {
      l = new DataLoader<string, CityYearMeasures | null>(async (keys) => {
        const r = await cityAgglomeration(this.ctx.db, { rta: options });
        const m = new Map(r.rows.map((x) => [key(x.cityCode, x.year), x]));
        return keys.map((k) => m.get(k) ?? null);
      }, { batchScheduleFn: (run) => setImmediate(run) });
      this.measureLoaders.set(id, l);
    }
    return l.load(key(code, year));
  }

  /** NQP composite (pooled entropy weights over all stored years) of one city-year. */
  nqp(code: string, year: number): Promise<number | null> {
    this.nqpLoader ??= new DataLoader<string, number | null>(async (keys) => {
      const r = await nqpScores(this.ctx.db);
      const m = new Map(r.rows.map((x) => [key(x.cityCode, x.year), x.nqp]));
      return keys.map((k) => m.get(k) ?? null);
    }, { batchScheduleFn: (run) => setImmediate(run) });
    return this.nqpLoader.load(key(code, year));
  }
}

const attached = new WeakMap<Context, AnalysisLoaders>();

export function analysisLoaders(ctx: Context): AnalysisLoaders {
  let l = attached.get(ctx);
  if (!l) { l = new AnalysisLoaders(ctx); attached.set(ctx, l); }
  return l;
}
