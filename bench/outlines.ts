// Issue 13: all cities' outlines at 0.01 degrees through GraphQL, read from the precomputed city_outline table
// against simplified per request (ST_SimplifyPreserveTopology, as before; a tolerance that is not stored, 0.0100001,
// takes that path), measured in the same run; plus the time to encode a few vector tiles with each encoder.
// Usage: npm run bench -- outlines   (PostgreSQL part when BENCH_DATABASE_URL or DATABASE_URL is set;
//        BENCH_EMBEDDED=false skips the embedded store, which loads the demo into memory first)
import { graphql } from 'graphql';
import { buildGraphQLSchema, openStore } from '../src/app.js';
import { mapVersions } from '../src/db/queries/outlines.js';
import { makeContext } from '../src/resolvers/loaders.js';
import { stringifyResult } from '../src/graphql/raw-json.js';
import { encodeTile, type Encoder } from '../src/tiles/encode.js';
import { cityMetricsIndex } from '../src/tiles/metrics.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const query = (t: string) => `{ cities(first: 1000) { nodes { code boundary(simplify: ${t}) } } }`;

/** Median wall-clock ms of `runs` runs after one warm-up; `cpu` gets the median CPU ms of this process (not the
 * server's), which a machine shared with other work inflates less than the wall clock. */
async function timed(runs: number, fn: () => Promise<unknown>, cpu?: number[]): Promise<number> {
  const times: number[] = [], cpus: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now(), c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    if (i > 0) { times.push(performance.now() - t0); cpus.push((c.user + c.system) / 1000); } // the first run warms caches
  }
  cpu?.push(median(cpus));
  return median(times);
}

async function measure(label: string, databaseUrl: string | undefined): Promise<string[]> {
  const db = await openStore({ databaseUrl });
  const schema = await buildGraphQLSchema();
  const out: string[] = [];
  const ms: Record<string, number> = {};
  for (const [name, t] of [['precomputed', '0.01'], ['per-request', '0.0100001']] as const) {
    let last: any;
    const cpu: number[] = [];
    ms[name] = await timed(RUNS, async () => {
      last = await graphql({ schema, source: query(t), contextValue: makeContext(db) });
      if (last.errors) throw new Error(last.errors[0].message);
    }, cpu);
    const nodes = JSON.parse(stringifyResult(last.data)).cities.nodes as { boundary: { coordinates: number[][][][] } }[]; // stored outlines travel as RawJson
    const cities = nodes.length;
    const vertices = nodes.reduce((s, n) => s + n.boundary.coordinates.flat(2).length, 0);
    out.push(`${label.padEnd(9)} boundary(simplify: ${t.padEnd(9)}) ${name.padEnd(12)} cities=${cities} vertices=${vertices} median=${ms[name].toFixed(1).padStart(8)} ms, client CPU ${cpu[0].toFixed(1)} ms (${RUNS} runs)`);
  }
  out.push(`${label.padEnd(9)} precomputed outlines are ${(ms['per-request'] / ms.precomputed).toFixed(1)}x faster`);
  const index = await cityMetricsIndex(db, (await mapVersions(db)).data);
  const encoders: Encoder[] = db.kind === 'postgres' ? ['postgis', 'js'] : ['js'];
  for (const [z, x, y] of [[4, 13, 6], [7, 106, 52], [10, 857, 418]]) {
    for (const layer of ['cities', 'firms'] as const) {
      const cells = await Promise.all(encoders.map(async (encoder) => {
        let bytes = 0;
        const t = await timed(RUNS, async () => {
          bytes = (await encodeTile(db, { layer, tile: { z, x, y }, year: 2019, metrics: index.byYear.get(2019)! }, encoder)).length;
        });
        return `${encoder} ${t.toFixed(1).padStart(7)} ms ${String(bytes).padStart(7)} B`;
      }));
      out.push(`${label.padEnd(9)} tile ${layer.padEnd(6)} ${`${z}/${x}/${y}`.padEnd(10)} ${cells.join('   ')}`);
    }
  }
  await db.close();
  return out;
}

const out: string[] = [];
if (process.env.BENCH_EMBEDDED !== 'false') out.push(...(await measure('embedded', undefined)));
const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
if (pgUrl) out.push(...(await measure('postgres', pgUrl)));
else out.push('postgres  skipped: set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL + PostGIS database');
console.log(out.join('\n'));
