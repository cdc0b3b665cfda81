// Studies and Word tables over GraphQL: submitStudy runs a study file as a job whose rendered tables equal the runner's
// in process (models fitted in the worker pool there, on this thread here); a bad file is refused naming the field;
// regressionTable(format: DOCX) returns a .docx (base64) with the Markdown table's cells.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStudy } from '../src/studies/run.js';
import { parseStudy } from '../src/studies/validate.js';
import { renderTable } from '../src/studies/write.js';
import { dbKind, getStore, gql } from './helpers/store.js';
import { docxTables, markdownTables } from './studies-helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'agglomera-study-gql-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PANEL = { id: '{id}', time: '{time}' };
const STUDY = {
  title: 'A small study',
  data: { sample: { winsorize: { lower: 0.01, upper: 0.99 } } },
  roles: { outcome: 'NQP', core: 'RTA', controls: ['Popsiz', 'Urbrate'], mediators: ['DFU'] },
  tables: [
    { id: 'desc', block: { kind: 'descriptives', title: 'Descriptives', variables: ['{outcome}', '{core}', '{controls}'], notes: ['{panel.nobs} rows{panel.dropped}'] } },
    {
      id: 'fe', label: 'FE', block: {
        kind: 'regression', title: 'FE of {outcome} on {core}',
        models: [
          { title: 'OLS', spec: { estimator: 'ols', formula: '{outcome} ~ {core} + {controls}', vcov: { cluster: ['{id}'] } } },
          { title: 'FE', spec: { estimator: 'fe', formula: '{outcome} ~ {core} + {controls}', panel: PANEL, effects: 'twoways', vcov: { cluster: ['{id}'] } } },
          { title: 'FE, 2014+', spec: { estimator: 'fe', formula: '{outcome} ~ {core}', panel: PANEL, effects: 'twoways', sample: { where: '{time} >= 2014' } } },
        ],
        controls: ['{controls}'], fixedEffectRows: { 'City FE': ['{id}'], 'Year FE': ['{time}'] },
      },
    },
  ],
};

const JOB = `query($id: ID!) { studyJob(id: $id) { id status progress error { message field } title tables { id label markdown latex html docx } reportMarkdown docx } }`;

describe(`submitStudy and DOCX tables on ${dbKind}`, () => {
  beforeAll(async () => { await getStore(); }, 600_000);

  it('runs a study as a job: its tables equal the runner in process, .docx included', async () => {
    const s = await gql(`mutation($s: JSON!) { submitStudy(study: $s) { id status } }`, { s: STUDY });
    expect(s.errors).toBeUndefined();
    let j: any;
    for (;;) {
      j = (await gql(JOB, { id: s.data!.submitStudy.id })).data!.studyJob;
      if (j.status !== 'QUEUED' && j.status !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(j.error).toBeNull();
    expect(j).toMatchObject({ status: 'DONE', progress: 1, title: 'A small study' });
    const here = await runStudy((await getStore()).db, parseStudy(STUDY));
    expect(j.tables.map((t: any) => t.id)).toEqual(['desc', 'fe']);
    for (const [i, t] of here.tables.entries()) {
      const r = await renderTable(t);
      expect(j.tables[i].markdown).toBe(r.markdown);
      expect(j.tables[i].latex).toBe(r.latex);
      expect(j.tables[i].html).toBe(r.html);
      const f = path.join(tmp, `${t.id}.docx`);
      writeFileSync(f, Buffer.from(j.tables[i].docx, 'base64'));
      expect(docxTables(f)).toEqual(markdownTables(r.markdown));
    }
    // real numbers: the FE column of RTA with stars, N of the 2014+ column below the full one
    expect(j.tables[1].markdown).toMatch(/\| RTA \| -?\d\.\d{4}\**( \|)/);
    const n = /\| N \| (\d+) \| (\d+) \| (\d+) \|/.exec(j.tables[1].markdown)!;
    expect(Number(n[3])).toBeLessThan(Number(n[2]));
    expect(j.reportMarkdown).toContain('# A small study');
    writeFileSync(path.join(tmp, 'study.docx'), Buffer.from(j.docx, 'base64'));
    expect(docxTables(path.join(tmp, 'study.docx'))).toHaveLength(2);
  }, 600_000);

  it('a bad study is refused naming the field', async () => {
    const bad = structuredClone(STUDY) as any;
    bad.tables[1].block.models[1].spec.effects = 'both';
    const r = await gql(`mutation($s: JSON!) { submitStudy(study: $s) { id } }`, { s: bad });
    expect(r.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'study.tables.1.block.models.1.spec.effects' });
    const r2 = await gql(`mutation($s: JSON!) { submitStudy(study: $s) { id } }`, { s: { ...STUDY, roles: { core: 'RTA' } } });
    expect(r2.errors![0].extensions).toMatchObject({ argument: 'study.roles.outcome' });
  });

  it('regressionTable(format: DOCX) is a base64 .docx with the Markdown cells', async () => {
    const specs = [
      { estimator: 'ols', formula: 'NQP ~ RTA + Popsiz', title: 'OLS' },
      { estimator: 'fe', formula: 'NQP ~ RTA + Popsiz', panel: { id: 'city', time: 'year' }, effects: 'twoways', vcov: { cluster: ['city'] }, title: 'FE' },
    ];
    const q = `query($s: [ModelSpecInput!]!, $f: TableFormat!) { regressionTable(specs: $s, format: $f, title: "T", controls: ["Popsiz"]) }`;
    const md = await gql(q, { s: specs, f: 'MARKDOWN' });
    const docx = await gql(q, { s: specs, f: 'DOCX' });
    expect(md.errors ?? docx.errors).toBeUndefined();
    const buf = Buffer.from(docx.data!.regressionTable, 'base64');
    expect(buf.subarray(0, 2).toString()).toBe('PK');
    const f = path.join(tmp, 'rt.docx');
    writeFileSync(f, buf);
    const cells = docxTables(f);
    expect(cells).toEqual(markdownTables(md.data!.regressionTable));
    expect(cells[0][0]).toEqual(['', 'OLS', 'FE']);
    expect(cells[0].find((r) => r[0] === 'Controls')).toEqual(['Controls', 'Yes', 'Yes']);
  }, 300_000);
});
