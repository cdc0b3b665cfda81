// Tables as Word documents (.docx, the `docx` package): three-line tables as Chinese journals ask for them (a thick top
// rule, a thin rule under the header, a thick bottom rule, no vertical lines), significance stars as superscripts, SE
// rows as the Table model has them, notes in a smaller font below. The cells are the Markdown rendering's cells
// (the model's groups follow one another; Markdown's empty separator rows are not drawn).
import {
  AlignmentType, BorderStyle, Document, Packer, PageOrientation, Paragraph, Table as DocxTable, TableCell, TableRow, TextRun, WidthType,
  type IBorderOptions, type ISectionOptions,
} from 'docx';
import type { Table } from './table.js';

const FONT = { ascii: 'Times New Roman', hAnsi: 'Times New Roman', eastAsia: 'SimSun' };
const SIZE = 20; // half-points: 10 pt
const NONE: IBorderOptions = { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' };
const THICK: IBorderOptions = { style: BorderStyle.SINGLE, size: 12, color: '000000' };
const THIN: IBorderOptions = { style: BorderStyle.SINGLE, size: 6, color: '000000' };

/** A cell's text as runs: trailing stars superscript (as the LaTeX rendering). */
function runs(text: string, bold = false): TextRun[] {
  const m = /^(.*?)(\*{1,3})$/.exec(text);
  if (!m || !m[1]) return [new TextRun({ text, font: FONT, size: SIZE, bold })];
  return [new TextRun({ text: m[1], font: FONT, size: SIZE, bold }), new TextRun({ text: m[2], font: FONT, size: SIZE, superScript: true, bold })];
}

function cell(text: string, col: number, borders: { top: IBorderOptions; bottom: IBorderOptions }): TableCell {
  return new TableCell({
    children: [new Paragraph({ alignment: col === 0 ? AlignmentType.LEFT : AlignmentType.CENTER, children: runs(text) })],
    borders: { top: borders.top, bottom: borders.bottom, left: NONE, right: NONE },
    margins: { left: 80, right: 80 },
  });
}

/** The rows a .docx table has: header, then every row of every group. */
export function docxRows(t: Table): string[][] {
  return [t.header, ...t.groups.flat()];
}

/** Caption, three-line table and notes of one Table model. */
export function tableBlocks(t: Table): (Paragraph | DocxTable)[] {
  const body = t.groups.flat();
  const rows = [
    new TableRow({ tableHeader: true, children: t.header.map((h, j) => cell(h, j, { top: THICK, bottom: THIN })) }),
    ...body.map((r, i) => new TableRow({ children: r.map((c, j) => cell(c, j, { top: NONE, bottom: i === body.length - 1 ? THICK : NONE })) })),
  ];
  const table = new DocxTable({
    rows,
    width: { size: 100, type: WidthType.PERCENTAGE },
    borders: { top: NONE, bottom: NONE, left: NONE, right: NONE, insideHorizontal: NONE, insideVertical: NONE },
  });
  return [
    new Paragraph({ alignment: AlignmentType.CENTER, spacing: { before: 240, after: 120 }, children: [new TextRun({ text: t.title, font: FONT, size: SIZE + 2, bold: true })] }),
    table,
    ...t.notes.map((n) => new Paragraph({ spacing: { before: 60 }, children: [new TextRun({ text: n, font: FONT, size: SIZE - 2 })] })),
  ];
}

const LANDSCAPE: ISectionOptions['properties'] = { page: { size: { orientation: PageOrientation.LANDSCAPE }, margin: { top: 1000, bottom: 1000, left: 1000, right: 1000 } } };

/** One .docx of the given tables (landscape A4-ish pages: the wide tables fit), with an optional document title. */
export async function tablesToDocx(tables: Table[], o: { title?: string; intro?: string } = {}): Promise<Buffer> {
  const head = [
    ...(o.title ? [new Paragraph({ alignment: AlignmentType.CENTER, spacing: { after: 200 }, children: [new TextRun({ text: o.title, font: FONT, size: 28, bold: true })] })] : []),
    ...(o.intro ? [new Paragraph({ children: [new TextRun({ text: o.intro, font: FONT, size: SIZE })] })] : []),
  ];
  const doc = new Document({
    creator: 'Agglomera',
    title: o.title ?? tables[0]?.title ?? 'Tables',
    sections: [{ properties: LANDSCAPE, children: [...head, ...tables.flatMap(tableBlocks)] }],
  });
  return Packer.toBuffer(doc);
}
