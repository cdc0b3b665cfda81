// Compression by Accept-Encoding (src/http/compress.ts): the negotiation table, and GraphQL (fast path and Apollo),
// OGC API items, the z0 firms tile and a web asset answered in br / gzip that decompress to exactly the identity
// bytes, with Vary and Content-Encoding; small bodies, clients without Accept-Encoding and
// AGGLOMERA_COMPRESSION=false get identity. Raw node:http requests: fetch would decompress on its own.
import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type RunningServer } from '../src/http.js';
import { encodeBody, negotiateEncoding, MIN_COMPRESS_BYTES } from '../src/http/compress.js';
import { limits, setLimits } from '../src/limits/settings.js';
import { dbKind, getStore } from './helpers/store.js';

interface Raw { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function raw(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) })).on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const decode = (r: Raw): Buffer => {
  const enc = r.headers['content-encoding'];
  if (enc === 'br') return zlib.brotliDecompressSync(r.body);
  if (enc === 'gzip') return zlib.gunzipSync(r.body);
  expect(enc).toBeUndefined();
  return r.body;
};

describe('negotiateEncoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['gzip;q=0.8, br;q=0.9', 'br'],
    ['gzip;q=1.0, br;q=1.0', 'br'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['deflate', 'identity'],
    ['*', 'br'],
    ['*;q=0.5, gzip', 'gzip'],
    ['*, br;q=0', 'gzip'],
    ['identity', 'identity'],
    ['identity;q=0', 'identity'],
    ['identity;q=0, gzip', 'gzip'],
    ['GZIP', 'gzip'],
    [['gzip;q=0.2', 'br;q=0.1'], 'gzip'],
  ] as const)('%j → %s', (header, expected) => {
    expect(negotiateEncoding(header as string | string[] | undefined)).toBe(expected);
  });

  it('encodeBody round-trips and identity is the same buffer', () => {
    const body = Buffer.from('{"a":1}'.repeat(1000));
    expect(zlib.brotliDecompressSync(encodeBody(body, 'br')).equals(body)).toBe(true);
    expect(zlib.gunzipSync(encodeBody(body, 'gzip')).equals(body)).toBe(true);
    expect(encodeBody(body, 'identity')).toBe(body);
    expect(encodeBody(body, 'br').length).toBeLessThan(body.length / 10);
  });
});

