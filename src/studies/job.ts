// A study as a background job (GraphQL submitStudy): the runner on the server's store, each model fitted in the
// estimate worker pool, the rendered tables (Markdown / LaTeX / HTML / base64 .docx) as the job's result.
import { createHash } from 'node:crypto';
import type { Db } from '../db/db.js';
import { dataVersion } from '../domain/index.js';
import { canonical } from '../jobs/analysis.js';
import { runStudy, type Fit } from './run.js';
import type { Study } from './schema.js';
import { renderTable, reportMarkdown, studyDocx } from './write.js';

export interface StudyJobTable { id: string; label: string; markdown: string; latex: string; html: string; docx: string }
export interface StudyJobResult { kind: 'study'; title: string; dataVersion: number; tables: StudyJobTable[]; reportMarkdown: string; docx: string }

export async function studyCacheKey(db: Db, study: unknown): Promise<{ key: string; dataVersion: number }> {
  const v = await dataVersion(db);
  return { key: createHash('sha256').update(canonical({ v, study })).digest('hex'), dataVersion: v };
}

export async function runStudyJob(db: Db, study: Study, o: { fit: Fit; progress: (share: number) => Promise<void>; checkpoint: () => Promise<void> }): Promise<StudyJobResult> {
  let done = 0;
  const total = study.tables.length + 1;
  const outcome = await runStudy(db, study, {
    fit: o.fit,
    checkpoint: o.checkpoint,
    progress: { step: () => undefined, done: () => { done++; void o.progress(Math.min(0.95, done / total)).catch(() => undefined); } },
  });
  const tables: StudyJobTable[] = [];
  for (const t of outcome.tables) {
    const r = await renderTable(t);
    tables.push({ id: r.id, label: r.label, markdown: r.markdown, latex: r.latex, html: r.html, docx: r.docx.toString('base64') });
  }
  return {
    kind: 'study', title: outcome.title, dataVersion: await dataVersion(db), tables,
    reportMarkdown: reportMarkdown(outcome), docx: (await studyDocx(outcome)).toString('base64'),
  };
}
