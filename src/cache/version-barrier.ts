// The store's data version as read by a statement that started after the caller asked, so an answer keyed by it
// never predates a write that committed before the request arrived (any process's write: the version is in the
// store). Concurrent callers share reads: one is in flight at a time and callers that arrive while it runs wait for
// the next one, so a burst of N requests costs two indexed reads, not N.
import type { Db } from '../db/db.js';
import { storeDataVersion } from '../db/queries/cost-stats.js';
import { hasReplicas, readVersion } from '../db/replicas.js';

export class VersionBarrier {
  private current: Promise<number> | null = null;
  private queued: Promise<number> | null = null;
  /** background(): the version read is not counted as a request's statement */
  private readonly bg: Db;

  constructor(private readonly db: Db) { this.bg = db.background(); }

  read(): Promise<number> {
    // with replicas the request's reads are only guaranteed this version (src/db/replicas.ts)
    if (hasReplicas(this.db)) return readVersion(this.db);
    if (!this.current) return (this.current = this.launch());
    // the read in flight may have started before this call: wait for the one after it
    return (this.queued ??= this.current.catch(() => undefined).then(() => {
      this.queued = null;
      return (this.current = this.launch());
    }));
  }

  private launch(): Promise<number> {
    const p: Promise<number> = storeDataVersion(this.bg).finally(() => { if (this.current === p) this.current = null; });
    return p;
  }
}

const barriers = new WeakMap<Db, VersionBarrier>();
export function versionBarrier(db: Db): VersionBarrier {
  let b = barriers.get(db);
  if (!b) barriers.set(db, (b = new VersionBarrier(db)));
  return b;
}
