// The second level of the response cache: answers in Redis (REDIS_URL), so an answer one app process computed is a
// hit in every other. The key is the in-process key (query, operation, variables, role, data version) under a
// namespace naming the database, because two stores' data versions are unrelated numbers: processes on different
// databases that share a Redis (a staging and a production, two test databases) must never see each other's answers.
// Entries expire after AGGLOMERA_RESPONSE_CACHE_TTL_SECONDS (older versions' answers are unreachable anyway; the TTL
// is what frees Redis of them); answers above AGGLOMERA_RESPONSE_CACHE_SHARED_MAX_KB stay in process only.
// PostgreSQL only: the embedded store has one process, there is no one to share with.
import { Counter } from 'prom-client';
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import { registry } from '../ops/metrics.js';
import type { CachedAnswer } from './response-cache.js';
import type { RedisLevel } from './redis-level.js';

export const sharedHits = new Counter({ name: 'agglomera_response_cache_shared_hits_total', help: 'GraphQL answers served from the shared level (Redis) of the response cache (also counted in agglomera_response_cache_hits_total)', registers: [registry] });

interface Meta { etag: string; version: number; headers: Record<string, string> }

/** Stored value: a 4-byte length, the JSON of etag, version and headers, then the body's bytes as sent. */
function encode(e: CachedAnswer): Buffer {
  const meta = Buffer.from(JSON.stringify({ etag: e.etag, version: e.version, headers: e.headers } satisfies Meta));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(meta.length);
  return Buffer.concat([len, meta, e.body]);
}

function decode(b: Buffer): CachedAnswer | undefined {
  if (b.length < 4) return undefined;
  const n = b.readUInt32BE(0);
  if (4 + n > b.length) return undefined;
  try {
    const m = JSON.parse(b.subarray(4, 4 + n).toString('utf8')) as Meta;
    return { etag: m.etag, version: m.version, headers: m.headers, body: b.subarray(4 + n), encoded: {} };
  } catch {
    return undefined; // written by another release in another format: a miss
  }
}

/** Names the database: its name and its cluster's system identifier (the same on a streaming replica). */
async function namespaceOf(db: Db): Promise<string> {
  const bg = db.background();
  try {
    const [r] = await bg.query<{ ns: string }>(sql`SELECT current_database() || ':' || (SELECT system_identifier FROM pg_control_system())::text AS ns`);
    return r.ns;
  } catch {
    // pg_control_system() revoked: the server's start time tells clusters apart (a restart only empties the level)
    const [r] = await bg.query<{ ns: string }>(sql`SELECT current_database() || ':' || pg_postmaster_start_time()::text AS ns`);
    return r.ns;
  }
}

export class SharedAnswers {
  private ns: Promise<string | null> | null = null;

  constructor(private readonly level: RedisLevel, private readonly ttlSeconds: number, private readonly maxBytes: number) {}

  /** null: the database could not be named just now; the shared level is skipped, the request goes on */
  private async key(db: Db, key: string): Promise<string | null> {
    // a failed read is not remembered: the next request asks again
    this.ns ??= namespaceOf(db).catch(() => { this.ns = null; return null; });
    const ns = await this.ns;
    return ns === null ? null : `answer:${ns}:${key}`;
  }

  async get(db: Db, key: string): Promise<CachedAnswer | undefined> {
    const k = await this.key(db, key);
    const b = k === null ? null : await this.level.get(k);
    const e = b ? decode(b) : undefined;
    if (e) sharedHits.inc();
    return e;
  }

  /** Waited for before the answer is sent: once a client has an answer, every process can serve it. */
  async set(db: Db, key: string, e: CachedAnswer): Promise<void> {
    if (e.body.length > this.maxBytes) return;
    const k = await this.key(db, key);
    if (k !== null) await this.level.set(k, encode(e), this.ttlSeconds);
  }
}
