// captures the statements a GraphQL query issues and times each statement alone (EXPLAIN ANALYZE, median of 5)
import { graphql } from 'graphql';
import pg from 'pg';
import { buildGraphQLSchema, openStore } from '../src/app.js';
import { makeContext } from '../src/resolvers/loaders.js';
import { render, type SqlFragment } from '../src/db/sql.js';
const db = await openStore({ databaseUrl: process.env.DATABASE_URL });
const schema = await buildGraphQLSchema();
const plan = process.argv[3] !== 'noplan';
const seen: { text: string; values: unknown[] }[] = [];
const q0 = db.query.bind(db);
(db as any).query = (f: SqlFragment) => { seen.push(render(f)); return q0(f); };
await graphql({ schema, source: process.argv[2], contextValue: makeContext(db, { plan }) });
const c = new pg.Client({ connectionString: process.env.DATABASE_URL, options: '-c jit=off' }); await c.connect();
for (const s of seen) {
  const ts: number[] = [];
  for (let i = 0; i < 11; i++) { const r = await c.query('EXPLAIN (ANALYZE, FORMAT JSON) ' + s.text, s.values as any[]); ts.push(r.rows[0]['QUERY PLAN'][0]['Execution Time']); }
  ts.sort((a, b) => a - b); console.log('min', ts[0].toFixed(1), 'med', ts[5].toFixed(1), 'ms', s.text.replace(/\s+/g, ' ').slice(0, 140));
  if (process.env.SHOW) { const r = await c.query('EXPLAIN (ANALYZE, BUFFERS OFF) ' + s.text, s.values as any[]); console.log(r.rows.map((x: any) => x['QUERY PLAN']).join('\n')); if (process.env.SHOW === 'sql') console.log(s.text, s.values); }
}
await c.end(); await db.close();
