// One database interface over two engines: embedded PGlite (+PostGIS) by default, real PostgreSQL when DATABASE_URL is set.
// Both run the same migrations and the same SQL; every statement is counted so tests can prove the absence of N+1.
import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { render, type SqlFragment } from './sql.js';
import { lockStore, type StoreLock } from './lock.js';

export interface Db {
  readonly kind: 'embedded' | 'postgres';
  query<T = Record<string, unknown>>(q: SqlFragment): Promise<T[]>;
  /** Multi-statement script without parameters (migrations only). */
  execScript(script: string): Promise<void>;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Statements issued through this handle since it was opened. */
  readonly statementCount: number;
  /** The same connection(s) with a counter of its own, for background work (job polling) that must not show up in
   *  a request's statement count; closing it closes nothing. */
  background(): Db;
  /** Inside a transaction: `COPY ... FROM STDIN` fed with the chunks of its input (bulk imports). PostgreSQL streams
   *  them; the embedded database reads them as one blob, so callers bound the chunks of one call. */
  copyFrom?(statement: string, lines: Iterable<string | Buffer> | AsyncIterable<string | Buffer>): Promise<void>;
  /** Embedded only: moves with every statement sent to the store through any of its handles (each may write);
   *  undefined on PostgreSQL, where other processes write too (src/cache/version-barrier.ts). */
  readonly writeEpoch?: number;
}

// Return numeric/bigint as JS numbers: counts and aggregates here fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

class Counter {
  n = 0;
}

let lastPoolError: string | undefined;
/** Last error of an idle pooled connection (for /ready and logs). */
export const poolErrorSeen = () => lastPoolError;

/** Errors meaning "the database is not there right now" rather than "this statement is wrong". */
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(cause: Error) { super(`database unavailable (${cause.message}); retry shortly`); }
}

function classify(e: unknown): never {
  const code = (e as { code?: string }).code;
  if (code && UNAVAILABLE.has(code)) throw new DatabaseUnavailableError(e as Error);
  if (e instanceof Error && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(e.message)) throw new DatabaseUnavailableError(e);
  throw e;
}

class PgDb implements Db {
  readonly kind = 'postgres' as const;
  constructor(
    private readonly client: pg.Pool | pg.PoolClient,
    private readonly counter = new Counter(),
    private readonly inTx = false,
  ) {}
  get statementCount() { return this.counter.n; }
  background(): Db {
    return Object.assign(new PgDb(this.client, new Counter(), this.inTx), { close: async () => undefined });
  }
  async query<T>(q: SqlFragment): Promise<T[]> {
    const { text, values } = render(q);
    this.counter.n++;
    const r = await this.client.query(text, values as unknown[]).catch(classify);
    return r.rows as T[];
  }
  async execScript(script: string) {
    this.counter.n++;
    await this.client.query(script);
  }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.inTx) return fn(this); // nested: join the open transaction
    const c = await (this.client as pg.Pool).connect().catch(classify);
    try {
      await c.query('BEGIN');
      const r = await fn(new PgDb(c, this.counter, true));
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }
  async copyFrom(statement: string, lines: Iterable<string | Buffer> | AsyncIterable<string | Buffer>): Promise<void> {
    if (!this.inTx) throw new Error('copyFrom runs inside a transaction');
    this.counter.n++;
    const { from } = await import('pg-copy-streams');
    await pipeline(Readable.from(lines), (this.client as pg.PoolClient).query(from(statement)));
  }
  async close() {
    if (!this.inTx) await (this.client as pg.Pool).end();
  }
}

type PGliteLike = {
  query<T>(text: string, params?: unknown[], options?: { blob?: Blob }): Promise<{ rows: T[] }>;
  exec(script: string): Promise<unknown>;
  close(): Promise<void>;
};

/** FIFO lock: PGlite is one session, so a transaction must hold it against every other statement. */
class Lock {
  private tail: Promise<void> = Promise.resolve();
  /** statements sent to the session by any handle, counted when sent (Db.writeEpoch) */
  sent = 0;
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(() => undefined, () => undefined);
    return result;
  }
}

