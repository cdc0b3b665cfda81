// POST /api/import/{kind}?code=...&contiguity=...: the file is the request body (CSV, xlsx, GeoJSON, TopoJSON,
// GeoPackage or zip; format from ?format=, the content type, ?fileName= or the bytes). Admin only. Answers the import report as JSON: 200 written / dry run,
// 422 bad input (nothing written), 500 failure; 401 / 403 without the admin role.
import { GraphQLError } from 'graphql';
import { requireRole } from '../auth/roles.js';
import { runImport } from '../import/core.js';
import { isImportKind } from '../import/registry.js';
import { matchOptions } from '../units/options.js';
import { IMPORT_FORMATS, type ImportOptions } from '../import/types.js';
import { BadOption, parseRenames } from '../import/options.js';
import { send, type Route } from './route.js';

/** Request bodies above this are refused (bytes; AGGLOMERA_IMPORT_MAX_BYTES). */
export const MAX_IMPORT_BYTES = Number(process.env.AGGLOMERA_IMPORT_MAX_BYTES ?? 512 * 1024 * 1024);

const json = (res: Parameters<Route>[1], status: number, body: unknown) => send(res, status, 'application/json', `${JSON.stringify(body)}\n`);

const FORMAT_OF_TYPE: Record<string, ImportOptions['format']> = {
  'text/csv': 'csv', 'application/geo+json': 'geojson', 'application/json': 'geojson', 'application/zip': 'zip', 'application/x-zip-compressed': 'zip',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx', 'application/geopackage+sqlite3': 'gpkg',
};

export class BadImportRequest extends Error {}

/** Options from the query string (names as the CLI flags). */
export function importOptionsFromQuery(q: URLSearchParams, contentType?: string): { opts: ImportOptions; fileName?: string } {
  const bool = (k: string) => {
    const v = q.get(k);
    if (v === null) return undefined;
    if (v === '' || v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new BadImportRequest(`${k} must be true or false, got "${v}"`);
  };
  const contiguity = q.get('contiguity') ?? undefined;
  if (contiguity !== undefined && contiguity !== 'exact' && contiguity !== 'band') throw new BadImportRequest(`contiguity must be exact or band, got "${contiguity}"`);
  const format = q.get('format') ?? FORMAT_OF_TYPE[(contentType ?? '').split(';')[0].trim().toLowerCase()];
  if (format !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(format)) throw new BadImportRequest(`format must be one of ${IMPORT_FORMATS.join(', ')}, got "${format}"`);
  let rename: Record<string, string> | undefined;
  try { rename = parseRenames(q.getAll('rename')); } catch (e) { throw new BadImportRequest((e as BadOption).message); }
  const mp = q.get('maxProblems');
  const maxProblems = mp === null ? undefined : Number(mp);
  if (maxProblems !== undefined && !(Number.isInteger(maxProblems) && maxProblems >= 0)) throw new BadImportRequest('maxProblems must be a non-negative integer');
  return {
    fileName: q.get('fileName') ?? undefined,
    opts: {
      codeField: q.get('code') ?? undefined, nameField: q.get('name') ?? undefined, yearField: q.get('year') ?? undefined,
      provinceField: q.get('province') ?? undefined, regionField: q.get('region') ?? undefined,
      contiguity: contiguity as ImportOptions['contiguity'], format: format as ImportOptions['format'],
      replace: bool('replace'), repair: bool('repair'), dryRun: bool('dryRun') ?? bool('dry-run'), maxProblems,
      ...matchOptions({ match: q.get('match'), skipUnmatched: bool('skipUnmatched') ?? bool('skip-unmatched'), matchYear: q.get('matchYear') ?? q.get('match-year') },
        (f, m) => new BadImportRequest(`${f} ${m}`)),
      skipInvalid: bool('skipInvalid') ?? bool('skip-invalid'), layer: q.get('layer') ?? undefined, sheet: q.get('sheet') ?? undefined,
      encoding: q.get('encoding') ?? undefined, rename,
    },
  };
}

export const importRoute: Route = async (req, res, ctx) => {
  const m = /^\/api\/import\/([a-z-]+)\/?$/.exec(ctx.url.pathname);
  if (!m) return false;
  if (req.method !== 'POST') { send(res, 405, 'text/plain', 'POST the file to import as the request body\n', { allow: 'POST' }); return true; }
  try {
    requireRole(ctx.principal, 'admin', 'import');
  } catch (e) {
    const status = (e as GraphQLError).extensions?.code === 'UNAUTHENTICATED' ? 401 : 403;
    json(res, status, { error: (e as Error).message });
    return true;
  }
  const kind = m[1];
  if (!isImportKind(kind)) { json(res, 404, { error: `unknown import kind '${kind}' (boundaries, city-years, firms, firm-years)` }); return true; }
  let parsed: ReturnType<typeof importOptionsFromQuery>;
  try { parsed = importOptionsFromQuery(ctx.url.searchParams, req.headers['content-type']); } catch (e) {
    json(res, 400, { error: (e as Error).message });
    return true;
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_IMPORT_BYTES) { json(res, 413, { error: `the file is larger than ${MAX_IMPORT_BYTES} bytes` }); return true; }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_IMPORT_BYTES) { json(res, 413, { error: `the file is larger than ${MAX_IMPORT_BYTES} bytes` }); req.destroy(); return true; }
    chunks.push(c as Buffer);
  }
  // without a name the readers tell xlsx and GeoPackage by their bytes; the made-up extension is the kind's default
  const fileName = parsed.fileName ?? `upload.${parsed.opts.format ?? (kind === 'boundaries' ? 'geojson' : 'csv')}`;
  const report = await runImport(ctx.db, kind, { fileName, body: Buffer.concat(chunks) }, parsed.opts, undefined, { keyId: ctx.principal.keyId, via: 'http' });
  json(res, report.status === 'ok' || report.status === 'dry-run' ? 200 : report.status === 'rejected' ? 422 : 500, report);
  return true;
};
