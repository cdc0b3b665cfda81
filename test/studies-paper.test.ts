// The paper as a study file: `study run studies/paper.json` writes tables byte-identical to what `replicate` wrote
// before the paper became a file (test/fixtures/replicate, captured from main at 7e8bd36 on the demo store); a copy
// with every variable renamed (the panel's columns renamed at the data boundary, the roles set to the new names) gives
// the same numbers; the .docx tables carry the .md's cells (document XML) and open in LibreOffice when it is there.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataVersion } from '../src/domain/index.js';
import { runStudy, type StudyOutcome } from '../src/studies/run.js';
import { parseStudy } from '../src/studies/validate.js';
import { writeStudy } from '../src/studies/write.js';
import { dbKind, getStore } from './helpers/store.js';
import { docxTables, markdownTables, numericTokens } from './studies-helpers.js';

const paper = JSON.parse(readFileSync('studies/paper.json', 'utf8'));
const FIXTURE = 'test/fixtures/replicate';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'agglomera-studies-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every stored variable the paper uses → a name that has nothing to do with it; the ids too. */
const RENAME: Record<string, string> = {
  NQP: 'y_out', RTA: 'x_core', RTA_entropy: 'x_alt', Q1: 'k_one', Q2: 'k_two', Q3: 'k_three',
  Popsiz: 'c_a', Urbrate: 'c_b', Fispress: 'c_c', Indstru: 'c_d', Eduexp: 'c_e', Findev: 'c_f',
  DFU: 'm_a', RID: 'm_b', PC: 'm_c', city: 'unit', year: 't',
};
const r = (n: string) => RENAME[n] ?? n;

function renamedStudy(): unknown {
  const s = structuredClone(paper);
  s.data = { ...s.data, panel: { id: 'unit', time: 't' }, rename: RENAME };
  const ro = s.roles;
  s.roles = {
    outcome: r(ro.outcome), core: r(ro.core), controls: ro.controls.map(r), mediators: ro.mediators.map(r),
    variables: Object.fromEntries(Object.entries(ro.variables as Record<string, string | string[]>).map(([k, v]) => [k, Array.isArray(v) ? v.map(r) : r(v)])),
  };
  return s;
}

const PAPER_NAMES = Object.keys(RENAME).filter((n) => n !== 'city' && n !== 'year');
const wordRe = new RegExp(`\\b(${PAPER_NAMES.join('|')})\\b`);

