import { graphql } from 'graphql';
import { buildGraphQLSchema, openStore } from '../src/app.js';
import { makeContext } from '../src/resolvers/loaders.js';
import { stringifyResult } from '../src/graphql/raw-json.js';
const db = await openStore({ databaseUrl: process.env.DATABASE_URL });
const schema = await buildGraphQLSchema();
for (const q of process.argv.slice(2)) {
  for (const plan of [true, false]) {
    const ts: number[] = [], ss: number[] = []; let st = 0, bytes = 0;
    for (let i = 0; i < 8; i++) {
      const b = db.statementCount; const t0 = performance.now();
      const r = await graphql({ schema, source: q, contextValue: makeContext(db, { plan }) });
      const t1 = performance.now();
      const s = stringifyResult(r);
      const t2 = performance.now();
      if (r.errors) throw new Error(r.errors[0].message);
      ts.push(t1 - t0); ss.push(t2 - t1); st = db.statementCount - b; bytes = s.length;
    }
    const med = (x: number[]) => x.sort((a, b) => a - b)[x.length >> 1].toFixed(1);
    console.log(plan ? 'planned  ' : 'unplanned', st, 'stmts exec', med(ts), 'ms stringify', med(ss), 'ms', bytes, 'bytes', q.slice(0, 60));
  }
}
await db.close();
