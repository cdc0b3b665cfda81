// Reading a study file: role placeholders expand (lists spliced into arrays, joined in formulas, an empty list takes
// its " + " along); a bad file is refused naming the field (zod path), on the library and on the CLI; the published
// JSON Schema is the zod schema's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { expandDeep, expandString, StudyInputError } from '../src/studies/roles.js';
import { StudySchema } from '../src/studies/schema.js';
import { parseStudy } from '../src/studies/validate.js';

const paper = JSON.parse(readFileSync('studies/paper.json', 'utf8'));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'agglomera-study-validate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function refusal(study: unknown): StudyInputError {
  try { parseStudy(study); } catch (e) { if (e instanceof StudyInputError) return e; throw e; }
  throw new Error('accepted');
}

const bad = (f: (s: any) => void) => { const s = structuredClone(paper); f(s); return s; };

describe('role placeholders', () => {
  const v = { outcome: 'y', core: 'x', controls: ['a', 'b'], none: [] as string[], mediators: ['m1', 'm2', 'm3'] };
  it('expand in strings, arrays and keys', () => {
    expect(expandString('{outcome} ~ {core} + {controls}', v, 'f')).toBe('y ~ x + a + b');
    expect(expandString('{outcome} ~ {core} + {none}', v, 'f')).toBe('y ~ x');
    expect(expandString('through {list:mediators}', v, 't')).toBe('through m1, m2 and m3');
    expect(expandDeep({ terms: ['{core}', '{controls}', '(Intercept)'], labels: { 'lag({outcome}, 1)': 'L1.{outcome}' } }, v, 'x'))
      .toEqual({ terms: ['x', 'a', 'b', '(Intercept)'], labels: { 'lag(y, 1)': 'L1.y' } });
    // run-time placeholders pass through
    expect(expandString('{panel.nobs} rows, {vcovType}', v, 'n')).toBe('{panel.nobs} rows, {vcovType}');
  });
  it('an unknown placeholder names the field', () => {
    expect(() => expandString('{outcom} ~ x', v, 'tables.0.block.models.0.spec.formula')).toThrow(/^tables\.0\.block\.models\.0\.spec\.formula: unknown placeholder \{outcom\}/);
  });
});

describe('a bad study file is refused naming the field', () => {
  it('accepts the paper', () => {
    const s = parseStudy(paper);
    expect(s.tables.map((t) => t.id)).toEqual(['table1', 'table2', 'table3', 'table4', 'table5', 'table6', 'table7']);
    const t2 = s.tables[1].block as unknown as { models: { spec: { formula: string } }[] };
    expect(t2.models[1].spec.formula).toBe('NQP ~ RTA + Popsiz + Urbrate + Fispress + Indstru + Eduexp + Findev');
  });
  it.each([
    ['missing outcome', (s: any) => { delete s.roles.outcome; }, 'roles.outcome'],
    ['unknown estimator', (s: any) => { s.tables[1].block.models[0].spec.estimator = 'olss'; }, 'tables.1.block.models.0.spec.estimator'],
    ['bad formula', (s: any) => { s.tables[1].block.models[2].spec.formula = '{outcome} ~ ~ {core}'; }, 'tables.1.block.models.2.spec.formula'],
    ['unknown placeholder', (s: any) => { s.tables[5].block.models[1].spec.formula = '{outcome} ~ {gazele}'; }, 'tables.5.block.models.1.spec.formula'],
    ['unknown block kind', (s: any) => { s.tables[0].block.kind = 'summary'; }, 'tables.0.block.kind'],
    ['extra field', (s: any) => { s.tables[6].more[0].weigths = {}; }, 'tables.6.more.0'],
    ['bad vcov', (s: any) => { s.tables[2].block.models[1].spec.vcov = { cluster: [] }; }, 'tables.2.block.models.1.spec.vcov.cluster'],
    ['duplicate table id', (s: any) => { s.tables[3].id = 'table2'; }, 'tables.3.id'],
    ['mediation estimator', (s: any) => { s.tables[4].block.spec.estimator = 'fe'; }, 'tables.4.block.spec.estimator'],
    ['composite indicator twice', (s: any) => { s.composites = [{ name: 'NQP2', indicators: ['DFU', '-RID', 'DFU'] }]; }, 'composites.0.indicators.2'],
    ['composite cost marker', (s: any) => { s.composites = [{ name: 'NQP2', indicators: ['DFU', '--RID'] }]; }, 'composites.0.indicators.1'],
    ['two names for one', (s: any) => { s.data.rename = { Q1: 'k', Q2: 'k' }; }, 'data.rename'],
  ])('%s', (_n, f, field) => {
    const e = refusal(bad(f));
    expect(e.path).toBe(field);
    expect(e.message.startsWith(`${field}: `)).toBe(true);
  });
  it('not JSON', () => {
    expect(refusal('{"title": ').path).toBe('(file)');
  });

  it('the CLI: study validate prints the summary, or the field at fault and exits 2', () => {
    const ok = spawnSync(process.execPath, ['bin/agglomera.mjs', 'study', 'validate', 'studies/paper.json'], { encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('valid study "Agglomera: replication of the paper\'s tables": 7 tables, 23 models/blocks, outcome NQP, core RTA, 6 controls, 3 mediators');
    const f = path.join(tmp, 'bad.json');
    writeFileSync(f, JSON.stringify(bad((s) => { s.tables[1].block.models[0].spec.estimator = 'olss'; })));
    const r = spawnSync(process.execPath, ['bin/agglomera.mjs', 'study', 'validate', f], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^agglomera: tables\.1\.block\.models\.0\.spec\.estimator: /);
  }, 60_000);
});

describe('docs/study.schema.json', () => {
  it('is the zod schema as JSON Schema (regenerate: npx tsx scripts/study-schema.ts)', () => {
    const published = JSON.parse(readFileSync('docs/study.schema.json', 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(z.toJSONSchema(StudySchema, { io: 'input', unrepresentable: 'any' }))));
    expect(published.required).toEqual(expect.arrayContaining(['title', 'roles', 'tables']));
  });
});
