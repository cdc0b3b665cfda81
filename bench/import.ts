// Import throughput through the CLI door (`agglomera import …`, the same core as HTTP and GraphQL): rows/s and peak
// RSS of the importing process, on the embedded database and on PostgreSQL (BENCH_DATABASE_URL: a database
// `<name>_import` beside it is dropped and recreated). Cases, each in a process of its own (so its peak RSS is its
// own) over a demo store (338 cities) prepared once:
//   firms        50,000 firms keyed by unit code (the firm ids of the firm-year case)
//   firm-years   1,000,000 firm-year rows (50,000 firms × 20 years), classification of the firms included
//   city-years   a NAME-keyed city-year file (`--match name`, the matcher really runs): 5,000 synthetic units
//                (bench/synthetic-units.ts: distinct Chinese-style names with 市/州/地区/盟 and a province each,
//                imported in the setup through the boundaries door as small squares) × 200 years 1900–2099 =
//                1,000,000 rows; the unit column holds their names in mixed forms (full, without suffix,
//                spaced, full-width space). BENCH_CITY_UNITS=N scales it (N × 200 rows).
//   firm-years again   the same firm-year file a second time (every row unchanged: nothing rewritten)
// On PostgreSQL the baseline is the database's own COPY of the same firm-year file into a plain UNLOGGED table of the
// same columns (psql's \copy through the pg driver), timed in the same run; the issue-20 goals are printed as
// met / NOT MET from these numbers.
// Generated files go to a temp dir that is removed afterwards. BENCH_FIRM_YEARS=N scales the firm-year case.
// Usage: npm run bench -- import        (PostgreSQL part runs when BENCH_DATABASE_URL is set)
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { nameForm, syntheticUnits, unitsGeoJson } from './synthetic-units.js';
import { from as copyFrom } from 'pg-copy-streams';

const FIRMS = 50_000;
const FIRM_YEARS = Number(process.env.BENCH_FIRM_YEARS ?? 1_000_000);
const YEARS = Math.ceil(FIRM_YEARS / FIRMS);
const FIRST_ID = 50_000_001;
// city-years: synthetic units × years 1900–2099 (the schema's year range bounds the distinct unit-years of one unit)
const CITY_UNITS = Number(process.env.BENCH_CITY_UNITS ?? 5_000);
const CITY_YEARS = 200;

interface CaseResult { rows: number; seconds: number; maxRssMb: number; status: string; counts?: unknown; placed?: unknown; note?: string }

async function writeLines(file: string, header: string, n: number, line: (i: number) => string) {
  const w = createWriteStream(file);
  w.write(`${header}\n`);
  for (let i = 0; i < n; i++) if (!w.write(`${line(i)}\n`)) await once(w, 'drain');
  w.end();
  await once(w, 'finish');
}

// ---------------------------------------------------------------- child: one case in this process

