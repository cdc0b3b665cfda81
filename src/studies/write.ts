// A study's outputs as files: per table <id>.md / .tex / .html / .docx, the whole study as report.md, report.html
// (tables and inline maps) and study.docx, one .svg per map. Also the same renderings in memory (GraphQL jobs).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tablesToDocx } from '../report/docx.js';
import { mapsHtml } from '../report/maps.js';
import { HTML_STYLE, render, type Format } from '../report/table.js';
import type { StudyOutcome, StudyTable } from './run.js';

export const renderParts = (t: StudyTable, f: Format): string => t.parts.map((x) => render(x, f)).join('\n');

export function htmlPage(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title><style>body{max-width:1100px;margin:2em auto;padding:0 1em}\n${HTML_STYLE}</style></head>\n<body>\n<h1>${title}</h1>\n${body}</body></html>\n`;
}

export interface RenderedTable { id: string; label: string; markdown: string; latex: string; html: string; docx: Buffer }

export async function renderTable(t: StudyTable): Promise<RenderedTable> {
  return {
    id: t.id, label: t.label,
    markdown: renderParts(t, 'markdown'), latex: renderParts(t, 'latex'), html: htmlPage(t.parts[0].title, renderParts(t, 'html')),
    docx: await tablesToDocx(t.parts),
  };
}

export function reportMarkdown(o: StudyOutcome): string {
  const maps = o.maps ? `## Maps, ${o.maps.year}\n\n${o.maps.maps.map((m) => `![${m.title}](${m.id}.svg)`).join('\n\n')}\n` : '';
  return `# ${o.title}\n\n${o.description ? `${o.description}\n\n` : ''}${o.tables.map((x) => renderParts(x, 'markdown')).join('\n')}\n${maps}`;
}

export function reportHtml(o: StudyOutcome): string {
  return htmlPage(o.title, `${o.description ? `<p>${o.description}</p>\n` : ''}${o.tables.map((x) => renderParts(x, 'html')).join('\n')}\n${o.maps ? mapsHtml(o.maps) : ''}`);
}

export const studyDocx = (o: StudyOutcome): Promise<Buffer> =>
  tablesToDocx(o.tables.flatMap((t) => t.parts), { title: o.title, intro: o.description || undefined });

/** Writes every output into `dir`; returns the file names written. */
export async function writeStudy(o: StudyOutcome, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const put = async (name: string, data: string | Buffer) => { await writeFile(path.join(dir, name), data); files.push(name); };
  for (const t of o.tables) {
    const r = await renderTable(t);
    await put(`${t.id}.md`, r.markdown);
    await put(`${t.id}.tex`, r.latex);
    await put(`${t.id}.html`, r.html);
    await put(`${t.id}.docx`, r.docx);
  }
  for (const m of o.maps?.maps ?? []) await put(`${m.id}.svg`, `${m.svg}\n`);
  await put('report.md', reportMarkdown(o));
  await put('report.html', reportHtml(o));
  await put('study.docx', await studyDocx(o));
  return files;
}
