// `agglomera study run FILE --out DIR` and `agglomera study validate FILE`: a study file (docs/studies.md) run on the
// loaded data (the same store as the server), its tables written as .md / .tex / .html / .docx plus report.md,
// report.html, study.docx and the maps; progress on stderr.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Db } from '../db/db.js';
import { runStudy, type StudyOutcome } from '../studies/run.js';
import { parseStudy } from '../studies/validate.js';
import { writeStudy } from '../studies/write.js';
import { UsageError } from './errors.js';
import { cliErr, cliOut, cliPath, openCliStore } from './io.js';
import { progress } from './progress.js';

export const STUDY_USAGE = `usage: agglomera study run FILE [--out DIR]
       agglomera study validate FILE

  run       runs the study's tables on the loaded data and writes DIR/<table>.{md,tex,html,docx}, DIR/report.md,
            DIR/report.html, DIR/study.docx and DIR/<map>.svg (default DIR: ./out)
  validate  checks the file (shape, role placeholders, model specs) without touching the data

  The file format: docs/studies.md (JSON Schema docs/study.schema.json); the paper's tables: studies/paper.json.
  Data: the embedded database in AGGLOMERA_DATA_DIR (default .data/pglite) or DATABASE_URL, as the server.`;

export async function readStudyFile(file: string) {
  let text: string;
  try { text = await readFile(await cliPath(file), 'utf8'); } catch (e) { throw new UsageError(`cannot read ${file}: ${(e as Error).message}`); }
  return parseStudy(text);
}

/** Runs a study file on a store into dir, with a progress display; returns the outcome and the files written. */
export async function runStudyFile(db: Db, file: string, dir: string): Promise<{ outcome: StudyOutcome; files: string[]; seconds: number }> {
  const study = await readStudyFile(file);
  const t0 = Date.now();
  const p = progress(study.tables.length + 1);
  const outcome = await runStudy(db, study, { progress: p });
  const files = await writeStudy(outcome, dir);
  p.finish();
  return { outcome, files, seconds: (Date.now() - t0) / 1000 };
}

export async function runStudyCli(argv: string[]): Promise<number> {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: { out: { type: 'string', default: 'out' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${STUDY_USAGE}`);
  }
  if (values.help) { cliOut(`${STUDY_USAGE}\n`); return 0; }
  const [sub, file, ...extra] = positionals;
  if ((sub !== 'run' && sub !== 'validate') || !file || extra.length) throw new UsageError(STUDY_USAGE);
  if (sub === 'validate') {
    const s = await readStudyFile(file);
    const models = s.tables.reduce((n, t) => n + [t.block, ...t.more].reduce((k, b) => k + (b.kind === 'regression' ? b.models.length : b.kind === 'mediation' ? b.mediators.length : 1), 0), 0);
    cliOut(`${file}: valid study "${s.title}": ${s.tables.length} tables, ${models} models/blocks, outcome ${s.roles.outcome}, core ${s.roles.core}, ${s.roles.controls.length} controls, ${s.roles.mediators.length} mediators, ${s.composites.length} composites\n`);
    return 0;
  }
  const dir = await cliPath(values.out);
  const db = await openCliStore({ log: (m) => cliErr(`${m}\n`) });
  try {
    const r = await runStudyFile(db, file, dir);
    cliOut(`wrote ${r.outcome.tables.length} tables (${r.files.filter((f) => f.endsWith('.docx')).length} .docx) and ${r.outcome.maps?.maps.length ?? 0} maps to ${dir} (report.md, report.html, study.docx) in ${r.seconds.toFixed(1)} s\n`);
  } finally {
    await db.close();
  }
  return 0;
}
