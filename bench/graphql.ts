// Latency of the nested all-cities query (code, name, province, simplified boundary, neighbours, 2019 metrics)
// on the embedded database and on PostgreSQL: planned (nested fields fetched in the root's statement, plan.ts),
// batched (DataLoaders only) and one-statement-per-key (the N+1 baseline).
// Usage: npm run bench -- graphql     (PostgreSQL part runs when BENCH_DATABASE_URL or DATABASE_URL is set)
import { graphql } from 'graphql';
import { buildGraphQLSchema, openStore } from '../src/app.js';
import { makeContext } from '../src/resolvers/loaders.js';

const QUERY = `{ cities(first: 1000) { nodes {
  code name province boundary(simplify: 0.01)
  neighbours { city { code } sharedKm }
  metrics(years: [2019]) { year population urbanShare gdp nqpIndicators dfu rid pc }
} } }`;

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(label: string, databaseUrl: string | undefined) {
  const db = await openStore({ databaseUrl });
  const schema = await buildGraphQLSchema();
  const rows: string[] = [];
  const results: Record<string, number> = {};
  const modes = [['planned', {}], ['batched', { plan: false }], ['N+1 baseline', { batch: false }]] as const;
  for (const [mode, opts] of modes) {
    const times: number[] = [];
    let statements = 0, cities = 0;
    for (let i = 0; i < RUNS + 1; i++) {
      const before = db.statementCount;
      const t0 = performance.now();
      const r = await graphql({ schema, source: QUERY, contextValue: makeContext(db, opts) });
      const ms = performance.now() - t0;
      if (r.errors) throw new Error(r.errors[0].message);
      if (i > 0) times.push(ms); // first run warms caches
      statements = db.statementCount - before;
      cities = (r.data as any).cities.nodes.length;
    }
    results[mode] = median(times);
    rows.push(`${label.padEnd(9)} ${mode.padEnd(13)} cities=${cities} statements=${String(statements).padStart(5)} median=${median(times).toFixed(1).padStart(8)} ms (${RUNS} runs)`);
  }
  rows.push(`${label.padEnd(9)} speed-up of batching: ${(results['N+1 baseline'] / results.batched).toFixed(2)}x, of planning over batching: ${(results.batched / results.planned).toFixed(2)}x`);
  await db.close();
  return rows;
}

const out = [...(await measure('embedded', undefined))];
const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
if (pgUrl) out.push(...(await measure('postgres', pgUrl)));
else out.push('postgres  skipped: set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL + PostGIS database');
console.log(out.join('\n'));
