// Issue 20 part 5: bytes and time per request, identity vs gzip vs br, for the z0 firms tile (first tile: encoded and
// compressed for this request; cached: the tile cache's bytes, compressed once per data version) and for the
// all-cities × 20-years GraphQL answer (compressed per request). One in-process server over HTTP on 127.0.0.1.
// Usage: npm run bench -- compress   (PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL is set, else the embedded
//        store in AGGLOMERA_DATA_DIR; BENCH_RUNS=n repeats per cached measurement, default 15)
import http from 'node:http';

process.env.AGGLOMERA_LOG_LEVEL ??= 'warn'; // no request log lines between the rows (read when the logger loads)
const { openStore } = await import('../src/app.js');
const { startHttp } = await import('../src/http.js');

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const ENCODINGS = ['identity', 'gzip', 'br'] as const;
type Enc = typeof ENCODINGS[number];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ALL_CITIES = JSON.stringify({ query: '{ cities(first: 1000) { nodes { code name metrics { year gdp population } } } }' });

/** One request; wall ms until the last byte, bytes on the wire (body), the Content-Encoding answered. */
function request(origin: string, path: string, enc: Enc, body?: string): Promise<{ ms: number; bytes: number; got: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const headers: Record<string, string> = { 'accept-encoding': enc };
    if (body) headers['content-type'] = 'application/json';
    const req = http.request(`${origin}${path}`, { method: body ? 'POST' : 'GET', headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; }).on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode}`));
        else resolve({ ms: performance.now() - t0, bytes, got: String(res.headers['content-encoding'] ?? 'identity') });
      }).on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function timed(fn: () => Promise<{ ms: number; bytes: number; got: string }>, runs: number) {
  await fn(); // warm-up
  const ms: number[] = [];
  let last = { ms: 0, bytes: 0, got: '' };
  for (let i = 0; i < runs; i++) { last = await fn(); ms.push(last.ms); }
  return { ms: median(ms), bytes: last.bytes, got: last.got };
}

const goal = (text: string, met: boolean, measured: string) => console.log(`goal ${text}: ${met ? 'met' : `NOT MET (${measured})`}`);
const row = (label: string, enc: Enc, r: { ms: number; bytes: number }, base: { ms: number; bytes: number }) =>
  console.log(`${label.padEnd(28)} ${enc.padEnd(8)} ${String(r.bytes).padStart(9)} B  ${(r.bytes / base.bytes).toFixed(3)}×   ${r.ms.toFixed(2).padStart(8)} ms  ${(r.ms / base.ms).toFixed(2)}×`);

async function main() {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  const db = await openStore({ databaseUrl });
  const server = await startHttp(db, 0);
  const o = server.origin;
  console.log(`compression on ${db.kind}, ${RUNS} runs per cached measurement (median)`);
  try {
    const [from, to] = ((await (await fetch(`${o}/tiles/firms.json`)).json()) as { years: [number, number] }).years;
    const years = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const yearsOf = (e: number) => { const k = Math.max(1, Math.floor(years.length / 3)); return years.slice(e * k, e * k + k); };
    console.log(`\nwhat                         encoding     bytes  vs identity   time      vs identity`);
    // first tile: a year no request has asked for yet, per encoding (a tile's cache entry is per year)
    const first: Partial<Record<Enc, { ms: number; bytes: number }>> = {};
    for (const [i, enc] of ENCODINGS.entries()) {
      const rs = [];
      for (const y of yearsOf(i)) rs.push(await request(o, `/tiles/firms/0/0/0.mvt?year=${y}`, enc));
      first[enc] = { ms: median(rs.map((r) => r.ms)), bytes: rs[rs.length - 1].bytes };
      row(`z0 firms tile, first (n=${rs.length})`, enc, first[enc]!, first.identity!);
    }
    const cached: Partial<Record<Enc, { ms: number; bytes: number }>> = {};
    for (const enc of ENCODINGS) {
      cached[enc] = await timed(() => request(o, `/tiles/firms/0/0/0.mvt?year=${years[years.length - 1]}`, enc), RUNS);
      row('z0 firms tile, cached', enc, cached[enc]!, cached.identity!);
    }
    const gql: Partial<Record<Enc, { ms: number; bytes: number; got: string }>> = {};
    for (const enc of ENCODINGS) {
      gql[enc] = await timed(() => request(o, '/graphql', enc, ALL_CITIES), Math.max(3, Math.floor(RUNS / 3)));
      row('GraphQL all cities × years', enc, gql[enc]!, gql.identity!);
      if (gql[enc]!.got !== enc) throw new Error(`asked ${enc}, got ${gql[enc]!.got}`);
    }
    console.log('');
    const tileRatio = Math.max(cached.gzip!.bytes, cached.br!.bytes) / cached.identity!.bytes;
    // MVT is already varint-packed: what is left to squeeze is mostly the property values and keys
    goal('z0 firms tile in gzip and br ≤ 0.85× its identity bytes', tileRatio <= 0.85, `${tileRatio.toFixed(3)}×`);
    const gqlRatio = Math.max(gql.gzip!.bytes, gql.br!.bytes) / gql.identity!.bytes;
    goal('all cities × years GraphQL answer in gzip and br ≤ 1/4 of its identity bytes', gqlRatio <= 0.25, `${gqlRatio.toFixed(3)}×`);
    // a cached tile is not compressed again: serving its br bytes costs no more than serving the raw bytes (+ 1 ms)
    const cachedBr = cached.br!.ms, cachedId = cached.identity!.ms;
    goal('cached tile in br ≤ identity time + 1 ms (compressed once per data version)', cachedBr <= cachedId + 1, `${cachedBr.toFixed(2)} vs ${cachedId.toFixed(2)} ms`);
    const gqlBr = gql.br!.ms / gql.identity!.ms;
    goal('GraphQL all cities × years in br ≤ 1.25× identity time (on-the-fly brotli is cheap)', gqlBr <= 1.25, `${gqlBr.toFixed(2)}×`);
  } finally {
    await server.stop();
    await db.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
