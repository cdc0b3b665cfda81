import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimate, frameFromRecords } from '../src/estimation/index.js';
import { weightsFromGeoJSON } from '../src/estimation/spatial/index.js';
import { readFixtureCsv, readExpected, expectRel } from './estimation-helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fx = (p: string) => path.join(root, 'test', 'fixtures', p);
let dir: string;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'agglomera.mjs'), ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function spec(name: string, obj: unknown) {
  const p = path.join(dir, name);
  writeFileSync(p, typeof obj === 'string' ? obj : JSON.stringify(obj));
  return p;
}
const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .*:\d+:\d+/);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'agglomera-cli-'));
});

describe('agglomera estimate (CLI contract)', () => {
  it('--format json prints exactly the library result, equal to the plm oracle', () => {
    const s = { estimator: 'fe', formula: 'inv ~ value + capital', panel: { id: 'firm', time: 'year' }, effects: 'twoways', vcov: { cluster: ['firm'] } } as const;
    const r = run(['estimate', '--data', fx('grunfeld/data.csv'), '--spec', spec('fe.json', s), '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.stdout);
    const lib = JSON.parse(JSON.stringify(estimate(s, readFixtureCsv('grunfeld/data.csv'))));
    expect(got).toEqual(lib);
    const ex = readExpected('grunfeld').within_twoways;
    for (const c of got.coefficients) {
      expectRel(c.estimate, ex.coef[c.term], 1e-6, c.term);
      expectRel(c.stdError, ex.se_cluster_firm_plm_HC1[c.term], 1e-6, c.term);
    }
    expect(got.vcovType).toBe('cluster(firm), plm HC1');
  });

  it('--format table prints stars, SE in parentheses, N and R2 (mediation: three columns)', () => {
    const ex = readExpected('mediation');
    const s = { estimator: 'mediation', mediation: { treatment: 'education', mediator: 'experience', outcome: 'lwage', controls: ['age'] } };
    const r = run(['estimate', '--data', fx('mediation/data.csv'), '--spec', spec('med.json', s), '--format', 'table']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/total \(lwage\)\s+aPath \(experience\)\s+direct \(lwage\)/);
    expect(r.stdout).toContain(`${ex.total.coef.education.toFixed(4)}***`);
    expect(r.stdout).toContain(`(${ex.total.se.education.toFixed(4)})`);
    expect(r.stdout).toMatch(/^N\s+534\s+534\s+534$/m);
    expect(r.stdout).toMatch(/^R2\s/m);
    expect(r.stdout).toMatch(/Test sobel: statistic = -0\.4538/);
    expect(r.stdout).toMatch(/\*\*\* p<0\.01, \*\* p<0\.05, \* p<0\.1/);
  });

  it('difference GMM from the formula instrument part reproduces plm::pgmm', () => {
    const ex = readExpected('cigar_gmm');
    const s = { estimator: 'diff_gmm', formula: 'log(sales) ~ lag(log(sales),1) + log(price) + log(ndi) | lag(log(sales), 2:99)', panel: { id: 'state', time: 'year' } };
    const r = run(['estimate', '--data', fx('cigar_gmm/data.csv'), '--spec', spec('gmm.json', s)]);
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout);
    for (const [term, v] of Object.entries(ex.onestep.coef as Record<string, number>)) {
      const row = got.coefficients.find((c: { term: string }) => c.term === term);
      expectRel(row.estimate, v, 1e-6, term);
      expectRel(row.stdError, ex.onestep.se_robust[term], 1e-6, term);
    }
    expectRel(got.tests.sargan.statistic, ex.onestep.sargan.statistic, 1e-6, 'sargan');
  });

  it('spatial SAR: weights from spec.weights.geojson relative to the spec folder', () => {
    copyFileSync(fx('columbus/data.geojson'), path.join(dir, 'columbus.geojson'));
    const s = { estimator: 'sar', formula: 'CRIME ~ INC + HOVAL', weights: { geojson: 'columbus.geojson', id: 'POLYID', type: 'queen', style: 'W' } };
    const r = run(['estimate', '--data', fx('columbus/data.geojson'), '--spec', spec('sar.json', s)]);
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout);
    const ex = readExpected('columbus').sar;
    expectRel(got.params.rho, ex.rho, 1e-4, 'rho');
    for (const [term, v] of Object.entries(ex.coef as Record<string, number>)) {
      const row = got.coefficients.find((c: { term: string }) => c.term === term);
      expectRel(row.estimate, v, 1e-4, term);
    }
    const fc = JSON.parse(readFileSync(fx('columbus/data.geojson'), 'utf8'));
    const lib = estimate(s, frameFromRecords(fc.features.map((f: { properties: Record<string, unknown> }) => f.properties)), { weights: weightsFromGeoJSON(fc, 'POLYID', { type: 'queen', style: 'W' }) });
    expect(got.coefficients).toEqual(JSON.parse(JSON.stringify(lib.coefficients)));
  });

  it('user errors exit 2 with the culprit named and no stack trace', () => {
    const g = fx('grunfeld/data.csv');
    const cases: [string[], RegExp][] = [
      [['--data', g, '--spec', spec('e1.json', { estimator: 'ols', formula: 'inv ~ value + nope' })], /unknown column 'nope'/],
      [['--data', g, '--spec', spec('e2.json', { estimator: 'ols', formula: 'inv ~ value', vcov: { cluster: ['firm', 'year', 'x'] } })], /'vcov\.cluster'/],
      [['--data', g, '--spec', spec('e3.json', { estimator: 're', formula: 'inv ~ value' })], /'re' needs panel/],
      [['--data', g, '--spec', spec('e4.json', { estimator: 'ols', formula: 'inv ~ foo(value)' })], /unknown function 'foo'/],
      [['--data', g, '--spec', spec('e5.json', '{"estimator": ')], /e5\.json: invalid JSON/],
      [['--data', spec('bad.csv', 'a,b\n1,2\n3,4\n5\n'), '--spec', spec('e6.json', { estimator: 'ols', formula: 'a ~ b' })], /bad\.csv: CSV parse error at line 4/],
      [['--data', spec('one.csv', 'y,x\n1,0\n2,0\n3,0\n'), '--spec', spec('e7.json', { estimator: 'ols', formula: 'y ~ x - 1' })], /singular design.*'x'/],
      [['--data', g, '--spec', spec('e8.json', { estimator: 'ols', formula: 'inv ~ value' }), '--format', 'xml'], /--format must be json or table/],
      [['--data', 'missing.csv', '--spec', spec('e9.json', { estimator: 'ols', formula: 'inv ~ value' })], /cannot read data file 'missing\.csv'/],
    ];
    for (const [args, re] of cases) {
      const r = run(['estimate', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(re);
      noStack(r.stderr);
      expect(r.stdout).toBe('');
    }
  });

  it('--help and unknown commands', () => {
    const h = run(['estimate', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/--data FILE/);
    const u = run(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
