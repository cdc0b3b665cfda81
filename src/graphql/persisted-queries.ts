// Automatic persisted queries (Apollo's APQ protocol): the registry of query texts by their SHA-256 (hex), one for
// both paths of /graphql. The fast path looks hashes up and registers texts itself; Apollo gets the same registry as
// its `persistedQueries.cache`, so a text registered by either path is known to the other, and with REDIS_URL to every
// process (a client whose GET reaches another process behind a load balancer or CDN needs no second round trip).
// A text is registered only after its hash was checked against it (a registry entry is always the text of its hash),
// and only once it parsed and validated (by Apollo, or by the fast path's document cache).
import { createHash } from 'node:crypto';
import type { PersistedQueryOptions } from '@apollo/server';
import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import { registry } from '../ops/metrics.js';
import type { RedisLevel } from '../cache/redis-level.js';

const lookups = new Counter({ name: 'agglomera_persisted_queries_total', help: 'Persisted-query hashes looked up (hit: known here or in Redis; not_found) and texts registered', labelNames: ['result'], registers: [registry] });

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** Characters of query text kept in process (an attacker registering texts evicts, it does not grow memory). */
const MAX_LOCAL_CHARS = 16 * 1024 * 1024;
/** A query text does not go stale; Redis drops unused ones after this. */
const SHARED_TTL_SECONDS = 7 * 24 * 3600;
/** Apollo's PrefixingKeyValueCache puts this before the hash (@apollo/server requestPipeline APQ_CACHE_PREFIX). */
const APOLLO_PREFIX = 'apq:';

export class PersistedQueries {
  private readonly local = new LRUCache<string, string>({ maxSize: MAX_LOCAL_CHARS, sizeCalculation: (t) => Math.max(1, t.length) });

  constructor(private readonly shared: RedisLevel | null) {}

  async lookup(hash: string): Promise<string | undefined> {
    const text = await this.find(hash);
    lookups.labels(text === undefined ? 'not_found' : 'hit').inc();
    return text;
  }

  private async find(hash: string): Promise<string | undefined> {
    const known = this.local.get(hash);
    if (known !== undefined || !this.shared) return known;
    const b = await this.shared.get(`apq:${hash}`);
    if (!b) return undefined;
    const text = b.toString('utf8');
    // Redis is trusted no more than a client: a text that is not its hash's is not used
    if (sha256Hex(text) !== hash) return undefined;
    this.local.set(hash, text);
    return text;
  }

  /** The caller checked sha256Hex(text) === hash. Waits for Redis, so the next request to any process finds it. */
  async register(hash: string, text: string): Promise<void> {
    if (this.local.get(hash) === text) return;
    lookups.labels('registered').inc();
    this.local.set(hash, text);
    await this.shared?.set(`apq:${hash}`, text, SHARED_TTL_SECONDS);
  }

  /** The registry as Apollo's APQ cache (keys `apq:<hash>`; Apollo checks the hash before it sets). */
  forApollo(): NonNullable<PersistedQueryOptions['cache']> {
    const hashOf = (key: string) => (key.startsWith(APOLLO_PREFIX) ? key.slice(APOLLO_PREFIX.length) : key);
    return {
      get: (key) => this.lookup(hashOf(key)),
      set: (key, value) => this.register(hashOf(key), value),
      delete: async (key) => { this.local.delete(hashOf(key)); },
    };
  }
}
