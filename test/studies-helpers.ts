// Reading the tables back out of the written files: Markdown table rows, and the cells of a .docx (word/document.xml,
// unzipped with fflate), each table as a list of rows of cell texts.
import { readFileSync } from 'node:fs';
import { strFromU8, unzipSync } from 'fflate';

/** Rows of every Markdown table of a file (the |:---| line and Markdown's empty separator rows left out). */
export function markdownTables(md: string): string[][][] {
  const tables: string[][][] = [];
  let cur: string[][] | null = null;
  for (const line of md.split('\n')) {
    if (!line.startsWith('|')) { cur = null; continue; }
    if (!cur) { cur = []; tables.push(cur); }
    if (/^\|:---\|/.test(line)) continue;
    const cells = line.slice(2, -2).split(/(?<!\\) \| /).map((c) => c.replace(/\\\|/g, '|'));
    // an all-empty row is Markdown's stand-in for a rule between groups
    if (cells.every((c) => c.trim() === '')) continue;
    cur.push(cells.map((c) => c.trim()));
  }
  return tables;
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** The cell texts of every table of a .docx. */
export function docxTables(file: string): string[][][] {
  const xml = strFromU8(unzipSync(readFileSync(file))['word/document.xml']);
  return [...xml.matchAll(/<w:tbl>([\s\S]*?)<\/w:tbl>/g)].map((t) =>
    [...t[1].matchAll(/<w:tr\b[^>]*>([\s\S]*?)<\/w:tr>/g)].map((r) =>
      [...r[1].matchAll(/<w:tc>([\s\S]*?)<\/w:tc>/g)].map((c) => unescapeXml([...c[1].matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>/g)].map((x) => x[1]).join('')))));
}

/** Numbers as the tables print them (with stars, or in parentheses), in reading order. */
export const numericTokens = (text: string): string[] => text.match(/\(?-?\d+\.\d+\)?\**/g) ?? [];
