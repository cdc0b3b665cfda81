// The store's data version as read by a statement that started after the caller asked, so an answer keyed by it
// never predates a write that committed before the request arrived (any process's write: the version is in the
// store). Concurrent callers share reads: one is in flight at a time and callers that arrive while it runs wait for
// the next one, so a burst of N requests costs two indexed reads, not N.
// On the embedded store a read is not even needed while nothing has been sent to it since the last one: one process
// owns the PGlite folder (src/db/lock.ts; a CLI write while the server runs is sent to the server over HTTP), so every
// write passes through this process's Db, whose writeEpoch moves with every statement (any may write). A version read
// whose epoch has not moved since is still the store's version. (PGlite runs in the main thread: a read there ends
// before the next request is even parsed, so reads were not shared and each hit cost one.) Not on PostgreSQL: other
// processes write there.
import type { Db } from '../db/db.js';
import { storeDataVersion } from '../db/queries/cost-stats.js';
import { hasReplicas, readVersion } from '../db/replicas.js';

export class VersionBarrier {
  private current: Promise<number> | null = null;
  private queued: Promise<number> | null = null;
  /** embedded: the last version read and the write epoch just after that read was sent */
  private memo: { version: number; epoch: number } | null = null;
  /** background(): the version read is not counted as a request's statement */
  private readonly bg: Db;

  constructor(private readonly db: Db) { this.bg = db.background(); }

  read(): Promise<number> {
    // with replicas the request's reads are only guaranteed this version (src/db/replicas.ts)
    if (hasReplicas(this.db)) return readVersion(this.db);
    if (this.memo && this.memo.epoch === this.db.writeEpoch) return Promise.resolve(this.memo.version);
    if (!this.current) return (this.current = this.launch());
    // the read in flight may have started before this call: wait for the one after it
    return (this.queued ??= this.current.catch(() => undefined).then(() => {
      this.queued = null;
      return (this.current = this.launch());
    }));
  }

  private launch(): Promise<number> {
    const read = storeDataVersion(this.bg);
    // taken once the read is sent (sending it moved the epoch): a statement sent after it moves the epoch again, one
    // sent before it ran before it (the lock is FIFO; a transaction's statements run before its lock is released).
    // (Were the read sent after an await, the epoch taken here would be behind it: no memo would match, none be stale.)
    const epoch = this.db.writeEpoch;
    const p: Promise<number> = read.then((version) => {
      if (epoch !== undefined) this.memo = { version, epoch };
      return version;
    }).finally(() => { if (this.current === p) this.current = null; });
    return p;
  }
}

const barriers = new WeakMap<Db, VersionBarrier>();
export function versionBarrier(db: Db): VersionBarrier {
  let b = barriers.get(db);
  if (!b) barriers.set(db, (b = new VersionBarrier(db)));
  return b;
}