// Transactions are explicit BEGIN/COMMIT under the lock: PGlite's own transaction() helper was seen to lose rows
// of PostGIS statements issued inside it.
class EmbeddedDb implements Db {
  readonly kind = 'embedded' as const;
  constructor(
    private readonly pgl: PGliteLike,
    private readonly counter = new Counter(),
    private readonly lock = new Lock(),
    private readonly inTx = false,
    /** the folder's lock (root handle only): released after PGlite has closed */
    private readonly storeLock?: StoreLock,
  ) {}
  get statementCount() { return this.counter.n; }
  get writeEpoch() { return this.lock.sent; }
  background(): Db {
    return Object.assign(new EmbeddedDb(this.pgl, new Counter(), this.lock, this.inTx), { close: async () => undefined });
  }
  private guarded<T>(fn: () => Promise<T>): Promise<T> {
    return this.inTx ? fn() : this.lock.run(fn);
  }
  query<T>(q: SqlFragment): Promise<T[]> {
    const { text, values } = render(q);
    this.counter.n++;
    this.lock.sent++;
    return this.guarded(async () => (await this.pgl.query<T>(text, values as unknown[])).rows);
  }
  execScript(script: string) {
    this.counter.n++;
    this.lock.sent++;
    return this.guarded(async () => { await this.pgl.exec(script); });
  }
  async copyFrom(statement: string, lines: Iterable<string | Buffer> | AsyncIterable<string | Buffer>): Promise<void> {
    if (!this.inTx) throw new Error('copyFrom runs inside a transaction');
    const parts: (string | Buffer)[] = [];
    for await (const l of lines) parts.push(l);
    this.counter.n++;
    this.lock.sent++;
    // PGlite has no COPY protocol: its virtual file /dev/blob is the STDIN of the statement
    await this.pgl.query(statement.replace(/FROM STDIN/i, "FROM '/dev/blob'"), [], { blob: new Blob(parts as BlobPart[]) });
  }
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.inTx) return fn(this);
    this.lock.sent++;
    return this.lock.run(async () => {
      await this.pgl.exec('BEGIN');
      try {
        const r = await fn(new EmbeddedDb(this.pgl, this.counter, this.lock, true));
        this.lock.sent++;
        await this.pgl.exec('COMMIT');
        return r;
      } catch (e) {
        this.lock.sent++;
        await this.pgl.exec('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }
  async close() {
    try {
      await this.lock.run(() => this.pgl.close());
    } finally {
      await this.storeLock?.release();
    }
  }
}

export interface DbConfig {
  /** postgres://… for a real server; absent → embedded PGlite */
  databaseUrl?: string;
  /** embedded data folder; absent → in memory */
  dataDir?: string;
  poolSize?: number;
  /** PostgreSQL only: statements running longer are cancelled by the server (statement_timeout); absent or 0 → none. */
  statementTimeoutMs?: number;
  /** PostgreSQL only: streaming replicas that answer plain reads (DATABASE_REPLICA_URLS; src/db/replicas.ts). */
  replicaUrls?: string[];
}

/** A replica's pool (src/db/replicas.ts): connects lazily (a standby that is down at start is retried later) and
 *  gives up connecting after a few seconds so a dead host turns into a fallback to the primary, not a hang. */
export function openReplicaDb(url: string, cfg: Pick<DbConfig, 'poolSize' | 'statementTimeoutMs'>): Db {
  const pool = new pg.Pool({ connectionString: url, max: cfg.poolSize ?? 10, connectionTimeoutMillis: 3000,
    ...(cfg.statementTimeoutMs ? { statement_timeout: cfg.statementTimeoutMs } : {}),
    ...(process.env.PGOPTIONS ? {} : { options: '-c jit=off' }) });
  pool.on('error', (e) => { lastPoolError = e.message; });
  return new PgDb(pool);
}

export async function openDb(cfg: DbConfig): Promise<Db> {
  if (cfg.databaseUrl) {
    // jit=off: the GraphQL statements are many short ones whose estimated cost can still pass jit_above_cost, and
    // compiling them (~100-300 ms) costs more than it saves; PGOPTIONS, when set, decides instead.
    const pool = new pg.Pool({ connectionString: cfg.databaseUrl, max: cfg.poolSize ?? 10, ...(cfg.statementTimeoutMs ? { statement_timeout: cfg.statementTimeoutMs } : {}),
      ...(process.env.PGOPTIONS ? {} : { options: '-c jit=off' }) });
    // An idle client whose server went away (restart, failover) emits 'error'; unhandled, that would end the process.
    // The pool drops that client and the next query connects afresh, so the service recovers by itself.
    pool.on('error', (e) => { lastPoolError = e.message; });
    const c = await pool.connect(); // fail fast with the server's own message
    c.release();
    return new PgDb(pool);
  }
  // one process per folder (src/db/lock.ts): a second PGlite on the same files corrupts them
  const storeLock = cfg.dataDir ? await lockStore(cfg.dataDir) : undefined;
  try {
    if (cfg.dataDir) await mkdir(cfg.dataDir, { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const { postgisExtension } = await import('./postgis-bundle.js');
    const postgis = await postgisExtension((m) => process.stderr.write(`agglomera: ${m}\n`));
    const pgl = await PGlite.create({ dataDir: cfg.dataDir, extensions: { postgis } });
    return new EmbeddedDb(pgl as unknown as PGliteLike, undefined, undefined, false, storeLock);
  } catch (e) {
    await storeLock?.release();
    throw e;
  }
}