async function child(kase: string, dir: string) {
  const { runImportCli } = await import('../src/cli/import.js');
  const { withCliContext } = await import('../src/cli/io.js');
  const file = path.join(dir, `${kase}.csv`);
  const args: Record<string, string[]> = {
    setup: [],
    firms: ['firms', '--file', file],
    'firm-years': ['firm-years', '--file', file],
    'firm-years-compared': ['firm-years', '--file', path.join(dir, 'firm-years.csv')],
    'city-years': ['city-years', '--file', file, '--code', 'city', '--match', 'name', '--skip-unmatched'], // names of units that did not exist yet in a year are left out and counted
  };
  if (kase === 'setup') {
    const { openCliStore } = await import('../src/cli/io.js');
    const { sql } = await import('../src/db/sql.js');
    const db = await openCliStore();
    const cities = await db.query<{ code: string; name: string }>(sql`SELECT code, name FROM city ORDER BY code`);
    await db.close();
    await writeLines(path.join(dir, 'firms.csv'), 'id,name,code,industry,founded', FIRMS,
      (i) => `${FIRST_ID + i},Bench firm ${i},${cities[i % cities.length].code},software,${2000 + (i % 15)}-01-01`);
    await writeLines(path.join(dir, 'firm-years.csv'), 'firm_id,year,revenue,employees,assets,leverage,rnd,patents,revenue_growth', FIRMS * YEARS,
      (i) => { const f = i % FIRMS, y = 2000 + Math.floor(i / FIRMS); return `${FIRST_ID + f},${y},${100 + (i % 997)},${10 + (i % 300)},${200 + (i % 503)},0.4,${(i % 17) + 1},${i % 9},0.${i % 7}`; });
    const cases = process.env.BENCH_IMPORT_CASES?.split(',') ?? ['firms', 'firm-years', 'city-years'];
    let units = 0;
    if (cases.includes('city-years')) {
      // the units first, through the boundaries door; then their names (mixed forms) × years as the city-year file
      const syn = syntheticUnits(CITY_UNITS, cities.map((c) => c.name));
      const geo = path.join(dir, 'units.geojson');
      writeFileSync(geo, unitsGeoJson(syn));
      const { runImportCli } = await import('../src/cli/import.js');
      const { withCliContext } = await import('../src/cli/io.js');
      let text = '';
      const code = await withCliContext({ out: (s) => { text += s; }, err: () => {}, errIsTTY: false },
        () => runImportCli(['boundaries', '--file', geo, '--province', 'province', '--format', 'json'], (s) => { text += s; }));
      if (code !== 0) throw new Error(`setup: boundaries import of the synthetic units failed: ${text.slice(0, 2000)}`);
      units = syn.length;
      await writeLines(path.join(dir, 'city-years.csv'), 'city,year,bench_x,bench_y', units * CITY_YEARS,
        (i) => { const u = syn[i % units], k = Math.floor(i / units); return `${nameForm(u.name, k + (i % 3))},${1900 + k},${i % 1000},${(i * 7) % 101}`; });
    }
    console.log(JSON.stringify({ cities: cities.length, units }));
    return;
  }
  if (kase === 'firm-years-compared') {
    // another write since the last import (here only the data version moves, as any write moves it)
    const { openCliStore } = await import('../src/cli/io.js');
    const { bumpDataVersion } = await import('../src/import/core.js');
    const db = await openCliStore();
    await bumpDataVersion(db);
    await db.close();
  }
  let text = '';
  const t0 = performance.now();
  let code: number;
  try {
    code = await withCliContext({ out: (s) => { text += s; }, err: () => {}, errIsTTY: false }, () => runImportCli([...args[kase], '--format', 'json'], (s) => { text += s; }));
  } catch (e) {
    // an option this build does not know (the name matcher's --match): say so, measure nothing
    if ((e as Error).name === 'UsageError' || /unknown option|Unknown option/i.test((e as Error).message)) {
      console.log(JSON.stringify({ rows: 0, seconds: 0, maxRssMb: 0, status: 'skipped', note: `skipped: ${(e as Error).message.split('\n')[0]}` }));
      return;
    }
    throw e;
  }
  const seconds = (performance.now() - t0) / 1000;
  const report = JSON.parse(text) as { status: string; rowsRead: number; counts: unknown; placed?: unknown; problems: unknown[]; derived?: string[] };
  if (code !== 0) throw new Error(`${kase}: import ${report.status}: ${JSON.stringify(report.problems.slice(0, 3))}`);
  // how the firm-years went in (straight or compared) and whether their kinds were computed with them
  const how = kase.startsWith('firm-years') ? report.derived?.filter((d) => /^(firm_year|classification|unchanged|a first load|not loaded)/.test(d)).map((d) => d.slice(0, 110)) : undefined;
  const r: CaseResult = { rows: report.rowsRead, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, status: report.status, counts: report.counts, placed: report.placed, note: how?.join(' | ') };
  console.log(JSON.stringify(r));
}

// ---------------------------------------------------------------- parent

function run(kase: string, dir: string, env: NodeJS.ProcessEnv): CaseResult & { cities?: number; units?: number } {
  const r = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'bench/import.ts', '--case', kase, dir], {
    env: { ...process.env, ...env, AGGLOMERA_STATEMENT_TIMEOUT_MS: '0' }, encoding: 'utf8', maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`${kase} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** Seconds for PostgreSQL's own COPY of the firm-year file into a plain UNLOGGED table with the same columns. */
async function copyBaseline(url: string, file: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP TABLE IF EXISTS bench_copy_baseline`);
    await c.query(`CREATE UNLOGGED TABLE bench_copy_baseline (firm_id int, year int, revenue float8, employees int, assets float8,
      leverage float8, rnd float8, patents int, revenue_growth float8)`);
    const t0 = performance.now();
    await pipeline(createReadStream(file), c.query(copyFrom(`COPY bench_copy_baseline FROM STDIN (FORMAT csv, HEADER true)`)));
    const seconds = (performance.now() - t0) / 1000;
    await c.query(`DROP TABLE bench_copy_baseline`);
    return seconds;
  } finally { await c.end(); }
}

const goal = (text: string, met: boolean, measured: string) => console.log(`goal ${text}: ${met ? 'met' : `NOT MET (${measured})`}`);

async function recreate(url: string): Promise<string> {
  const u = new URL(url);
  const name = `${u.pathname.slice(1)}_import`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.query(`CREATE DATABASE "${name}"`);
  } finally { await c.end(); }
  u.pathname = `/${name}`;
  return u.toString();
}

