// imports(first): the import log; importData(kind, content, fileName, options): a small inline import (admin only).
import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requireRole } from '../auth/roles.js';
import { recentImports, runImport } from '../import/core.js';
import { isImportKind } from '../import/registry.js';
import { matchOptions } from '../units/options.js';
import { IMPORT_FORMATS, IMPORT_KINDS, type ImportFormat, type ImportReport, type RowProblem } from '../import/types.js';
import { parseRenames } from '../import/options.js';
import { ImportOptionsInput, ImportRecord } from '../schema/imports.js';
import { badInput } from './errors.js';
import type { Context } from './loaders.js';

/** Inline content above this size goes through POST /api/import/{kind} or the CLI instead. */
export const MAX_INLINE_IMPORT_BYTES = 5 * 1024 * 1024;

const toProblem = (p: RowProblem) => ({ line: p.line, column: p.column ?? null, value: p.value === undefined ? null : String(p.value), reason: p.reason, feature: p.feature ?? null });

const toRecord = (r: Omit<ImportReport, 'dataVersion'> & { dataVersion?: number | null; keyId?: string | null; via?: string | null }): ImportRecord => ({
  id: r.id ?? null, kind: r.kind, fileName: r.fileName, status: r.status, rowsRead: r.rowsRead, counts: r.counts,
  problemCount: r.problemCount,
  problems: r.problems.map(toProblem),
  matched: Object.entries(r.matched ?? {}).map(([method, rows]) => ({ method, rows: rows ?? 0 })),
  skipped: r.skipped ?? 0, skippedRows: (r.skippedRows ?? []).map(toProblem),
  derived: r.derived ?? [], warnings: r.warnings, startedAt: r.startedAt, finishedAt: r.finishedAt ?? null,
  dataVersion: r.dataVersion ?? null, keyId: r.keyId ?? null, via: r.via ?? null,
});

@Resolver()
export class ImportResolver {
  @Query(() => [ImportRecord], { description: 'What was imported, when, by whom, how many rows, status and problems; newest first.' })
  async imports(@Ctx() ctx: Context, @Arg('first', () => Int, { defaultValue: 20 }) first = 20): Promise<ImportRecord[]> {
    if (!Number.isInteger(first) || first < 1 || first > 1000) throw badInput('first', 'must be an integer 1-1000');
    return (await recentImports(ctx.db, first)).map((r) => toRecord(r));
  }

  @Mutation(() => ImportRecord, { description: `Imports a small file given inline (at most ${MAX_INLINE_IMPORT_BYTES / 1024 / 1024} MB: CSV, GeoJSON or TopoJSON as text; xlsx, GeoPackage or a non-UTF-8 CSV as base64 with base64: true); admin only. Bad rows: status rejected, nothing written.` })
  async importData(
    @Ctx() ctx: Context,
    @Arg('kind', () => String, { description: IMPORT_KINDS.join(', ') }) kind: string,
    @Arg('content', () => String) content: string,
    @Arg('fileName', () => String, { nullable: true }) fileName?: string,
    @Arg('options', () => ImportOptionsInput, { nullable: true }) options?: ImportOptionsInput,
    @Arg('base64', () => Boolean, { nullable: true, description: 'content is base64 (binary files: xlsx, gpkg, a GB18030 CSV)' }) base64?: boolean,
  ): Promise<ImportRecord> {
    requireRole(ctx.principal, 'admin', 'importData');
    if (!isImportKind(kind)) throw badInput('kind', `must be one of ${IMPORT_KINDS.join(', ')}`);
    const bytes = base64 ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
    if (bytes.length > MAX_INLINE_IMPORT_BYTES) throw badInput('content', `is ${bytes.length} bytes; inline imports take at most ${MAX_INLINE_IMPORT_BYTES} (use POST /api/import/${kind} or the CLI)`);
    const name = fileName ?? (kind === 'boundaries' ? 'inline.geojson' : 'inline.csv');
    const o = options ?? {};
    if (o.format && !(IMPORT_FORMATS as readonly string[]).includes(o.format)) throw badInput('options.format', `must be one of ${IMPORT_FORMATS.join(', ')}`);
    let rename: Record<string, string> | undefined;
    try { rename = parseRenames(o.rename ?? undefined); } catch (e) { throw badInput('options.rename', (e as Error).message); }
    const report = await runImport(ctx.db, kind, { fileName: name, body: bytes }, {
      codeField: o.codeField ?? undefined, nameField: o.nameField ?? undefined, yearField: o.yearField ?? undefined,
      provinceField: o.provinceField ?? undefined, regionField: o.regionField ?? undefined, contiguity: o.contiguity ?? undefined,
      replace: o.replace ?? undefined, dryRun: o.dryRun ?? undefined, repair: o.repair ?? undefined, maxProblems: o.maxProblems ?? undefined,
      ...matchOptions({ match: o.match, skipUnmatched: o.skipUnmatched, matchYear: o.matchYear }, (f, m) => badInput(`options.${f}`, m)),
      skipInvalid: o.skipInvalid ?? undefined, layer: o.layer ?? undefined, sheet: o.sheet ?? undefined, encoding: o.encoding ?? undefined,
      rename, format: (o.format ?? undefined) as ImportFormat | undefined,
    }, undefined, { keyId: ctx.principal.keyId, via: 'graphql' });
    return toRecord({ ...report, keyId: ctx.principal.keyId ?? null, via: 'graphql' });
  }
}
