// Runs the benchmarks named on the command line (default: all), each in its own process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const all = ['graphql', 'estimation', 'gmm', 'spatial', 'outlines', 'import', 'compress'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
// Named only: they start server processes over a PostgreSQL database of their own (see each file's header).
const named = { peers: 'BENCH_DATABASE_URL=postgresql://…/<db> npm run bench -- peers   (PostGraphile side by side, issue 13)',
  replica: 'BENCH_DATABASE_URL=postgresql://…:5432/<db> BENCH_REPLICA_URL=postgresql://…:5433/<db> npm run bench -- replica   (reads/s primary only vs primary + hot standby, issue 20)' };
for (const name of chosen) {
  const file = `bench/${name}.ts`;
  if (!existsSync(file)) { console.error(`no benchmark ${file}`); process.exitCode = 2; continue; }
  console.log(`\n### ${name}`);
  const r = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', file], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
if (!process.argv.slice(2).length) for (const [name, how] of Object.entries(named)) console.log(`\n### ${name}: not in the default set; run it with\n  ${how}`);
