// Whole GraphQL answers kept in process, least recently used first out, bounded in bytes. An answer is a pure
// function of (query text, operation, variables, effective role, data version): the key holds all five, so a write
// (which moves the data version) makes every older entry unreachable — they age out, they are never served.
// Only complete 200 answers without errors are kept.
import { createHash } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { registry } from '../ops/metrics.js';
import type { Encoding } from '../http/compress.js';

export interface CachedAnswer {
  body: Buffer;
  headers: Record<string, string>;
  /** strong validator: hash of the body */
  etag: string;
  version: number;
  /** compressed variants, made on first ask by sendBody (src/http/compress.ts) and kept with the answer */
  encoded: Partial<Record<Encoding, Buffer>>;
}

const hits = new Counter({ name: 'agglomera_response_cache_hits_total', help: 'GraphQL answers served from the response cache', registers: [registry] });
const misses = new Counter({ name: 'agglomera_response_cache_misses_total', help: 'GraphQL answers computed (not in the response cache)', registers: [registry] });
const bytesGauge = new Gauge({ name: 'agglomera_response_cache_bytes', help: 'Bytes held by the response cache', registers: [registry] });
const entriesGauge = new Gauge({ name: 'agglomera_response_cache_entries', help: 'Answers held by the response cache', registers: [registry] });

export const etagOf = (body: Buffer) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

export class ResponseCache {
  private readonly map = new Map<string, CachedAnswer>();
  bytes = 0;

  constructor(private readonly maxBytes: number) {}

  static key(parts: { query: string; operationName: string | null | undefined; variables: unknown; role: string | null; version: number }): string {
    return createHash('sha256')
      .update(`${parts.version}\0${parts.role ?? ''}\0${parts.operationName ?? ''}\0${JSON.stringify(parts.variables ?? null)}\0${parts.query}`)
      .digest('base64url');
  }

  get(key: string): CachedAnswer | undefined {
    const e = this.map.get(key);
    if (!e) return undefined; // a miss is counted by the caller once the shared level was asked too
    this.map.delete(key); // re-insert: most recently used last
    this.map.set(key, e);
    hits.inc();
    return e;
  }

  set(key: string, e: CachedAnswer): void {
    const size = e.body.length + key.length;
    if (size > this.maxBytes) return;
    const old = this.map.get(key);
    if (old) { this.bytes -= old.body.length + key.length; this.map.delete(key); }
    this.map.set(key, e);
    this.bytes += size;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.body.length + k.length;
    }
    bytesGauge.set(this.bytes);
    entriesGauge.set(this.map.size);
  }

  get size() { return this.map.size; }

  /** An answer found in the shared level (Redis): served from the cache all the same. */
  static countHit() { hits.inc(); }
  /** Not found in either level: computed. */
  static countMiss() { misses.inc(); }
}
