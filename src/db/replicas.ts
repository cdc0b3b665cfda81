// Read replicas (DATABASE_REPLICA_URLS): a Db that sends plain reads to a streaming replica and everything else
// (writes, transactions, scripts, background/job work) to the primary.
// Read-your-writes: a read goes to a replica only when that replica's data version (dataset_meta 'data_version',
// bumped by statement triggers in the writing transaction) is at least the minimum this handle requires — the
// highest version this process wrote or saw on the primary, raised per request by X-Agglomera-Min-Data-Version.
// Otherwise the primary answers. A replica that fails with a connection error is marked down (its read is retried
// on the primary) and re-probed after a backoff.
import { sql, render, type SqlFragment } from './sql.js';
import { DatabaseUnavailableError, type Db } from './db.js';

/** Header a client sends with the dataVersion its import returned, for read-your-writes across processes. */
export const MIN_VERSION_HEADER = 'x-agglomera-min-data-version';

const REFRESH_MS = 75; // a replica's version is read at most this often (one pending read at a time)
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/** Counts for /metrics. */
export const replicaCounts = {
  /** reads answered, by 'primary' or the replica's label */
  reads: new Map<string, number>(),
  /** reads that wanted a replica but went to the primary: 'lag' (no replica caught up) or 'error' (replica failed) */
  fallbacks: { lag: 0, error: 0 },
  /** times a replica was marked down */
  down: new Map<string, number>(),
  /** replica label → 1 up / 0 down */
  up: new Map<string, number>(),
};
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

const VERSION_SQL = sql`SELECT value AS v FROM dataset_meta WHERE key = 'data_version'`;
const versionOf = async (db: Db) => {
  const r = await db.query<{ v: string }>(VERSION_SQL);
  return r.length ? Number(r[0].v) : 0;
};
// WAL positions as numbers ('16/B374D848' → 0x16B374D848; < 2^53 for any real cluster).
const lsn = (s: string | null) => { if (!s) return -1; const [hi, lo] = s.split('/'); return parseInt(hi, 16) * 2 ** 32 + parseInt(lo, 16); };
const PRIMARY_SQL = sql`SELECT pg_current_wal_lsn()::text AS lsn, (SELECT value FROM dataset_meta WHERE key = 'data_version') AS v`;
const REPLICA_SQL = sql`SELECT pg_last_wal_replay_lsn()::text AS lsn, (SELECT value FROM dataset_meta WHERE key = 'data_version') AS v`;

// A statement a hot standby can run and that changes nothing: SELECT/WITH without writing clauses or functions.
const READ_START = /^\s*(?:\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)*(?:select|with|values)\b/i;
const WRITES = /\b(?:insert|update|delete|merge|copy|nextval|setval|pg_advisory\w*|pg_notify|set_config|lo_\w+|txid_current|pg_current_xact_id)\b|\bfor\s+(?:no\s+key\s+)?(?:update|share|key\s+share)\b/i;
export const isPlainRead = (text: string) => READ_START.test(text) && !WRITES.test(text);

class Replica {
  version = -1;
  /** WAL replayed so far (-1 unknown) */
  lsn = -1;
  private pending: Promise<void> | null = null;
  private checkedAt = 0;
  downUntil = 0;
  private backoff = BACKOFF_MIN_MS;
  constructor(readonly label: string, readonly db: Db) { replicaCounts.up.set(label, 1); }

  get isUp() { return Date.now() >= this.downUntil; }

  /** Start a version read unless one is pending or the last is fresh enough (never awaited by reads). */
  refresh(): Promise<void> {
    if (this.pending) return this.pending;
    if (Date.now() - this.checkedAt < REFRESH_MS || !this.isUp) return Promise.resolve();
    this.pending = this.db.query<{ lsn: string | null; v: string | null }>(REPLICA_SQL).then(([r]) => {
      this.version = Math.max(this.version, Number(r?.v ?? 0));
      this.lsn = Math.max(this.lsn, lsn(r?.lsn ?? null));
      this.backoff = BACKOFF_MIN_MS;
      replicaCounts.up.set(this.label, 1);
    }, (e: unknown) => this.markDown(e)).finally(() => { this.checkedAt = Date.now(); this.pending = null; });
    return this.pending;
  }

  markDown(e: unknown) {
    if (!this.isUp) return; // other reads in flight when it went away: one outage, one backoff step
    bump(replicaCounts.down, this.label);
    this.downUntil = Date.now() + this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.version = -1; this.lsn = -1; // a replica that comes back may have been rebuilt from an older backup
    replicaCounts.up.set(this.label, 0);
    void e;
  }
}

/** What the routing handles of one store share. */
class ReplicaSet {
  /** highest data version this process wrote or saw on the primary */
  minVersion = 0;
  /** primary WAL position after this process's last write: a replica must have replayed it (read-your-writes for
   *  every table, also those outside the data version: API keys, jobs, definitions) */
  minLsn = -1;
  private next = 0;
  constructor(readonly primary: Db, readonly replicas: Replica[]) {}

  /** A replica at or past `min`, round robin; kicks version refreshes of the others on the way. */
  pick(min: number): Replica | undefined {
    const n = this.replicas.length;
    for (let i = 0; i < n; i++) {
      const r = this.replicas[(this.next + i) % n];
      if (!r.isUp) continue;
      if (r.version >= min && r.lsn >= this.minLsn) { this.next = (this.next + i + 1) % n; return r; }
      void r.refresh();
    }
    return undefined;
  }

