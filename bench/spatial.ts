// Spatial benchmark: queen weights and SAR maximum likelihood from 1,000 to 30,000 units on synthetic irregular
// polygons (scripts/synthetic-polygons.ts: jittered lattice, 4 shared jittered points per edge, so about 20
// vertices per polygon, like county boundaries). Ratios are printed against baselines measured in the same run:
// brute-force weights, the dense eigenvalue log-determinant, and - when Rscript with spdep/spatialreg is
// installed - R poly2nb and lagsarlm(method = "Matrix"), spatialreg's sparse Cholesky log-determinant.
// Goals (issue 13): SAR 3k units <= 100 ms, 30k <= 1 s, 1k not slower than 3k; rho equal to lagsarlm's to 1e-6.
// Usage: npx tsx bench/spatial.ts [--quick] [--no-r]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromColumns } from '../src/estimation/linalg.js';
import { contiguity, contiguityBruteForce, fitSpatial, readFeatures, weightsFromGeoJSON, DEFAULT_SNAP, type SpatialWeights } from '../src/estimation/spatial/index.js';
import { matrixLogDet } from '../src/estimation/spatial/logdet-matrix.js';
import { usAtlasCounties } from '../scripts/usatlas-geojson.js';
import { polygons, simulateSAR, SIZES } from '../scripts/synthetic-polygons.js';

const quick = process.argv.includes('--quick');
const useR = !process.argv.includes('--no-r') && hasR();

