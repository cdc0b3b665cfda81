// `agglomera import <kind> --file F [...]`: one import into the configured store (DATABASE_URL or the embedded folder
// AGGLOMERA_DATA_DIR) or, with --server URL --key K, into a running server over HTTP. Progress goes to stderr; the
// report to stdout (json or a short text). Exit 0 when written (or a valid dry run), 2 on bad input, 1 on failure.
import { readFile, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { cliErr, cliErrIsTTY, cliPath, openCliStore } from './io.js';
import { IMPORT_KINDS, type ImportKind, type ImportOptions, type ImportReport } from '../import/types.js';
import { isImportKind } from '../import/registry.js';
import { matchOptions } from '../units/options.js';
import { parseRenames, renameItems } from '../import/options.js';

export const IMPORT_USAGE = `usage: agglomera import <${IMPORT_KINDS.join('|')}> --file F [options]

  --file F            boundaries: GeoJSON, TopoJSON, GeoPackage (.gpkg) or Shapefile (.shp with .dbf/.prj beside
                      it, or one .zip); tables: CSV (UTF-8 with or without BOM, GB18030/GBK detected) or .xlsx
  --code FIELD        property / column with the unit code (default: code)
  --name FIELD        property / column with the unit name (default: name)
  --province FIELD    boundaries: property with the province / parent unit; city-years, firms: column with the
                      province of a unit name (name matching looks only there; 江苏, 江苏省, Jiangsu or 320000)
  --region FIELD      boundaries: property with the region
  --year FIELD        column with the year (city-years, firm-years)
  --contiguity R      boundaries: exact (shared boundary points, as spdep poly2nb; default) or band (0.005 deg band)
  --match M           city-years, firms: the unit column holds auto (codes or names, default), code or name
                      (names in any form: 南京市, 南京, 黔东南州, Nanjing, traditional, old names by the row's year)
  --skip-unmatched    city-years, firms: import every other row, list the rows whose unit matched nothing
  --match-year Y      firms: year of the unit names (a year or 'founded'; default the latest names)
  --replace           replace what the file covers instead of upserting
  --repair            make invalid polygons valid instead of refusing them
  --skip-invalid      boundaries: leave out features with an empty, degenerate or invalid geometry (or a bad code),
                      import the rest; the report lists what was left out
  --layer NAME        GeoPackage feature table / TopoJSON object (default the first)
  --sheet NAME|N      xlsx: the sheet by name or 1-based number (default the first)
  --encoding E        CSV: force the text encoding (utf8, gb18030, gbk, big5, ...; default detected)
  --rename FROM=TO    rename a column before reading (repeatable or comma list), e.g. --rename 人均GDP=gdppc: value
                      columns become variables under their (renamed) header, which must be an identifier
  --dry-run           check and report, write nothing
  --max-problems N    problems listed in full (default 100; the total is always given)
  --format json|text  report format on stdout (default text)
  --server URL --key K  import into a running server (POST URL/api/import/<kind>) instead of the local store

  Local store: DATABASE_URL, else the embedded database in AGGLOMERA_DATA_DIR (default .data/pglite).
  Exit code: 0 written (or valid dry run), 2 bad input (nothing written; the report lists every bad row), 1 failure.`;

/** A progress bar on a terminal, a line every ~10% otherwise (on the command's stderr). */
function progressBar() {
  let lastPct = -1;
  const tty = cliErrIsTTY();
  const stream = { write: cliErr };
  return {
    tick(done: number, total?: number) {
      const pct = total ? Math.floor((100 * done) / total) : -1;
      if (tty) {
        const width = 30, filled = total ? Math.round((done / total) * width) : 0;
        stream.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}${total ? `/${total}` : ''} ${pct >= 0 ? `${pct}%` : ''}`);
      } else if (pct >= lastPct + 10 || (pct === 100 && lastPct !== 100)) {
        lastPct = pct;
        stream.write(`progress ${done}${total ? `/${total} (${pct}%)` : ''}\n`);
      }
    },
    finish() { if (tty) stream.write('\n'); },
  };
}

export function formatReport(r: ImportReport): string {
  const lines = [
    `${r.kind} import of ${r.fileName}: ${r.status}${r.id ? ` (import ${r.id})` : ''}`,
    `rows read ${r.rowsRead}; inserted ${r.counts.inserted}, updated ${r.counts.updated}, unchanged ${r.counts.unchanged}, deleted ${r.counts.deleted}`,
  ];
  if (r.problemCount) {
    lines.push(`${r.problemCount} problem${r.problemCount === 1 ? '' : 's'}; nothing was written${r.problems.length < r.problemCount ? ` (first ${r.problems.length} listed)` : ''}:`);
    for (const p of r.problems) {
      lines.push(`  ${p.line ? `line/feature ${p.line}` : 'file'}${p.feature ? ` [${p.feature}]` : ''}${p.column ? ` ${p.column}` : ''}${p.value !== undefined ? ` = ${JSON.stringify(p.value)}` : ''}: ${p.reason}`);
    }
  }
  const matched = Object.entries(r.matched ?? {}).filter(([, n]) => n);
  if (matched.length) lines.push(`units matched by ${matched.map(([m, n]) => `${m} ${n}`).join(', ')}`);
  if (r.skipped) {
    lines.push(`${r.skipped} left out on request (${r.kind === 'boundaries' ? '--skip-invalid' : '--skip-unmatched'})${(r.skippedRows?.length ?? 0) < r.skipped ? ` (first ${r.skippedRows?.length ?? 0} listed)` : ''}:`);
    for (const p of r.skippedRows ?? []) lines.push(`  ${p.line ? `line/feature ${p.line}` : 'file'}${p.feature ? ` [${p.feature}]` : ''}${p.column ? ` ${p.column}` : ''}${p.value !== undefined ? ` = ${JSON.stringify(p.value)}` : ''}: ${p.reason}`);
  }
  if (r.placed) lines.push(`placed by ${Object.entries(r.placed).map(([how, n]) => `${how} ${n}`).join(', ')}`);
  for (const d of r.derived ?? []) lines.push(`derived: ${d}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.dataVersion !== undefined) lines.push(`data version ${r.dataVersion}`);
  return lines.join('\n');
}

export const exitCodeOf = (r: ImportReport) => (r.status === 'ok' || r.status === 'dry-run' ? 0 : r.status === 'rejected' ? 2 : 1);

/** Query string of the HTTP door for these options (same names as the CLI flags). */
export function optionsQuery(o: ImportOptions, fileName: string): URLSearchParams {
  const q = new URLSearchParams({ fileName });
  if (o.codeField) q.set('code', o.codeField);
  if (o.nameField) q.set('name', o.nameField);
  if (o.yearField) q.set('year', o.yearField);
  if (o.provinceField) q.set('province', o.provinceField);
  if (o.regionField) q.set('region', o.regionField);
  if (o.contiguity) q.set('contiguity', o.contiguity);
  if (o.replace) q.set('replace', 'true');
  if (o.repair) q.set('repair', 'true');
  if (o.dryRun) q.set('dryRun', 'true');
  if (o.maxProblems !== undefined) q.set('maxProblems', String(o.maxProblems));
  if (o.format) q.set('format', o.format);
  if (o.match) q.set('match', o.match);
  if (o.skipUnmatched) q.set('skipUnmatched', 'true');
  if (o.matchYear !== undefined) q.set('matchYear', String(o.matchYear));
  if (o.sheet) q.set('sheet', o.sheet);
  if (o.encoding) q.set('encoding', o.encoding);
  if (o.layer) q.set('layer', o.layer);
  if (o.skipInvalid) q.set('skipInvalid', 'true');
  for (const r of renameItems(o.rename)) q.append('rename', r);
  return q;
}

async function readSidecars(file: string): Promise<Record<string, Buffer> | undefined> {
  if (!/\.shp$/i.test(file)) return undefined;
  const stem = file.slice(0, -4), out: Record<string, Buffer> = {};
  for (const ext of ['dbf', 'prj', 'cpg']) {
    for (const e of [ext, ext.toUpperCase()]) {
      const b = await readFile(`${stem}.${e}`).catch(() => null);
      if (b) { out[ext] = b; break; }
    }
  }
  return out;
}

export async function runImportCli(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      file: { type: 'string' }, code: { type: 'string' }, name: { type: 'string' }, year: { type: 'string' },
      province: { type: 'string' }, region: { type: 'string' }, contiguity: { type: 'string' },
      replace: { type: 'boolean' }, repair: { type: 'boolean' }, 'dry-run': { type: 'boolean' },
      'max-problems': { type: 'string' }, format: { type: 'string' }, server: { type: 'string' }, key: { type: 'string' },
      match: { type: 'string' }, 'skip-unmatched': { type: 'boolean' }, 'match-year': { type: 'string' },
      'skip-invalid': { type: 'boolean' }, layer: { type: 'string' }, sheet: { type: 'string' }, encoding: { type: 'string' },
      rename: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { out(IMPORT_USAGE); return 0; }
  const kind = positionals[0];
  if (!kind || !isImportKind(kind) || positionals.length > 1) throw new UsageError(`import needs one kind (${IMPORT_KINDS.join(', ')})\n${IMPORT_USAGE}`);
  if (!values.file) throw new UsageError(`import needs --file F\n${IMPORT_USAGE}`);
  if (values.contiguity && values.contiguity !== 'exact' && values.contiguity !== 'band') throw new UsageError(`--contiguity must be exact or band, got "${values.contiguity}"`);
  const fmt = values.format ?? 'text';
  if (fmt !== 'json' && fmt !== 'text') throw new UsageError(`--format must be json or text, got "${fmt}"`);
  const maxProblems = values['max-problems'] !== undefined ? Number(values['max-problems']) : undefined;
  if (maxProblems !== undefined && !(Number.isInteger(maxProblems) && maxProblems >= 0)) throw new UsageError('--max-problems must be a non-negative integer');
  const file = await cliPath(values.file);
  const size = (await stat(file).catch(() => { throw new UsageError(`cannot read --file ${values.file}`); })).size;
  const opts: ImportOptions = {
    codeField: values.code, nameField: values.name, yearField: values.year, provinceField: values.province, regionField: values.region,
    contiguity: values.contiguity as ImportOptions['contiguity'], replace: values.replace, repair: values.repair, dryRun: values['dry-run'], maxProblems,
    ...matchOptions({ match: values.match, skipUnmatched: values['skip-unmatched'], matchYear: values['match-year'] }, (f, m) => new UsageError(`--${f === 'matchYear' ? 'match-year' : f} ${m}`)),
    skipInvalid: values['skip-invalid'], layer: values.layer, sheet: values.sheet, encoding: values.encoding,
    rename: (() => { try { return parseRenames(values.rename); } catch (e) { throw new UsageError((e as Error).message); } })(),
  };
  const fileName = path.basename(file);
  let report: ImportReport;
  const bar = progressBar();
  if (values.server) {
    if (!values.key) throw new UsageError('--server needs --key K (an API key with the admin role)');
    const base = values.server.replace(/\/graphql\/?$/, '').replace(/\/$/, '');
    const sidecars = await readSidecars(file);
    // a .shp with its companions travels as one zip
    let body: Buffer;
    let name = fileName;
    if (sidecars) {
      const { zipSync } = await import('fflate');
      const entries: Record<string, Uint8Array> = { [fileName]: await readFile(file) };
      for (const [ext, b] of Object.entries(sidecars)) entries[fileName.replace(/\.shp$/i, `.${ext}`)] = b;
      body = Buffer.from(zipSync(entries));
      name = fileName.replace(/\.shp$/i, '.zip');
    } else body = await readFile(file);
    const res = await fetch(`${base}/api/import/${kind}?${optionsQuery(opts, name)}`, {
      method: 'POST', body: new Uint8Array(body), headers: { authorization: `Bearer ${values.key}`, 'content-type': 'application/octet-stream' },
    });
    const text = await res.text();
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { throw new Error(`server answered ${res.status}: ${text.slice(0, 300)}`); }
    if (!(parsed as ImportReport).kind) {
      cliErr(`agglomera: server answered ${res.status}: ${(parsed as { error?: string }).error ?? text.slice(0, 300)}\n`);
      return res.status === 401 || res.status === 403 ? 2 : 1;
    }
    report = parsed as ImportReport;
  } else {
    // the store and the import core only (not ./replicate.js, whose study runner takes seconds to load)
    const { runImport } = await import('../import/core.js');
    // the kind's importer module loads while the store opens (the core would load it only then)
    const { importerFor } = await import('../import/registry.js');
    importerFor(kind as ImportKind).catch(() => undefined); // a missing one is reported by runImport
    const db = await openCliStore({ log: (m) => cliErr(`${m}\n`) });
    try {
      // CSV streams from disk (in 1 MB chunks: fewer, larger reads for the byte scanner); boundary files are read whole (exact contiguity needs every vertex at once)
      const body = /\.(csv|xlsx)$/i.test(file) ? createReadStream(file, { highWaterMark: 1 << 20 }) : await readFile(file);
      cliErr(`importing ${fileName} (${(size / 1e6).toFixed(1)} MB) as ${kind}\n`);
      report = await runImport(db, kind as ImportKind, { fileName, body, sidecars: await readSidecars(file), path: file }, opts, (d, t) => bar.tick(d, t), { via: 'cli' });
    } finally {
      bar.finish();
      await db.close();
    }
  }
  out(fmt === 'json' ? JSON.stringify(report, null, 2) : formatReport(report));
  return exitCodeOf(report);
}