describe(`compressed answers over HTTP on ${dbKind}`, () => {
  let server: RunningServer;
  let base: string;
  beforeAll(async () => {
    server = await startHttp((await getStore()).db, 0);
    base = server.origin;
  });
  afterAll(async () => { await server?.stop(); });

  const ALL_CITIES = JSON.stringify({ query: '{ cities(first: 1000) { nodes { code name metrics { year gdp population } } } }' });
  const post = (body: string, enc?: string) => raw(base, '/graphql', {
    method: 'POST', body, headers: { 'content-type': 'application/json', ...(enc ? { 'accept-encoding': enc } : {}) },
  });

  /** The same request in identity, gzip and br: equal bytes after decoding, headers as they should be. */
  async function sameInEvery(ask: (enc?: string) => Promise<Raw>, norm = (b: Buffer) => b.toString('latin1')): Promise<Buffer> {
    const plain = await ask();
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
    expect(plain.body.length).toBeGreaterThan(MIN_COMPRESS_BYTES);
    for (const enc of ['gzip', 'br'] as const) {
      const r = await ask(enc === 'br' ? 'gzip;q=0.5, br' : 'gzip, deflate');
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding']).toBe(enc);
      expect(r.headers.vary?.toLowerCase()).toContain('accept-encoding');
      expect(Number(r.headers['content-length'])).toBe(r.body.length);
      expect(r.body.length).toBeLessThan(plain.body.length);
      expect(norm(decode(r))).toBe(norm(plain.body));
    }
    return plain.body;
  }

  it('GraphQL on the fast path: all cities × years in gzip and br, same bytes', async () => {
    const body = await sameInEvery((enc) => post(ALL_CITIES, enc));
    expect(JSON.parse(body.toString()).data.cities.nodes.length).toBeGreaterThan(300);
  });

  it('GraphQL by GET (fast path): same bytes in gzip and br', async () => {
    const path = `/graphql?query=${encodeURIComponent('{ cities(first: 100) { nodes { code name province } } }')}`;
    const body = await sameInEvery((enc) => raw(base, path, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true', ...(enc ? { 'accept-encoding': enc } : {}) } }));
    expect(JSON.parse(body.toString()).data.cities.nodes).toHaveLength(100);
  });

  it('OGC API items: GeoJSON in gzip and br, Vary keeps Accept', async () => {
    // the collection's timeStamp is the time of the answer: the rest must match byte for byte
    const noTime = (b: Buffer) => b.toString('utf8').replace(/"timeStamp":"[^"]+"/, '');
    const body = await sameInEvery((enc) => raw(base, '/ogc/collections/cities/items?limit=50', { headers: enc ? { 'accept-encoding': enc } : {} }), noTime);
    expect(JSON.parse(body.toString()).features).toHaveLength(50);
    const r = await raw(base, '/ogc/collections/cities/items?limit=50', { headers: { 'accept-encoding': 'br' } });
    expect(r.headers.vary).toMatch(/^Accept, Accept-Encoding$/i);
    // HEAD: the GET's headers, no body
    const h = await raw(base, '/ogc/collections/cities/items?limit=50', { method: 'HEAD', headers: { 'accept-encoding': 'br' } });
    expect(h.headers['content-encoding']).toBe('br');
    // its length is that of its own compressed body, whose timeStamp differs from the GET's: brotli's output moves by
    // tens of bytes with it (27 seen), so within 5% of the GET's, not equal
    expect(Math.abs(Number(h.headers['content-length']) - r.body.length)).toBeLessThan(0.05 * r.body.length);
    expect(h.body.length).toBe(0);
  });

  it('the z0 firms tile in gzip and br, first and cached alike, ETag unchanged', async () => {
    const tile = await sameInEvery((enc) => raw(base, '/tiles/firms/0/0/0.mvt', { headers: enc ? { 'accept-encoding': enc } : {} }));
    expect(tile.length).toBeGreaterThan(10_000);
    const a = await raw(base, '/tiles/firms/0/0/0.mvt', { headers: { 'accept-encoding': 'br' } });
    const b = await raw(base, '/tiles/firms/0/0/0.mvt', { headers: { 'accept-encoding': 'br' } });
    expect(b.body.equals(a.body)).toBe(true); // the cached brotli bytes
    const plain = await raw(base, '/tiles/firms/0/0/0.mvt');
    expect(a.headers.etag).toBe(plain.headers.etag);
    const nm = await raw(base, '/tiles/firms/0/0/0.mvt', { headers: { 'accept-encoding': 'br', 'if-none-match': String(a.headers.etag) } });
    expect(nm.status).toBe(304);
    expect(nm.body.length).toBe(0);
    expect(nm.headers['content-encoding']).toBeUndefined();
  });

  it('a web asset in br and gzip', async () => {
    await sameInEvery((enc) => raw(base, '/vendor/maplibre-gl/maplibre-gl.css', { headers: enc ? { 'accept-encoding': enc } : {} }));
  });

  it('small bodies and clients without Accept-Encoding are not compressed; identity;q=0 still gets an answer', async () => {
    const small = await post(JSON.stringify({ query: '{ __typename }' }), 'br, gzip');
    expect(small.status).toBe(200);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body.toString()).toBe('{"data":{"__typename":"Query"}}\n');
    const none = await post(ALL_CITIES);
    expect(none.headers['content-encoding']).toBeUndefined();
    const unknown = await post(ALL_CITIES, 'deflate, compress');
    expect(unknown.headers['content-encoding']).toBeUndefined();
    expect(unknown.body.equals(none.body)).toBe(true);
    const noIdentity = await post(ALL_CITIES, 'identity;q=0, gzip');
    expect(noIdentity.headers['content-encoding']).toBe('gzip');
    const bad = await raw(base, '/tiles/firms/99/0/0.mvt', { headers: { 'accept-encoding': 'br' } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(decode(bad).toString()).error).toMatch(/99/);
  });

  it('AGGLOMERA_COMPRESSION=false answers identity everywhere', async () => {
    const before = limits().compression;
    setLimits({ compression: false });
    try {
      for (const r of [
        await post(ALL_CITIES, 'br, gzip'),
        await raw(base, '/tiles/firms/0/0/0.mvt', { headers: { 'accept-encoding': 'br, gzip' } }),
        await raw(base, '/ogc/collections/cities/items?limit=50', { headers: { 'accept-encoding': 'br, gzip' } }),
      ]) {
        expect(r.status).toBe(200);
        expect(r.headers['content-encoding']).toBeUndefined();
        expect(Number(r.headers['content-length'])).toBe(r.body.length);
      }
    } finally {
      setLimits({ compression: before });
    }
  });
});
