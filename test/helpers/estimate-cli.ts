// The CLI side of "GraphQL equals the CLI" checks: `agglomera estimate --format json` on a CSV, and the 1e-10 comparison.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';

type Coefs = { coefficients: { term: string; estimate: number; stdError: number }[] };

/** Runs `agglomera estimate` on `csvPath` with `spec` (written into `dir`); returns the JSON result. */
export function cliEstimate(dir: string, csvPath: string, spec: object) {
  const specPath = path.join(dir, `spec-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(specPath, JSON.stringify(spec));
  const r = spawnSync(process.execPath, ['bin/agglomera.mjs', 'estimate', '--data', csvPath, '--spec', specPath, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** Same terms, estimates and standard errors to 1e-10 (relative above 1). */
export function expectSameCoefficients(g: Coefs, lib: Coefs) {
  expect(g.coefficients.map((c) => c.term)).toEqual(lib.coefficients.map((c) => c.term));
  g.coefficients.forEach((c, i) => {
    for (const f of ['estimate', 'stdError'] as const) {
      expect(Math.abs(c[f] - lib.coefficients[i][f])).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(lib.coefficients[i][f])));
    }
  });
}
