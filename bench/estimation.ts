// Benchmark of the linear/panel core: two-way FE on a 200k-row panel (20k ids x 10 years) and a 10M-row regression
// with three absorbed factors (time + peak memory, the big case in a child process so its peak RSS is its own).
// Ratios: against R plm/fixest when Rscript is installed, else against a dense LSDV (dummy-variable) regression of
// ours on a smaller panel, measured in the same run. Run: npx tsx bench/estimation.ts   (~2-3 min on 2 cores; BENCH_BIG_ROWS=1000000 for a quick run)
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimate, frameFromColumns, leastSquares, mulberry32, type DataFrame } from '../src/estimation/index.js';
import { zeros } from '../src/estimation/linalg.js';

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;

function normalGen(seed: number) {
  const g = mulberry32(seed);
  return { g, normal: () => Math.sqrt(-2 * Math.log(1 - g.next())) * Math.cos(2 * Math.PI * g.next()) };
}

/** ids x years panel with id and year effects in y and x; `drop` share of rows deleted (unbalanced). */
function twoWayPanel(ids: number, years: number, seed: number, drop = 0.1): DataFrame {
  const { g, normal } = normalGen(seed);
  const a = Float64Array.from({ length: ids }, normal), b = Float64Array.from({ length: years }, normal);
  const id: number[] = [], year: number[] = [], x1: number[] = [], x2: number[] = [], y: number[] = [];
  for (let i = 0; i < ids; i++) for (let t = 0; t < years; t++) {
    if (g.next() < drop) continue;
    const u1 = normal() + a[i], u2 = normal() + b[t];
    id.push(i); year.push(2000 + t); x1.push(u1); x2.push(u2);
    y.push(0.5 * u1 - 0.25 * u2 + a[i] + b[t] + normal());
  }
  return frameFromColumns({ id: Float64Array.from(id), year: Float64Array.from(year), x1: Float64Array.from(x1), x2: Float64Array.from(x2), y: Float64Array.from(y) });
}

/** n rows, workers x firms x years: workers move between firms, so no factor is nested in another. */
function threeWay(n: number, seed: number): DataFrame {
  const { g, normal } = normalGen(seed);
  const W = Math.round(n / 10), F = Math.max(10, Math.round(n / 500)), T = 20;
  const aw = Float64Array.from({ length: W }, normal), af = Float64Array.from({ length: F }, normal), at = Float64Array.from({ length: T }, normal);
  const worker = new Float64Array(n), firm = new Float64Array(n), year = new Float64Array(n);
  const x1 = new Float64Array(n), x2 = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = i % W, t = Math.floor(i / W) % T;
    // a worker stays with a firm most years, sometimes moves
    const f = g.next() < 0.8 ? (w * 7919) % F : g.int(F);
    worker[i] = w; firm[i] = f; year[i] = 2000 + t;
    x1[i] = normal() + aw[w]; x2[i] = normal() + af[f] + at[t];
    y[i] = 0.5 * x1[i] - 0.25 * x2[i] + aw[w] + af[f] + at[t] + normal();
  }
  return frameFromColumns({ worker, firm, year, x1, x2, y });
}

function time<T>(f: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = f();
  return { ms: performance.now() - t0, value };
}

/** Dense LSDV: slopes + one dummy per id and year (the baseline a naive implementation would use). */
function lsdvDense(frame: DataFrame) {
  const n = frame.nrows, id = frame.columns.id as Float64Array, year = frame.columns.year as Float64Array;
  const ids = [...new Set(id)], years = [...new Set(year)];
  const X = zeros(n, 2 + ids.length + years.length);
  X.data.set(frame.columns.x1 as Float64Array, 0);
  X.data.set(frame.columns.x2 as Float64Array, n);
  const idIdx = new Map(ids.map((v, j) => [v, j])), yIdx = new Map(years.map((v, j) => [v, j]));
  for (let i = 0; i < n; i++) {
    X.data[(2 + idIdx.get(id[i])!) * n + i] = 1;
    X.data[(2 + ids.length + yIdx.get(year[i])!) * n + i] = 1;
  }
  return leastSquares(frame.columns.y as Float64Array, X, Array.from({ length: X.cols }, (_, j) => `c${j}`));
}

function bigCase(n: number) {
  const gen = time(() => threeWay(n, 3));
  const before = process.memoryUsage();
  const fit = time(() => estimate({ estimator: 'ols', formula: 'y ~ x1 + x2 | worker + firm + year', vcov: { cluster: ['worker'] } }, gen.value));
  const r = fit.value;
  return {
    n, genMs: gen.ms, fitMs: fit.ms, iterations: r.demeanIterations, coef: r.coefficients.map((c) => [c.term, c.estimate, c.stdError]),
    rssBeforeFit: before.rss, maxRssKB: process.resourceUsage().maxRSS, fixedEffects: r.fixedEffects,
  };
}

