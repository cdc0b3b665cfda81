// `agglomera replicate [--out DIR]`: runs the paper's pipeline on the loaded data (the same store as the server) and
// writes report.md, report.html (with maps), one .md / .tex / .html file per table and one .svg per map. Progress
// goes to stderr: a bar that rewrites itself on a terminal, one line per table otherwise.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cliErr, cliErrIsTTY, cliPath, openCliStore } from './io.js';
import type { Db } from '../db/db.js';
import { cityPanel } from '../domain/index.js';
import { mapsHtml, reportMaps, type ReportMaps } from '../report/maps.js';
import { PAPER_TABLES, type PaperTable } from '../report/paper.js';
import { HTML_STYLE, render, type Format } from '../report/table.js';
import { UsageError } from './errors.js';

export const REPLICATE_USAGE = `usage: agglomera replicate [--out DIR]

  Runs the paper's tables 1-7 on the loaded data and writes DIR/report.md, DIR/report.html (tables and maps),
  DIR/tableN.{md,tex,html} and DIR/map-*.svg (default DIR: ./out).
  Data: the embedded database in AGGLOMERA_DATA_DIR (default .data/pglite; demo data loaded on first start)
  or DATABASE_URL, as the server.`;

/** The store the server would open (config from the environment). */
export async function openConfiguredStore(log?: (m: string) => void): Promise<Db> {
  return openCliStore({ log });
}

interface Progress { step(label: string): void; done(label: string, seconds: number): void; finish(): void }

function progress(total: number): Progress {
  let k = 0;
  const tty = cliErrIsTTY();
  const stream = { write: cliErr };
  const bar = (label: string) => {
    const width = 24, filled = Math.round((k / total) * width);
    stream.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${k}/${total} ${label}`.padEnd(78));
  };
  return {
    step(label) { if (tty) bar(`${label}…`); },
    done(label, seconds) {
      k++;
      if (tty) bar(`${label} (${seconds.toFixed(1)} s)`);
      else stream.write(`${label} done in ${seconds.toFixed(1)} s (${k}/${total})\n`);
    },
    finish() { if (tty) stream.write('\n'); },
  };
}

const allParts = (t: PaperTable) => [t.table, ...(t.more ?? [])];
const renderAll = (t: PaperTable, f: Format) => allParts(t).map((x) => render(x, f)).join('\n');

function htmlPage(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>body{max-width:1100px;margin:2em auto;padding:0 1em}\n${HTML_STYLE}</style></head>\n<body>\n<h1>${title}</h1>\n${body}</body></html>\n`;
}

export interface ReplicateOutcome { dir: string; tables: PaperTable[]; maps: ReportMaps; seconds: number }

/** Runs every table on `db`, writes the files into `dir`. */
export async function replicate(db: Db, dir: string, p: Progress = progress(PAPER_TABLES.length + 1)): Promise<ReplicateOutcome> {
  const t0 = Date.now();
  await mkdir(dir, { recursive: true });
  p.step('panel');
  let t = Date.now();
  const panel = await cityPanel(db);
  p.done('panel', (Date.now() - t) / 1000);
  const tables: PaperTable[] = [];
  for (const spec of PAPER_TABLES) {
    p.step(spec.label);
    t = Date.now();
    const out = await spec.run({ db, panel });
    tables.push(out);
    await writeFile(path.join(dir, `${out.id}.md`), renderAll(out, 'markdown'));
    await writeFile(path.join(dir, `${out.id}.tex`), renderAll(out, 'latex'));
    await writeFile(path.join(dir, `${out.id}.html`), htmlPage(out.table.title, renderAll(out, 'html')));
    p.done(spec.label, (Date.now() - t) / 1000);
  }
  const maps = await reportMaps(db); // inline SVG in report.html, and one .svg file per map
  for (const m of maps.maps) await writeFile(path.join(dir, `${m.id}.svg`), `${m.svg}\n`);
  p.finish();
  const title = 'Agglomera: replication of the paper\'s tables';
  const synthetic = 'Data: the loaded store (the demo panel is SYNTHETIC: real city boundaries, simulated firms and metrics with known true effects).';
  const mapsMd = `## Maps, ${maps.year}\n\n${maps.maps.map((m) => `![${m.title}](${m.id}.svg)`).join('\n\n')}\n`;
  await writeFile(path.join(dir, 'report.md'), `# ${title}\n\n${synthetic}\n\n${tables.map((x) => renderAll(x, 'markdown')).join('\n')}\n${mapsMd}`);
  await writeFile(path.join(dir, 'report.html'), htmlPage(title, `<p>${synthetic}</p>\n${tables.map((x) => renderAll(x, 'html')).join('\n')}\n${mapsHtml(maps)}`));
  return { dir, tables, maps, seconds: (Date.now() - t0) / 1000 };
}

export async function runReplicate(argv: string[], out: (s: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: 'string', default: 'out' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${REPLICATE_USAGE}`);
  }
  if (values.help) { out(REPLICATE_USAGE); return 0; }
  const t0 = Date.now();
  const dir = await cliPath(values.out);
  const db = await openConfiguredStore((m) => cliErr(`${m}\n`));
  const opened = (Date.now() - t0) / 1000;
  try {
    const r = await replicate(db, dir);
    out(`wrote ${r.tables.length} tables and ${r.maps.maps.length} maps to ${dir} (report.md, report.html); store opened in ${opened.toFixed(1)} s, tables in ${r.seconds.toFixed(1)} s`);
  } finally {
    await db.close();
  }
  return 0;
}
