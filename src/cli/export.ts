// `agglomera export-panel`: the stored city (or firm) panel after the sample rules, as CSV — the file an analyst can
// feed to `agglomera estimate` or to R / Stata. Numbers are written with full round-trip precision.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { DataFrame } from '../estimation/frame.js';
import { UsageError } from './errors.js';
import { cliOut, cliPath, openCliStore } from './io.js';

export const EXPORT_USAGE = `usage: agglomera export-panel [--level city|firm] [--out FILE]

  --level   city (default): the city-year panel; firm: firm-years of equation (1)
  --out     CSV file (default: stdout)
  Data: the embedded database in AGGLOMERA_DATA_DIR (default .data/pglite) or DATABASE_URL, as the server.`;

const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** CSV text of a frame: header row, numbers as shortest round-trip decimals, missing as empty cells. */
export function frameToCsv(frame: DataFrame): string {
  const names = Object.keys(frame.columns);
  const cols = names.map((n) => frame.columns[n]);
  const lines = [names.map(quote).join(',')];
  for (let i = 0; i < frame.nrows; i++) {
    lines.push(cols.map((c) => {
      const v = c[i];
      if (v === null || v === undefined) return '';
      if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
      return quote(String(v));
    }).join(','));
  }
  return `${lines.join('\n')}\n`;
}

export async function runExport(argv: string[], out: (s: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { level: { type: 'string', default: 'city' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${EXPORT_USAGE}`);
  }
  if (values.help) { out(EXPORT_USAGE); return 0; }
  if (values.level !== 'city' && values.level !== 'firm') throw new UsageError(`--level must be city or firm, got ${values.level}`);
  const { buildPanel } = await import('../jobs/analysis.js');
  const db = await openCliStore();
  try {
    const csv = frameToCsv(await buildPanel(db, values.level, {}));
    if (values.out) await writeFile(await cliPath(values.out), csv); else cliOut(csv);
  } finally {
    await db.close();
  }
  return 0;
}