function hasR(): string | null {
  try {
    return execFileSync('Rscript', ['-e', 'cat(requireNamespace("plm", quietly=TRUE), requireNamespace("fixest", quietly=TRUE))'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

async function main() {
  const only = process.argv.find((a) => a.startsWith('--big='));
  if (only) {
    process.stdout.write(JSON.stringify(bigCase(Number(only.slice(6)))));
    return;
  }
  console.log('# bench/estimation.ts — linear/panel core');

  // 1. two-way FE, 20k ids x 10 years (10% of rows deleted: unbalanced)
  const p = twoWayPanel(20000, 10, 1);
  estimate({ estimator: 'fe', formula: 'y ~ x1 + x2', panel: { id: 'id', time: 'year' }, effects: 'twoways' }, twoWayPanel(200, 10, 9)); // warm-up
  const runs = [0, 1, 2].map(() => time(() => estimate({ estimator: 'fe', formula: 'y ~ x1 + x2', panel: { id: 'id', time: 'year' }, effects: 'twoways', vcov: { cluster: ['id'] } }, p)));
  const fe = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  console.log(`two-way FE, ${p.nrows} rows (20k ids x 10 years, unbalanced): best of 3 ${fe.ms.toFixed(0)} ms (first ${runs[0].ms.toFixed(0)} ms), demeaning iterations ${fe.value.demeanIterations}, x1 = ${fe.value.coefficients[0].estimate.toFixed(4)}`);

  // 2. baseline in the same run: dense LSDV vs our within on a panel small enough for dummies
  const small = twoWayPanel(400, 10, 2);
  const spec = { estimator: 'fe', formula: 'y ~ x1 + x2', panel: { id: 'id', time: 'year' }, effects: 'twoways' } as const;
  const ours = time(() => { let r; for (let k = 0; k < 5; k++) r = estimate(spec, small); return r!; });
  const dense = time(() => lsdvDense(small));
  const dx = dense.value.coef[0] - ours.value.coefficients[0].estimate;
  console.log(`baseline, ${small.nrows} rows (400 ids x 10 years): dense LSDV ${dense.ms.toFixed(0)} ms vs within ${(ours.ms / 5).toFixed(1)} ms -> ratio ${(dense.ms / (ours.ms / 5)).toFixed(0)}x (coef diff ${dx.toExponential(1)})`);

  // 3. 10M rows, three absorbed factors, in a child process for a clean peak RSS
  const n = Number(process.env.BENCH_BIG_ROWS ?? 10_000_000);
  const self = fileURLToPath(import.meta.url);
  const tsx = path.resolve(path.dirname(self), '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child = spawnSync(process.execPath, ['--max-old-space-size=4096', tsx, self, `--big=${n}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (child.status !== 0) {
    console.log(`10M-row 3-factor case failed: ${child.stderr.slice(0, 2000)}`);
  } else {
    const b = JSON.parse(child.stdout);
    console.log(`${b.n} rows, | worker + firm + year (${b.fixedEffects.map((f: { name: string; levels: number }) => `${f.name} ${f.levels}`).join(', ')}), cluster(worker): ` +
      `fit ${(b.fitMs / 1000).toFixed(1)} s (data generation ${(b.genMs / 1000).toFixed(1)} s), demeaning iterations ${b.iterations}, ` +
      `RSS before fit ${mb(b.rssBeforeFit)}, peak RSS ${mb(b.maxRssKB * 1024)}`);
    console.log(`  coefficients: ${b.coef.map((c: [string, number, number]) => `${c[0]} ${c[1].toFixed(4)} (${c[2].toFixed(4)})`).join(', ')}  [true: 0.5, -0.25]`);
    const perRow = fe.ms / p.nrows, perRowBig = b.fitMs / b.n;
    console.log(`  time per row: ${(perRowBig * 1e6).toFixed(0)} ns (3 factors) vs ${(perRow * 1e6).toFixed(0)} ns (2 factors, 200k) -> ratio ${(perRowBig / perRow).toFixed(2)}`);
  }

  // 4. R, when present
  const r = hasR();
  if (!r) {
    console.log('R: Rscript not found - ratios above are against our own dense LSDV baseline');
    return;
  }
  if (!/TRUE/.test(r)) { console.log(`R: Rscript found but plm/fixest missing (${r.trim()})`); return; }
  const dir = mkdtempSync(path.join(tmpdir(), 'agglomera-bench-'));
  const csv = path.join(dir, 'p.csv');
  const cols = ['id', 'year', 'x1', 'x2', 'y'];
  const lines = [cols.join(',')];
  for (let i = 0; i < p.nrows; i++) lines.push(cols.map((c) => (p.columns[c] as Float64Array)[i]).join(','));
  writeFileSync(csv, lines.join('\n'));
  const script = `d <- read.csv("${csv}"); library(plm); pd <- pdata.frame(d, index = c("id","year"));
t <- system.time(m <- plm(y ~ x1 + x2, pd, model = "within", effect = "twoways"))[["elapsed"]]; cat(t * 1000, coef(m)[1])`;
  const out = execFileSync('Rscript', ['-e', script], { encoding: 'utf8' }).trim().split(/\s+/);
  console.log(`R plm two-way within on the same 200k rows: ${Number(out[0]).toFixed(0)} ms -> ratio R/ours ${(Number(out[0]) / fe.ms).toFixed(2)} (x1 R ${Number(out[1]).toFixed(4)})`);
}

main();
