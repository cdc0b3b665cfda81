import { graphql } from 'graphql';
import { buildGraphQLSchema, openStore } from '../src/app.js';
import { makeContext } from '../src/resolvers/loaders.js';
import { stringifyResult } from '../src/graphql/raw-json.js';
const db = await openStore({ databaseUrl: process.env.DATABASE_URL });
const schema = await buildGraphQLSchema();
const q = process.argv[2]; const n = Number(process.argv[3] ?? 20); const plan = process.argv[4] !== 'noplan';
const cpu: number[] = [], wall: number[] = [];
for (let i = 0; i < n; i++) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const r = await graphql({ schema, source: q, contextValue: makeContext(db, { plan }) });
  stringifyResult(r);
  const c = process.cpuUsage(c0); wall.push(performance.now() - t0); cpu.push((c.user + c.system) / 1000);
}
const med = (x: number[]) => x.sort((a, b) => a - b)[x.length >> 1].toFixed(1);
console.log(plan ? 'planned' : 'unplanned', 'wall', med(wall), 'cpu', med(cpu));
await db.close();
