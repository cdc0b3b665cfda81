// `agglomera replicate [--out DIR]`: runs the paper's tables, studies/paper.json, on the loaded data (the same store
// as the server), exactly as `agglomera study run studies/paper.json --out DIR` does.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { cliErr, cliOut, cliPath, openCliStore } from './io.js';
import { runStudyFile } from './study.js';

/** The paper's Tables 1-7 as a study file. */
export const PAPER_STUDY = fileURLToPath(new URL('../../studies/paper.json', import.meta.url));

export const REPLICATE_USAGE = `usage: agglomera replicate [--out DIR]

  Runs the paper's tables 1-7 (the study file studies/paper.json) on the loaded data and writes DIR/report.md,
  DIR/report.html (tables and maps), DIR/study.docx, DIR/tableN.{md,tex,html,docx} and DIR/map-*.svg (default DIR: ./out).
  Data: the embedded database in AGGLOMERA_DATA_DIR (default .data/pglite; demo data loaded on first start)
  or DATABASE_URL, as the server.`;

/** The store the server would open (config from the environment). */

export async function runReplicate(argv: string[], _out?: (s: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: 'string', default: 'out' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${REPLICATE_USAGE}`);
  }
  if (values.help) { cliOut(`${REPLICATE_USAGE}\n`); return 0; }
  const t0 = Date.now();
  const dir = await cliPath(values.out);
  const db = await openCliStore({ log: (m) => cliErr(`${m}\n`) });
  const opened = (Date.now() - t0) / 1000;
  try {
    const r = await runStudyFile(db, PAPER_STUDY, dir);
    cliOut(`wrote ${r.outcome.tables.length} tables and ${r.outcome.maps?.maps.length ?? 0} maps to ${dir} (report.md, report.html, study.docx); store opened in ${opened.toFixed(1)} s, tables in ${r.seconds.toFixed(1)} s\n`);
  } finally {
    await db.close();
  }
  return 0;
}
