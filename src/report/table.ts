// A plain table model (title, header, body rows in groups, notes) and its Markdown, LaTeX and HTML renderings.
// Pure string functions: the regression and descriptive tables build a Table, these print it.

export type Format = 'markdown' | 'latex' | 'html';

export interface Table {
  title: string;
  /** first header cell labels the row names */
  header: string[];
  /** groups of rows; a horizontal rule separates groups */
  groups: string[][][];
  notes: string[];
}

const mdEscape = (s: string) => s.replace(/\|/g, '\\|');

export function toMarkdown(t: Table): string {
  const out = [`**${t.title}**`, '', `| ${t.header.map(mdEscape).join(' | ')} |`, `|${t.header.map((_, i) => (i === 0 ? ':---' : '---:')).join('|')}|`];
  t.groups.forEach((g, gi) => {
    // Markdown has no mid-table rules: a row of dashes stands for one between groups
    if (gi > 0 && g.length) out.push(`| ${t.header.map(() => '').join(' | ')} |`);
    for (const r of g) out.push(`| ${r.map(mdEscape).join(' | ')} |`);
  });
  if (t.notes.length) out.push('', ...t.notes.map((n) => `${n.replace(/\*/g, '\\*')}  `));
  return `${out.join('\n')}\n`;
}

const texEscape = (s: string) =>
  s.replace(/\\/g, '\\textbackslash{}').replace(/([&%$#_{}])/g, '\\$1').replace(/~/g, '\\textasciitilde{}').replace(/\^/g, '\\textasciicircum{}');

/** Stars become superscripts, R² a math symbol; everything else escaped. */
function texCell(s: string): string {
  const m = /^(.*?)(\*{1,3})$/.exec(s);
  const body = texEscape(m ? m[1] : s).replace(/R²/g, '$R^2$');
  return m ? `${body}$^{${m[2]}}$` : body;
}

export function toLatex(t: Table): string {
  const cols = `l${'c'.repeat(t.header.length - 1)}`;
  const out = [
    '\\begin{table}[htbp]', '\\centering', `\\caption{${texEscape(t.title)}}`, `\\begin{tabular}{${cols}}`, '\\hline\\hline',
    `${t.header.map(texCell).join(' & ')} \\\\`, '\\hline',
  ];
  t.groups.forEach((g, gi) => {
    if (gi > 0 && g.length) out.push('\\hline');
    for (const r of g) out.push(`${r.map(texCell).join(' & ')} \\\\`);
  });
  out.push('\\hline\\hline', '\\end{tabular}');
  if (t.notes.length) out.push('\\par\\smallskip', `\\begin{minipage}{0.9\\linewidth}\\footnotesize ${t.notes.map(texCell).join(' \\\\ ')}\\end{minipage}`);
  out.push('\\end{table}');
  return `${out.join('\n')}\n`;
}

const htmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function toHtml(t: Table): string {
  const out = [`<table class="regression">`, `<caption>${htmlEscape(t.title)}</caption>`, '<thead><tr>', ...t.header.map((h) => `<th>${htmlEscape(h)}</th>`), '</tr></thead>'];
  t.groups.forEach((g) => {
    out.push('<tbody>');
    for (const r of g) out.push(`<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${htmlEscape(c)}</th>` : `<td>${htmlEscape(c)}</td>`)).join('')}</tr>`);
    out.push('</tbody>');
  });
  if (t.notes.length) out.push(`<tfoot><tr><td colspan="${t.header.length}">${t.notes.map(htmlEscape).join('<br>')}</td></tr></tfoot>`);
  out.push('</table>');
  return `${out.join('\n')}\n`;
}

export function render(t: Table, format: Format): string {
  return format === 'latex' ? toLatex(t) : format === 'html' ? toHtml(t) : toMarkdown(t);
}

/** Fixed decimals; '' for missing; no negative zero. */
export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '';
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

export function stars(p: number): string {
  return p < 0.01 ? '***' : p < 0.05 ? '**' : p < 0.1 ? '*' : '';
}

export const HTML_STYLE = `table.regression{border-collapse:collapse;margin:1.5em 0;font-family:serif}
table.regression caption{font-weight:bold;margin-bottom:.4em}
table.regression thead{border-top:2px solid #000;border-bottom:1px solid #000}
table.regression tbody+tbody{border-top:1px solid #000}
table.regression tbody:last-of-type{border-bottom:2px solid #000}
table.regression th,table.regression td{padding:.15em .8em;text-align:center}
table.regression th[scope=row]{text-align:left;font-weight:normal}
table.regression tfoot td{font-size:.85em;text-align:left}`;