describe(`studies/paper.json on ${dbKind}`, () => {
  let outcome: StudyOutcome;
  const out = path.join(tmp, 'paper');
  beforeAll(async () => {
    const { db } = await getStore();
    outcome = await runStudy(db, parseStudy(paper));
    await writeStudy(outcome, out);
  }, 900_000);

  it('writes tables 1-7 (md, tex, html) and report.md identical byte for byte to the pre-study replicate', async () => {
    const files = readdirSync(FIXTURE).filter((f) => f !== 'README.md');
    expect(files).toHaveLength(22);
    // the notes quote the store's data version: 15 on the fresh demo store of the capture; a store that has seen
    // other writes (a reused PostgreSQL database, a migration that bumps it) says its own number, the tables the same
    const v = await dataVersion((await getStore()).db);
    for (const f of files) {
      const want = readFileSync(path.join(FIXTURE, f), 'utf8').replaceAll('Data version 15,', `Data version ${v},`);
      expect(readFileSync(path.join(out, f), 'utf8'), f).toBe(want);
    }
  });

  it('each .docx has the .md cells (document XML), three-line borders, stars as superscripts', () => {
    for (const t of outcome.tables) {
      const md = markdownTables(readFileSync(path.join(out, `${t.id}.md`), 'utf8'));
      const docx = docxTables(path.join(out, `${t.id}.docx`));
      expect(docx.length, t.id).toBe(t.parts.length);
      expect(docx, t.id).toEqual(md);
    }
    // the whole study: every part of every table, in order
    expect(docxTables(path.join(out, 'study.docx'))).toEqual(outcome.tables.flatMap((t) => markdownTables(readFileSync(path.join(out, `${t.id}.md`), 'utf8'))));
    const xml = execFileSync('unzip', ['-p', path.join(out, 'table2.docx'), 'word/document.xml'], { encoding: 'utf8' });
    expect(xml).not.toMatch(/<w:left w:val="single"|<w:insideV w:val="single"/);
    expect(xml.match(/<w:top w:val="single" w:color="000000" w:sz="12"\/>/g)?.length).toBe(6); // header row, 6 cells
    expect(xml).toMatch(/<w:vertAlign w:val="superscript"\/><\/w:rPr><w:t xml:space="preserve">\*\*\*<\/w:t>/);
  });

  const soffice = spawnSync('soffice', ['--version'], { encoding: 'utf8' }).status === 0;
  it.runIf(soffice || process.env.CI === 'true')('LibreOffice opens every .docx; its PDF shows the .md numbers', () => {
    expect(soffice, 'CI needs libreoffice-writer and poppler-utils').toBe(true);
    const pdfDir = path.join(tmp, 'pdf');
    const docs = outcome.tables.map((t) => path.join(out, `${t.id}.docx`));
    execFileSync('soffice', ['--headless', `-env:UserInstallation=file://${tmp}/lo-profile`, '--convert-to', 'pdf', '--outdir', pdfDir, ...docs], { stdio: 'ignore', timeout: 300_000 });
    for (const t of outcome.tables) {
      const text = execFileSync('pdftotext', ['-layout', path.join(pdfDir, `${t.id}.pdf`), '-'], { encoding: 'utf8' });
      const md = readFileSync(path.join(out, `${t.id}.md`), 'utf8');
      // the same numbers (a wrapped cell, e.g. a bootstrap interval, may move one of them in the text flow)
      expect(numericTokens(text).sort(), t.id).toEqual(numericTokens(md).sort());
      expect(text).toContain(t.parts[0].title.slice(0, 30));
    }
  }, 400_000);

  describe('the same study with every variable renamed', () => {
    let renamed: StudyOutcome;
    beforeAll(async () => {
      const { db } = await getStore();
      renamed = await runStudy(db, parseStudy(renamedStudy()));
    }, 900_000);

    it('names none of the paper variables outside data.rename, and the runner names none at all', () => {
      const s = renamedStudy() as { data: { rename?: unknown } };
      const text = JSON.stringify({ ...s, data: { ...s.data, rename: undefined } });
      expect(text).not.toMatch(wordRe);
      for (const f of readdirSync('src/studies')) {
        const src = readFileSync(path.join('src/studies', f), 'utf8');
        expect(src, f).not.toMatch(wordRe);
        // the unit and period columns: only the data section's defaults (schema.ts) name the stored panel's
        if (f !== 'schema.ts') expect(src, f).not.toMatch(/'city'|'year'|"city"|"year"/);
      }
      // and the renamed run's tables say the new names
      expect(renamed.tables[1].parts[0].groups[0][0][0]).toBe('x_core');
    });

    it('gives the same numbers in every cell of every table', () => {
      expect(renamed.tables.map((t) => t.id)).toEqual(outcome.tables.map((t) => t.id));
      let cells = 0;
      outcome.tables.forEach((t, i) => {
        expect(renamed.tables[i].parts.length).toBe(t.parts.length);
        t.parts.forEach((p, j) => {
          const q = renamed.tables[i].parts[j];
          expect(q.header.length, `${t.id}.${j}`).toBe(p.header.length);
          expect(q.groups.map((g) => g.map((row) => row.slice(1))), `${t.id}.${j}`).toEqual(p.groups.map((g) => g.map((row) => row.slice(1))));
          cells += p.groups.flat().reduce((n, row) => n + row.length - 1, 0);
        });
      });
      expect(cells).toBeGreaterThan(300);
      // the maps: same year, same LISA counts
      expect(renamed.maps!.year).toBe(outcome.maps!.year);
      expect(renamed.maps!.lisa.quadrants).toEqual(outcome.maps!.lisa.quadrants);
      expect(renamed.maps!.lisa.significant).toEqual(outcome.maps!.lisa.significant);
    });
  });
});