async function parent() {
  const dbs: [string, () => Promise<NodeJS.ProcessEnv>][] = [
    ['embedded', async () => ({ DATABASE_URL: '', AGGLOMERA_DATA_DIR: path.join(dir, 'pglite') })],
  ];
  const pgUrl = process.env.BENCH_DATABASE_URL;
  if (pgUrl) dbs.push(['postgres', async () => ({ DATABASE_URL: await recreate(pgUrl) })]);
  else console.log('PostgreSQL: skipped (set BENCH_DATABASE_URL)');
  const only = process.env.BENCH_IMPORT_DB;
  for (const [label, envOf] of dbs) {
    if (only && only !== label) continue;
    const env = await envOf();
    const t0 = performance.now();
    const s = run('setup', dir, env);
    console.log(`${label.padEnd(9)} setup: demo store with ${s.cities} cities${s.units ? ` + ${s.units} synthetic units (boundaries import)` : ''}, files generated in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    const cases = process.env.BENCH_IMPORT_CASES?.split(',') ?? ['firms', 'firm-years', 'firm-years again', 'firm-years compared', 'city-years'];
    const results: Record<string, CaseResult> = {};
    for (const kase of cases) {
      const r = run(kase.replace(/ again$/, '').replace(' compared', '-compared'), dir, env);
      if (r.status === 'skipped') { console.log(`${label.padEnd(9)} ${kase.padEnd(11)} ${r.note}`); continue; }
      results[kase] = r;
      console.log(`${label.padEnd(9)} ${kase.padEnd(11)} rows=${String(r.rows).padStart(8)}  ${r.seconds.toFixed(1).padStart(7)} s  ${Math.round(r.rows / r.seconds).toLocaleString('en').padStart(8)} rows/s  peak RSS ${r.maxRssMb.toFixed(0)} MB  ${JSON.stringify(r.counts)}${r.placed ? ` placed ${JSON.stringify(r.placed)}` : ''}`);
      if (r.note) console.log(`${' '.repeat(10)}${r.note}`);
    }
    const fy = results['firm-years'], again = results['firm-years again'], compared = results['firm-years compared'];
    const scale = FIRMS * YEARS === 1_000_000 ? '1 M' : `${(FIRMS * YEARS).toLocaleString('en')} (BENCH_FIRM_YEARS)`;
    if (env.DATABASE_URL && (fy || again)) {
      const copy = await copyBaseline(env.DATABASE_URL, path.join(dir, 'firm-years.csv'));
      console.log(`${label.padEnd(9)} COPY        rows=${String(FIRMS * YEARS).padStart(8)}  ${copy.toFixed(1).padStart(7)} s  ${Math.round((FIRMS * YEARS) / copy).toLocaleString('en').padStart(8)} rows/s  (same file into a plain UNLOGGED table)`);
      if (fy) goal(`${scale} firm-year rows into PostgreSQL <= 5x COPY`, fy.seconds <= 5 * copy, `${(fy.seconds / copy).toFixed(1)}x: ${fy.seconds.toFixed(1)} s vs COPY ${copy.toFixed(2)} s`);
      if (fy) console.log(`  (${(fy.seconds / copy).toFixed(2)}x COPY: ${fy.seconds.toFixed(2)} s vs ${copy.toFixed(2)} s)`);
      if (again) goal(`the same file again (unchanged) <= 2x COPY`, again.seconds <= 2 * copy, `${(again.seconds / copy).toFixed(1)}x: ${again.seconds.toFixed(1)} s vs COPY ${copy.toFixed(2)} s`);
      if (again) console.log(`  (${(again.seconds / copy).toFixed(2)}x COPY: ${again.seconds.toFixed(2)} s vs ${copy.toFixed(2)} s)`);
      if (compared) console.log(`not a goal: the same file after another write, compared row by row: ${(compared.seconds / copy).toFixed(1)}x COPY (${compared.seconds.toFixed(1)} s)`);
    }
    if (!env.DATABASE_URL && fy) {
      goal(`embedded ${scale} firm-year rows <= 15 s`, fy.seconds <= 15, `${fy.seconds.toFixed(1)} s`);
      goal(`embedded ${scale} firm-year rows <= 1 GB peak RSS`, fy.maxRssMb <= 1024, `${fy.maxRssMb.toFixed(0)} MB`);
    }
    if (env.DATABASE_URL) {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${new URL(env.DATABASE_URL).pathname.slice(1)}" WITH (FORCE)`).finally(() => c.end());
    }
  }
}

const dir = process.argv[2] === '--case' ? process.argv[4] : mkdtempSync(path.join(os.tmpdir(), 'agglomera-bench-import-'));
if (process.argv[2] === '--case') await child(process.argv[3], dir);
else {
  try { await parent(); } finally { rmSync(dir, { recursive: true, force: true }); }
}
