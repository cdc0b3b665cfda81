// `agglomera replicate` end to end, as on a fresh clone: a new embedded database in a temp folder (first start loads
// the demo data), the paper's tables 1-7 written as Markdown / LaTeX / HTML plus report.md and report.html, and one
// progress line per table on a non-TTY stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'agglomera-replicate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('agglomera replicate', () => {
  it('writes the seven tables with numbers, report.md and report.html', () => {
    const out = path.join(tmp, 'out');
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['bin/agglomera.mjs', 'replicate', '--out', out], {
      encoding: 'utf8', env: { ...process.env, AGGLOMERA_DATA_DIR: path.join(tmp, 'db') }, timeout: 600_000,
    });
    console.log(`replicate on a fresh embedded store: ${((Date.now() - t0) / 1000).toFixed(1)} s wall; ${r.stdout.trim()}`);
    expect(r.status, r.stderr).toBe(0);
    const titles = ['Descriptive statistics', 'Baseline', 'Robustness', 'Dynamic panel', 'Mechanisms', 'Heterogeneity', 'Spatial'];
    for (let k = 1; k <= 7; k++) {
      for (const ext of ['md', 'tex', 'html']) {
        const f = path.join(out, `table${k}.${ext}`);
        expect(existsSync(f), f).toBe(true);
        const text = readFileSync(f, 'utf8');
        expect(text).toContain(titles[k - 1]);
        expect(text.match(/-?\d+\.\d{3,4}/g)?.length ?? 0, `${f} has numbers`).toBeGreaterThan(10);
      }
    }
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    for (const t of titles) expect(md).toContain(t);
    expect(md).toMatch(/\| RTA \| -?\d+\.\d{4}\**/);
    expect(md).toContain('| City FE |');
    expect(md).toContain('AR(2) p-value');
    expect(md).toContain('Sobel z');
    expect(md).toContain("Moran's I");
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html.match(/<table class="regression">/g)!.length).toBeGreaterThanOrEqual(9);
    // maps (test/report-maps.test.ts checks their content): inline, offline, also as files linked from report.md
    expect(html.match(/<svg [^>]*class="map"/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|href=/);
    for (const id of ['map-rta', 'map-nqp', 'map-lisa-nqp']) {
      expect(readFileSync(path.join(out, `${id}.svg`), 'utf8')).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
      expect(md).toContain(`(${id}.svg)`);
    }
    // stderr is not a TTY here: one line per table (after the panel), no carriage-return bar
    const lines = r.stderr.split('\n').filter((l) => / done in /.test(l));
    expect(lines).toHaveLength(8);
    expect(r.stderr).not.toContain('\r');
  }, 600_000);
});