function hasR(): boolean {
  const r = spawnSync('Rscript', ['-e', 'suppressMessages({library(spdep); library(spatialreg); library(sf); library(jsonlite)})'], { stdio: 'ignore' });
  return r.status === 0;
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

const simulate = (W: SpatialWeights, seed: number) => simulateSAR(W, seed);

const R_SCRIPT = String.raw`
suppressMessages({library(sf); library(spdep); library(spatialreg); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
p <- st_read(a[1], quiet = TRUE); st_crs(p) <- NA
d <- read.csv(a[2])
t0 <- proc.time()[3]; nb <- poly2nb(p, queen = TRUE, snap = sqrt(.Machine$double.eps)); tw <- proc.time()[3] - t0
lw <- nb2listw(nb, style = "W")
m <- "Matrix"
t0 <- proc.time()[3]; f <- lagsarlm(y ~ x1 + x2, d, lw, method = m); ts <- proc.time()[3] - t0
write(toJSON(list(weights = unname(tw), sar = unname(ts), method = m, rho = unname(f$rho), links = sum(card(nb))), auto_unbox = TRUE, digits = NA), a[3])
`;

function runR(fc: unknown, data: { y: Float64Array; x1: Float64Array; x2: Float64Array }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'agglomera-bench-'));
  try {
    const g = path.join(dir, 'p.geojson'), c = path.join(dir, 'd.csv'), o = path.join(dir, 'o.json'), s = path.join(dir, 'b.R');
    writeFileSync(g, JSON.stringify(fc));
    writeFileSync(c, 'y,x1,x2\n' + Array.from(data.y, (v, i) => `${v},${data.x1[i]},${data.x2[i]}`).join('\n'));
    writeFileSync(s, R_SCRIPT);
    execFileSync('Rscript', [s, g, c, o], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 240000 });
    return JSON.parse(readFileSync(o, 'utf8')) as { weights: number; sar: number; method: string; rho: number; links: number };
  } catch (e) {
    process.stderr.write(`R run failed: ${(e as Error).message.split('\n')[0]}\n`);
    return null;
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

/** best of `reps` runs: the first run of a size pays for JIT compilation and heap growth */
function best<T>(reps: number, f: () => T): [T, number] {
  let out = time(f);
  for (let r = 1; r < reps; r++) { const t = time(f); if (t[1] < out[1]) out = t; }
  return out;
}
/** best of `reps` in CPU seconds of this process (user + system): less sensitive than wall time to other jobs on a
 * shared machine, though it includes V8's GC threads */
function bestCpu(reps: number, f: () => unknown): number {
  let b = Infinity;
  for (let r = 0; r < reps; r++) { const c = process.cpuUsage(); f(); const u = process.cpuUsage(c); b = Math.min(b, (u.user + u.system) / 1e6); }
  return b;
}
{ // warm-up so the first size does not measure compilation
  const fc = polygons(20, 20);
  const W = weightsFromGeoJSON(fc, 'id', { type: 'queen', longlat: false }), d = simulate(W, 1);
  contiguityBruteForce(readFeatures(fc, 'id').rings, true, DEFAULT_SNAP);
  const input = { y: d.y, yName: 'y', X: fromColumns([new Float64Array(400).fill(1), d.x1, d.x2]), names: ['(Intercept)', 'x1', 'x2'], W };
  for (let i = 0; i < 5; i++) fitSpatial('sar', input, { logdet: 'Matrix' });
}

const keys = quick ? ['1k', '3k'] : ['1k', '3k', '10k', '30k'];
const fmt = (x: number) => x.toFixed(3).padStart(8);
const ms = (x: number) => `${(x * 1000).toFixed(1)} ms`;
console.log(`spatial bench (${quick ? 'quick' : 'full'}); R baseline: ${useR ? 'yes (spdep poly2nb, spatialreg lagsarlm method "Matrix")' : 'no Rscript with spdep - in-run baselines only'}`);
console.log('queen s = GeoJSON -> weights object; core s = vertex matching on parsed rings, the same input as the brute-force baseline');
console.log('   units  verts | queen s   core s  brute s brute/core | R poly2nb s  R/queen');
const sar: { n: number; t: number; t0: number; tw: number; cpu: number; method: string; rho: number; nnzL: number; flops: number; r: ReturnType<typeof runR> }[] = [];
for (const key of keys) {
  const [r, c] = SIZES[key], n = r * c, fc = polygons(r, c);
  const [W, tq] = best(2, () => weightsFromGeoJSON(fc, 'id', { type: 'queen', longlat: false }));
  let verts = 0;
  for (const f of fc.features) verts += f.geometry.coordinates[0].length - 1;
  const { rings } = readFeatures(fc, 'id');
  const [, tc] = best(2, () => contiguity(rings, true, DEFAULT_SNAP));
  const [bq, tb] = best(2, () => contiguityBruteForce(rings, true, DEFAULT_SNAP));
  const same = bq.every((nb, i) => nb.join() === W.neighbours[i].join());
  const brute = fmt(tb), ratioB = `${(tb / tc).toFixed(1)}x${same ? '' : '!'}`.padStart(10);
  const d = simulate(W, n);
  const X = fromColumns([new Float64Array(n).fill(1), d.x1, d.x2]);
  const input = { y: d.y, yName: 'y', X, names: ['(Intercept)', 'x1', 'x2'], W };
  // best of several runs (9 up to 3,000 units, 5 at 10,000, 3 at 30,000): the first fit of a size pays for
  // compiling and heap growth, and the machine is shared. Each run gets a fresh weights object, so the ordering
  // and symbolic analysis (cached per weights object) are included
  const reps = n <= 3000 ? 9 : n <= 10000 ? 5 : 3;
  const fresh = () => ({ ...input, W: { ...W } });
  const [fit, ts] = best(reps, () => fitSpatial('sar', fresh(), { impactDraws: 1000 }));
  const [, ts0] = best(reps, () => fitSpatial('sar', fresh(), { impactDraws: 0 }));
  const [, tw] = best(reps, () => fitSpatial('sar', input, { impactDraws: 1000 }));
  const tcpu = bestCpu(reps, () => fitSpatial('sar', fresh(), { impactDraws: 1000 }));
  const sym = matrixLogDet(W).symbolic;
  const rr = useR ? runR(fc, d) : null;
  sar.push({ n, t: ts, t0: ts0, tw, cpu: tcpu, method: String(fit.params.logdet), rho: fit.params.rho as number, nnzL: sym.nnzL, flops: sym.flops, r: rr });
  const rcols = rr ? ` | ${fmt(rr.weights)}   ${(rr.weights / tq).toFixed(1).padStart(6)}x` : '';
  console.log(`${String(n).padStart(8)} ${String(verts).padStart(7)} | ${fmt(tq)} ${fmt(tc)} ${brute} ${ratioB}${rcols}`);
}
console.log('\nSAR ML, y ~ x1 + x2, logdet \'auto\' (best of 9 / 5 / 3 runs on fresh weights objects; "fit" = default options with 1,000 impact draws,');
console.log('"no impacts" = impactDraws 0, "same W" = fit again on one weights object, reusing its cached ordering and symbolic analysis,');
console.log('"fit cpu" = CPU time of the fit, for comparison when other jobs share the machine)');
console.log('nnz(L) and flops (sum of column counts squared) of the nested-dissection Cholesky; R = lagsarlm(method = "Matrix") incl. its fdHess SEs, no impacts');
console.log('   units  method    nnz(L)  flops M |      fit   no impacts     same W    fit cpu | R lagsarlm   R/fit | rho ours        rho R           |diff|');
for (const q of sar) {
  const rcols = q.r ? ` | ${fmt(q.r.sar)} s ${(q.r.sar / q.t).toFixed(1).padStart(6)}x | ${q.rho.toFixed(12)}  ${q.r.rho.toFixed(12)}  ${Math.abs(q.rho - q.r.rho).toExponential(1)}` : ` | ${q.rho.toFixed(12)}`;
  console.log(`${String(q.n).padStart(8)}  ${q.method.padEnd(7)} ${String(q.nnzL).padStart(9)} ${(q.flops / 1e6).toFixed(1).padStart(8)} | ${ms(q.t).padStart(10)} ${ms(q.t0).padStart(10)} ${ms(q.tw).padStart(10)} ${ms(q.cpu).padStart(10)}${rcols}`);
}
const at = (n: number) => sar.find((q) => q.n === n);
const goal = (label: string, ok: boolean | undefined, detail: string) => console.log(`  goal ${label}: ${ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met'} (${detail})`);
{
  const k1 = at(1000), k3 = at(3000), k30 = at(30000);
  goal('3k units <= 100 ms', k3 && k3.t <= 0.1, k3 ? `wall ${ms(k3.t)}, cpu ${ms(k3.cpu)}` : '-');
  goal('30k units <= 1 s', k30 ? k30.t <= 1 : undefined, k30 ? `wall ${ms(k30.t)}, cpu ${ms(k30.cpu)}` : 'run without --quick');
  goal('1k not slower than 3k', k1 && k3 ? k1.t <= k3.t : undefined, k1 && k3 ? `${ms(k1.t)} vs ${ms(k3.t)}` : '-');
  const diffs = sar.filter((q) => q.r).map((q) => Math.abs(q.rho - q.r!.rho));
  goal('rho = lagsarlm Matrix to 1e-6', diffs.length ? diffs.every((x) => x < 1e-6) : undefined, diffs.length ? `max |diff| ${Math.max(...diffs).toExponential(1)}` : 'no R');
}

// 'auto' switches from dense eigenvalues to the sparse Cholesky above EIGEN_MAX = 100 units: the crossover
{
  console.log('\nauto crossover: SAR fit (1,000 impact draws) with dense eigenvalues vs the sparse Cholesky, best of 3');
  const cells: string[] = [];
  for (const [r, c] of [[8, 10], [10, 10], [10, 15], [15, 20], [20, 25]]) {
    const W = weightsFromGeoJSON(polygons(r, c), 'id', { type: 'queen', longlat: false }), n = W.ids.length, d = simulate(W, n);
    const input = { y: d.y, yName: 'y', X: fromColumns([new Float64Array(n).fill(1), d.x1, d.x2]), names: ['(Intercept)', 'x1', 'x2'], W };
    const [, te] = best(3, () => fitSpatial('sar', input, { logdet: 'eigen' }));
    const [, tm] = best(3, () => fitSpatial('sar', input, { logdet: 'Matrix' }));
    cells.push(`n=${n}: eigen ${ms(te)}, Matrix ${ms(tm)}`);
  }
  console.log('  ' + cells.join('; '));
}

// real boundaries: 3,231 us-atlas counties (lon/lat, islands, long coastlines)
{
  const fc = usAtlasCounties();
  const [W, tq] = best(2, () => weightsFromGeoJSON(fc, 'GEOID', { type: 'queen' }));
  const { rings } = readFeatures(fc, 'GEOID');
  let verts = 0;
  for (const f of rings) for (const r of f.rings) verts += r.length - 1;
  const [, tc] = best(2, () => contiguity(rings, true, DEFAULT_SNAP));
  const [, tb] = best(2, () => contiguityBruteForce(rings, true, DEFAULT_SNAP));
  let line = `\nus-atlas counties: ${W.ids.length} units, ${verts} vertices, ${W.islands!.length} islands: queen ${tq.toFixed(3)} s, core ${tc.toFixed(3)} s, brute force ${tb.toFixed(3)} s (${(tb / tc).toFixed(1)}x)`;
  try {
    const ref = JSON.parse(readFileSync(new URL('../test/fixtures/usatlas/poly2nb.json', import.meta.url), 'utf8'));
    line += `; spdep poly2nb when the fixture was made: ${ref.seconds.queen} s (${(ref.seconds.queen / tq).toFixed(1)}x)`;
  } catch { /* fixture absent */ }
  console.log(line);
}

// at 1,500 units (spatialreg's `small`): dense eigenvalues, the sparse Cholesky, and Monte Carlo (only when asked)
{
  const fc = polygons(30, 50), W = weightsFromGeoJSON(fc, 'id', { type: 'queen', longlat: false }), n = 1500;
  const d = simulate(W, 7), X = fromColumns([new Float64Array(n).fill(1), d.x1, d.x2]);
  const input = { y: d.y, yName: 'y', X, names: ['(Intercept)', 'x1', 'x2'], W };
  const [fe, te] = time(() => fitSpatial('sar', input, { logdet: 'eigen', impactDraws: 0 }));
  const [fx, tx] = best(3, () => fitSpatial('sar', input, { logdet: 'Matrix', impactDraws: 0 }));
  const [fm, tm] = best(3, () => fitSpatial('sar', input, { logdet: 'MC', impactDraws: 0 }));
  const re = fe.params.rho as number, rx = fx.params.rho as number, rm = fm.params.rho as number, se = fe.params.rhoSE as number;
  console.log(`\nSAR n=1500: dense eigenvalues ${te.toFixed(2)} s, sparse Cholesky ${tx.toFixed(3)} s (${(te / tx).toFixed(0)}x faster), Monte Carlo ${tm.toFixed(3)} s; ` +
    `rho ${re.toFixed(8)} / ${rx.toFixed(8)} / ${rm.toFixed(8)} (MC off by ${(Math.abs(re - rm) / se).toFixed(3)} SE)`);
}
