import pg from 'pg';
const c = new pg.Client({ connectionString: process.env.DATABASE_URL, options: '-c jit=off' }); await c.connect();
const V: Record<string, string> = JSON.parse((await import('node:fs')).readFileSync(process.argv[2], 'utf8'));
for (let round = 0; round < 2; round++) for (const [name, q] of Object.entries(V)) {
  const ts: number[] = []; let bytes = 0;
  for (let i = 0; i < 15; i++) { const t0 = performance.now(); const r = await c.query({ text: q, rowMode: 'array' }); ts.push(performance.now() - t0); bytes = JSON.stringify(r.rows).length; }
  ts.sort((a, b) => a - b);
  if (round) console.log(name.padEnd(12), 'min', ts[0].toFixed(1), 'med', ts[7].toFixed(1), 'bytes', bytes);
}
await c.end();