  async notePrimaryVersion(): Promise<number> {
    const [r] = await this.primary.query<{ lsn: string; v: string | null }>(PRIMARY_SQL);
    const v = Number(r?.v ?? 0);
    if (v > this.minVersion) this.minVersion = v;
    const l = lsn(r?.lsn ?? null);
    if (l > this.minLsn) this.minLsn = l;
    return v;
  }
}

class RoutingDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(
    private readonly set: ReplicaSet,
    private readonly counter = { n: 0 },
    /** the request's own floor (X-Agglomera-Min-Data-Version) */
    private readonly requestMin = 0,
    private readonly root = true,
  ) {}
  get statementCount() { return this.counter.n; }
  private get min() { return Math.max(this.set.minVersion, this.requestMin); }

  async query<T>(q: SqlFragment): Promise<T[]> {
    this.counter.n++;
    const text = render(q).text;
    if (!isPlainRead(text)) {
      const rows = await this.set.primary.query<T>(q);
      await this.set.notePrimaryVersion(); // a write may have moved the data version: later reads must see it
      return rows;
    }
    const r = this.set.pick(this.min);
    if (r) {
      try {
        const rows = await r.db.query<T>(q);
        bump(replicaCounts.reads, r.label);
        return rows;
      } catch (e) {
        // connection lost, or the standby refused (read-only / recovery conflict): the primary answers instead
        const code = (e as { code?: string }).code ?? '';
        if (!(e instanceof DatabaseUnavailableError) && !/^(25006|40001|57014)$/.test(code)) throw e;
        if (e instanceof DatabaseUnavailableError) r.markDown(e);
        replicaCounts.fallbacks.error++;
      }
    } else if (this.set.replicas.some((x) => x.isUp)) replicaCounts.fallbacks.lag++;
    bump(replicaCounts.reads, 'primary');
    return this.set.primary.query<T>(q);
  }

  /** The data version this handle's reads are guaranteed to see at least (for caches keyed by version). */
  async readVersion(): Promise<number> {
    const min = this.min;
    const r = this.set.pick(min);
    if (r) return r.version;
    const v = await this.set.notePrimaryVersion();
    return Math.max(v, min);
  }

  execScript(script: string) { this.counter.n++; return this.set.primary.execScript(script); }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const r = await this.set.primary.transaction(async (tx) => {
      const before = tx.statementCount;
      try { return await fn(tx); } finally { this.counter.n += tx.statementCount - before; }
    });
    await this.set.notePrimaryVersion();
    return r;
  }

  /** Background work (job bookkeeping, polling) runs on the primary; its writes still raise the floor of reads. */
  background(): Db { return new PrimaryDb(this.set, this.set.primary.background()); }

  withMinVersion(v: number): Db { return new RoutingDb(this.set, this.counter, Math.max(this.requestMin, v), false); }

  async close() {
    if (!this.root) return;
    await Promise.allSettled([this.set.primary.close(), ...this.set.replicas.map((r) => r.db.close())]);
  }
}

/** Primary-only handle whose writes move the process's read floor (job rows written here are read by requests). */
class PrimaryDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(private readonly set: ReplicaSet, private readonly inner: Db) {}
  get statementCount() { return this.inner.statementCount; }
  async query<T>(q: SqlFragment): Promise<T[]> {
    const rows = await this.inner.query<T>(q);
    if (!isPlainRead(render(q).text)) await this.set.notePrimaryVersion();
    return rows;
  }
  execScript(script: string) { return this.inner.execScript(script); }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const r = await this.inner.transaction(fn);
    await this.set.notePrimaryVersion();
    return r;
  }
  background(): Db { return new PrimaryDb(this.set, this.inner.background()); }
  async close() { /* closes nothing: the root handle owns the pools */ }
}

/** Routing handle over an open primary and replica handles (labels name the replicas in /metrics). */
export async function routeReads(primary: Db, replicas: { label: string; db: Db }[]): Promise<Db> {
  const set = new ReplicaSet(primary, replicas.map((r) => new Replica(r.label, r.db)));
  await set.notePrimaryVersion();
  await Promise.all(set.replicas.map((r) => r.refresh()));
  return new RoutingDb(set);
}

/** The same store, for one request whose caller wrote data version `v` elsewhere; other handles unchanged. */
export function withMinVersion(db: Db, v: number | undefined): Db {
  return db instanceof RoutingDb && v && Number.isSafeInteger(v) && v > 0 ? db.withMinVersion(v) : db;
}

/** Parse the header value: a non-negative integer, else undefined (ignored). */
export function minVersionHeader(value: string | string[] | undefined): number | undefined {
  const s = Array.isArray(value) ? value[0] : value;
  if (!s || !/^\d{1,15}$/.test(s.trim())) return undefined;
  return Number(s.trim());
}

/** The data version a request's reads through `db` are guaranteed to see at least. */
export async function readVersion(db: Db): Promise<number> {
  if (db instanceof RoutingDb) return db.readVersion();
  return versionOf(db);
}

/** True when `db` routes reads to replicas. */
export const hasReplicas = (db: Db) => db instanceof RoutingDb;
