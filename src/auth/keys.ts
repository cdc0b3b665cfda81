// API keys: `agk_` + 32 random bytes (base64url), shown once; the database keeps their sha256 (a fast hash suffices for
// 256-bit random secrets), an 8-character prefix for listings, a name, a role, and when they were created, used, revoked.
// Lookups are cached briefly (LRU with TTL) so requests don't each hit the database; revoking here drops the cache entry,
// a revocation by another process (the CLI on PostgreSQL) reaches a running server within the TTL; on the embedded
// store the CLI runs inside the server (src/cli/channel.ts), so creations and revocations act at once.
import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import { ROLES, type Role } from './roles.js';

export const KEY_PREFIX = 'agk_';
const KEY_RE = /^agk_[A-Za-z0-9_-]{43}$/;

export interface ApiKeyInfo {
  id: number;
  name: string;
  role: Role;
  /** first characters of the key, e.g. agk_Xy12ab3C */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
const prefixOf = (key: string) => key.slice(0, KEY_PREFIX.length + 8);

interface Row { id: number; name: string; role: Role; prefix: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }
const toInfo = (r: Row): ApiKeyInfo => ({
  id: r.id, name: r.name, role: r.role, prefix: r.prefix,
  createdAt: new Date(r.created_at), lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null, revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
});

export function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new KeyError(`role must be one of ${ROLES.join(', ')}, got "${role}"`);
  return role as Role;
}

/** A user error of key management (unknown key, bad role, empty name). */
export class KeyError extends Error {}

/** Creates a key; the returned `key` is the only time the secret exists outside the caller. */
export async function createKey(db: Db, name: string, role: string): Promise<{ key: string; info: ApiKeyInfo }> {
  const n = name.trim();
  if (!n) throw new KeyError('a key needs a --name');
  if (n.length > 200) throw new KeyError('a key name is at most 200 characters');
  const r = checkRole(role);
  const key = KEY_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await db.query<Row>(sql`
    INSERT INTO api_key (name, role, prefix, hash) VALUES (${n}, ${r}, ${prefixOf(key)}, ${hashKey(key)})
    RETURNING id, name, role, prefix, created_at, last_used_at, revoked_at`);
  forget(hashKey(key)); // no cached answer of this process may outlive the key's creation
  return { key, info: toInfo(row) };
}

export async function listKeys(db: Db): Promise<ApiKeyInfo[]> {
  return (await db.query<Row>(sql`SELECT id, name, role, prefix, created_at, last_used_at, revoked_at FROM api_key ORDER BY id`)).map(toInfo);
}

/** Revokes by id ("12") or by prefix ("agk_Xy12ab3C", unique among keys); returns the key as revoked. */
export async function revokeKey(db: Db, idOrPrefix: string): Promise<ApiKeyInfo> {
  const s = idOrPrefix.trim();
  type Found = Row & { hash: string };
  const rows = /^\d+$/.test(s)
    ? await db.query<Found>(sql`SELECT * FROM api_key WHERE id = ${Number(s)}`)
    : s.startsWith(KEY_PREFIX) && s.length >= KEY_PREFIX.length + 4
      ? await db.query<Found>(sql`SELECT * FROM api_key WHERE starts_with(prefix, ${prefixOf(s)})`)
      : [];
  if (rows.length === 0) throw new KeyError(`no API key with id or prefix "${s}" (ids are numbers, prefixes start with ${KEY_PREFIX})`);
  if (rows.length > 1) throw new KeyError(`prefix "${s}" matches ${rows.length} keys (ids ${rows.map((r) => r.id).join(', ')}): give the id`);
  const [row] = await db.query<Row>(sql`
    UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE id = ${rows[0].id}
    RETURNING id, name, role, prefix, created_at, last_used_at, revoked_at`);
  forget(rows[0].hash);
  return toInfo(row);
}

// ---- lookups from requests ----

export type KeyLookup = { ok: true; id: number; name: string; role: Role } | { ok: false; reason: 'unknown' | 'revoked' | 'malformed' };

const caches = new Set<LRUCache<string, KeyLookup>>();
function forget(hash: string) { for (const c of caches) c.delete(hash); }

/** How often last_used_at is written for one key (at most once per this many ms). */
const TOUCH_EVERY_MS = 60_000;

export class KeyStore {
  private readonly cache: LRUCache<string, KeyLookup>;
  private readonly touched = new Map<number, number>();
  constructor(private readonly db: Db, ttlMs: number) {
    this.cache = new LRUCache<string, KeyLookup>({ max: 10_000, ttl: ttlMs });
    caches.add(this.cache);
  }

  async lookup(key: string): Promise<KeyLookup> {
    if (!KEY_RE.test(key)) return { ok: false, reason: 'malformed' };
    const hash = hashKey(key);
    let r = this.cache.get(hash);
    if (!r) {
      const [row] = await this.db.query<{ id: number; name: string; role: Role; revoked: boolean }>(
        sql`SELECT id, name, role, revoked_at IS NOT NULL AS revoked FROM api_key WHERE hash = ${hash}`);
      r = !row ? { ok: false, reason: 'unknown' } : row.revoked ? { ok: false, reason: 'revoked' } : { ok: true, id: row.id, name: row.name, role: row.role };
      this.cache.set(hash, r);
    }
    if (r.ok) this.touch(r.id);
    return r;
  }

  /** Records use without delaying the request (and without a write per request). */
  private touch(id: number) {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    this.db.query(sql`UPDATE api_key SET last_used_at = now() WHERE id = ${id}`).catch(() => undefined);
  }

  close() { caches.delete(this.cache); }
}
