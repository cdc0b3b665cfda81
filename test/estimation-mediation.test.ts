import { describe, it, expect } from 'vitest';
import { estimate, fitMediation, mulberry32 } from '../src/estimation/index.js';
import { readFixtureCsv, readExpected, expectRel } from './estimation-helpers.js';
import { frameFromColumns } from '../src/estimation/index.js';

const frame = readFixtureCsv('mediation/data.csv');
const ex = readExpected('mediation');
const spec = { estimator: 'mediation', mediation: { treatment: ex.treatment, mediator: ex.mediator, outcome: ex.outcome, controls: ex.controls } } as const;

describe('three-step mediation (oracle: R lm + Sobel)', () => {
  const r = estimate(spec, frame);
  const steps = r.steps as Record<string, { coefficients: { term: string; estimate: number; stdError: number }[] }>;

  it('reproduces the total, a-path and direct regressions', () => {
    for (const [key, name] of [['total', 'total'], ['a_path', 'aPath'], ['direct', 'direct']] as const) {
      const rows = steps[name].coefficients;
      expect(rows.map((c) => c.term)).toEqual(Object.keys(ex[key].coef));
      for (const c of rows) {
        expectRel(c.estimate, ex[key].coef[c.term], 1e-6, `${key} ${c.term}`);
        expectRel(c.stdError, ex[key].se[c.term], 1e-6, `${key} se ${c.term}`);
      }
    }
    expect(r.coefficients.map((c) => c.term)).toContain('direct/experience');
  });

  it('Sobel: indirect = a*b, se = sqrt(b^2 sa^2 + a^2 sb^2), z', () => {
    expectRel(r.params.indirect as number, ex.sobel.indirect, 1e-6, 'indirect');
    expectRel(r.params.sobelSE as number, ex.sobel.se, 1e-6, 'sobel se');
    expectRel(r.tests.sobel.statistic, ex.sobel.z, 1e-6, 'sobel z');
    expect(r.params.bootstrap).toBeNull();
  });

  it('seeded bootstrap CI is reproducible, differs by seed, and brackets a*b', () => {
    const run = (seed: number) => estimate({ ...spec, mediation: { ...spec.mediation, bootstrap: 200, seed } }, frame).params.bootstrap as { ci: [number, number]; succeeded: number };
    const a = run(7), b = run(7), c = run(8);
    expect(a.ci).toEqual(b.ci);
    expect(a.ci).not.toEqual(c.ci);
    // experience = age - education - 6 in all rows but one: resamples without that row are collinear and skipped
    expect(a.succeeded).toBeGreaterThan(100);
    expect(a.succeeded).toBeLessThan(160);
    expect(a.ci[0]).toBeLessThan(ex.sobel.indirect);
    expect(a.ci[1]).toBeGreaterThan(ex.sobel.indirect);
  });

  it('PRNG: mulberry32 is deterministic and uniform-looking', () => {
    const g = mulberry32(1), h = mulberry32(1);
    const xs = Array.from({ length: 10000 }, () => g.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => h.next()));
    const m = xs.reduce((s, v) => s + v, 0) / xs.length;
    expect(Math.abs(m - 0.5)).toBeLessThan(0.02);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('bad input names the culprit', () => {
    expect(() => estimate({ estimator: 'mediation' }, frame)).toThrow(/spec.mediation/);
    expect(() => fitMediation(frame, { treatment: 'education', mediator: 'nope', outcome: 'lwage' })).toThrow(/unknown column 'nope'/);
  });
});

describe('mediation with two-way fixed effects and clustered SE (the paper Table 5 setup)', () => {
  const g = mulberry32(5);
  const nrm = () => Math.sqrt(-2 * Math.log(1 - g.next())) * Math.cos(2 * Math.PI * g.next());
  const cols: Record<string, number[]> = { city: [], year: [], X: [], M: [], Y: [], C: [] };
  for (let i = 0; i < 30; i++) for (let t = 0; t < 6; t++) {
    if (g.next() < 0.15) continue;
    const X = nrm() + i / 10, C = nrm(), M = 0.6 * X + 0.2 * C + nrm() + t / 5, Y = 0.3 * X + 0.5 * M - 0.1 * C + nrm() + i / 20;
    cols.city.push(i); cols.year.push(2010 + t); cols.X.push(X); cols.M.push(M); cols.Y.push(Y); cols.C.push(C);
  }
  const frame = frameFromColumns(cols);
  const common = { panel: { id: 'city', time: 'year' }, effects: 'twoways', vcov: { cluster: ['city'] } } as const;

  it('each step equals the corresponding two-way FE regression; a*b = c - c\'', () => {
    const r = estimate({ estimator: 'mediation', ...common, mediation: { treatment: 'X', mediator: 'M', outcome: 'Y', controls: ['C'], bootstrap: 50, seed: 3 } }, frame);
    const fe = (formula: string) => estimate({ estimator: 'fe', formula, ...common }, frame).coefficients;
    const steps = r.steps as Record<string, { coefficients: { term: string; estimate: number; stdError: number }[] }>;
    for (const [name, formula] of [['total', 'Y ~ X + C'], ['aPath', 'M ~ X + C'], ['direct', 'Y ~ X + M + C']]) {
      const ref = fe(formula);
      steps[name].coefficients.forEach((c, j) => {
        expect(c.term).toBe(ref[j].term);
        expectRel(c.estimate, ref[j].estimate, 1e-9, `${name} ${c.term}`);
        expectRel(c.stdError, ref[j].stdError, 1e-9, `${name} se ${c.term}`);
      });
    }
    // with a common sample and the same fixed effects, OLS algebra gives c = c' + a*b exactly
    expectRel((r.params.total as number) - (r.params.direct as number), r.params.indirect as number, 1e-8, 'c - c\'');
    const boot = r.params.bootstrap as { unit: string; succeeded: number; ci: [number, number] };
    expect(boot.unit).toBe('city');
    expect(boot.succeeded).toBe(50);
    expect(boot.ci[0]).toBeLessThan(r.params.indirect as number);
    expect(boot.ci[1]).toBeGreaterThan(r.params.indirect as number);
  });
});

