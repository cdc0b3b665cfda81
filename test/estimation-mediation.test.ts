import { describe, it, expect } from 'vitest';
import { estimate, fitMediation, mulberry32 } from '../src/estimation/index.js';
import { readFixtureCsv, readExpected, expectRel } from './estimation-helpers.js';

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
