// The store statistics the cost estimate multiplies by (src/db/queries/cost-stats.ts), kept per store handle and data
// version. Every GraphQL request asks for them: one indexed read of the data version (on a background handle, so it
// is not counted as the request's statement); the statistics statement runs only when the version moved. Concurrent
// requests share one pending read. The numbers come from the store only — nothing in a query can change them.
import type { Db } from '../db/db.js';
import { readStoreStats, storeDataVersion, type StoreStats } from '../db/queries/cost-stats.js';

export type { StoreStats };

interface Entry { bg: Db; stats: StoreStats | null; pending: Promise<StoreStats> | null; checkedAt: number }
const entries = new WeakMap<Db, Entry>();

/** Statistics confirmed this recently are used without reading the data version again: a request under load then
 *  costs no statement of its own for them; after an import the estimate follows the data within this time. */
const freshMs = () => Number(process.env.AGGLOMERA_COST_STATS_MS ?? 1000);

/** The statistics of the store at its current data version (read again when the version moved). */
export function storeStats(db: Db): Promise<StoreStats> {
  let e = entries.get(db);
  if (!e) entries.set(db, (e = { bg: db.background(), stats: null, pending: null, checkedAt: 0 }));
  const entry = e;
  if (entry.stats && !entry.pending && performance.now() - entry.checkedAt < freshMs()) return Promise.resolve(entry.stats);
  entry.pending ??= (async () => {
    try {
      const v = await storeDataVersion(entry.bg);
      if (entry.stats?.version !== v) entry.stats = await readStoreStats(entry.bg);
      entry.checkedAt = performance.now();
      return entry.stats;
    } finally {
      entry.pending = null;
    }
  })();
  return entry.pending;
}

/** storeStats, or null when the store cannot answer (the estimate then falls back to page sizes, the worst case). */
export async function storeStatsOrNull(db: Db | null): Promise<StoreStats | null> {
  try {
    return db ? await storeStats(db) : null;
  } catch {
    return null;
  }
}
