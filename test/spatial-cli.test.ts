// `agglomera weights` through runWeights: JSON output on stdout, user errors on stderr with exit codes.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runWeights } from '../src/cli/weights.js';

const file = new URL('./fixtures/columbus/data.geojson', import.meta.url).pathname;
const exp = JSON.parse(readFileSync(new URL('./fixtures/columbus/expected.json', import.meta.url), 'utf8'));

async function run(args: string[]) {
  let out = '', err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try { return { code: await runWeights(args), out, err }; } finally { o.mockRestore(); e.mockRestore(); }
}
afterEach(() => vi.restoreAllMocks());
const asStrings = (m: Record<string, number[]>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.map(String)]));

describe('agglomera weights', () => {
  it('prints queen neighbours as { id: [ids] }', async () => {
    const r = await run(['--geojson', file, '--id', 'POLYID', '--type', 'queen', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(asStrings(exp.neighbours_queen));
  });
  it('knn with --planar reproduces the knearneigh oracle', async () => {
    const r = await run(['--geojson', file, '--id', 'POLYID', '--type', 'knn', '--k', '4', '--planar', '--format', 'json']);
    expect(JSON.parse(r.out)).toEqual(asStrings(exp.neighbours_knn4_centroids));
  });
  it('user errors name the culprit, no stack trace', async () => {
    for (const [args, re] of [
      [['--geojson', file, '--id', 'NOPE', '--type', 'queen'], /"NOPE"/],
      [['--geojson', '/no/such.geojson', '--id', 'POLYID', '--type', 'queen'], /no\/such\.geojson/],
      [['--geojson', file, '--id', 'POLYID', '--type', 'hex'], /--type.*hex/],
      [['--geojson', file, '--id', 'POLYID', '--type', 'knn'], /--k/],
      [['--geojson', file, '--id', 'POLYID', '--type', 'queen', '--style', 'X'], /--style.*X/],
      [['--geojson', file, '--id', 'POLYID', '--type', 'queen', '--bogus', '1'], /--bogus/],
    ] as const) {
      const r = await run([...args]);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(re);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
