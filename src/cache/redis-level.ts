// The Redis connection of the shared cache level (REDIS_URL): kept answers and registered persisted queries that every
// app process sees. Redis is an accelerator here, never a dependency: a command that cannot run at once (Redis down,
// reconnecting, slow) fails fast and the caller carries on in process only; the outage is logged once, and once more
// when Redis is back.
import { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { logger } from '../ops/log.js';
import { registry } from '../ops/metrics.js';

const failures = new Counter({ name: 'agglomera_cache_redis_errors_total', help: 'Shared cache (Redis) commands that failed or timed out; the request went on without the shared level', registers: [registry] });

/** A Redis command taking longer is abandoned (the request is not held up by a slow shared level). */
const COMMAND_TIMEOUT_MS = 250;

export class RedisLevel {
  private readonly redis: Redis;
  private down = false;

  /** `prefix` starts every key (AGGLOMERA_CACHE_PREFIX): processes that share answers use the same one. */
  constructor(url: string, readonly prefix: string) {
    this.redis = new Redis(url, {
      // no queue while disconnected and no retries: a command either runs now or the request goes on without it
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (n) => Math.min(n * 200, 5000),
    });
    this.redis.on('error', (e: Error) => this.fault(e));
    this.redis.on('ready', () => {
      if (this.down) logger.info('response cache: Redis is back; answers and persisted queries are shared again');
      this.down = false;
    });
  }

  private fault(e: Error) {
    failures.inc();
    if (this.down) return;
    this.down = true;
    logger.warn({ err: e.message }, 'response cache: Redis unavailable; answers and persisted queries are kept in this process only until it is back');
  }

  async get(key: string): Promise<Buffer | null> {
    try { return await this.redis.getBuffer(this.prefix + key); } catch (e) { this.fault(e as Error); return null; }
  }

  /** Never throws; at most COMMAND_TIMEOUT_MS. */
  async set(key: string, value: Buffer | string, ttlSeconds: number): Promise<void> {
    try { await this.redis.set(this.prefix + key, value, 'EX', ttlSeconds); } catch (e) { this.fault(e as Error); }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
