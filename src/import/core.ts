// The one import core: every door (CLI, HTTP, GraphQL) calls runImport. One import = one transaction: the importer
// writes inside it, derived data is brought up to date inside it, and on any problem (or a dry run) it rolls back.
// Every import, written or not, leaves one row in import_log.
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import { getMeta, setMeta } from '../db/queries/load.js';
import { importerFor } from './registry.js';
import {
  DEFAULT_MAX_PROBLEMS, ImportRejected,
  type ImportActor, type ImportCounts, type ImporterResult, type ImportInput, type ImportKind, type ImportOptions, type ImportReport, type Progress, type RowProblem,
} from './types.js';
import { refreshDerived } from './derived.js';
import { digesting, inputDigest, loggedOptions, sameFileCandidate, sameFileResult } from './same-file.js';

/** Thrown inside the transaction to roll a valid dry run back. */
class DryRunRollback extends Error {
  constructor(readonly result: ImporterResult) { super('dry run'); }
}

const ZERO: ImportCounts = { inserted: 0, updated: 0, unchanged: 0, deleted: 0 };

export async function currentDataVersion(db: Db): Promise<number> {
  const [r] = await db.query<{ v: string }>(sql`SELECT value AS v FROM dataset_meta WHERE key = 'data_version'`);
  return r ? Number(r.v) : 0;
}

/** Bumps the data version once (cached estimates and indices keyed by it become stale). */
export async function bumpDataVersion(db: Db): Promise<number> {
  const [r] = await db.query<{ v: string }>(sql`
    INSERT INTO dataset_meta (key, value) VALUES ('data_version', '1')
    ON CONFLICT (key) DO UPDATE SET value = (dataset_meta.value::bigint + 1)::text RETURNING value AS v`);
  return Number(r.v);
}

/**
 * Runs one import of `kind` from `input` in one transaction and returns its report (never throws for bad input:
 * status 'rejected' lists the bad rows, 'failed' carries the unexpected error in warnings[0]).
 */
export async function runImport(
  db: Db, kind: ImportKind, input: ImportInput, opts: ImportOptions = {}, progress?: Progress, actor: ImportActor = {},
): Promise<ImportReport> {
  const startedAt = new Date();
  const maxProblems = opts.maxProblems ?? DEFAULT_MAX_PROBLEMS;
  const base = { kind, fileName: input.fileName, startedAt: startedAt.toISOString() };
  let report: ImportReport;
  let digest: string | null = null;
  try {
    const importer = await importerFor(kind);
    const probe = importer.sameFileUnchanged && await sameFileCandidate(db, kind, opts) ? await inputDigest(input) : null;
    const written = await db.transaction(async (tx) => {
      const before = await currentDataVersion(tx);
      const same = probe ? await sameFileResult(tx, kind, probe, opts) : null;
      if (same) progress?.(same.rowsRead);
      const read = importer.sameFileUnchanged ? digesting(input, probe) : null;
      const r = same ?? await importer.run(tx, read?.input ?? input, { ...opts, maxProblems }, progress);
      digest = same ? probe : read?.digest() ?? null;
      if (opts.dryRun) throw new DryRunRollback(r);
      const changed = r.changed === true || r.counts.inserted + r.counts.updated + r.counts.deleted > 0;
      const derived = [...(r.derived ?? [])];
      if (changed) {
        derived.push(...await refreshDerived(tx, kind, r.touchedCodes ?? []));
        await describeUserData(tx, kind, input.fileName);
      }
      // The data version moves once per import that changed something (triggers on the panel tables may have
      // moved it already; a re-import of the same file leaves it where it was unless such a trigger fired).
      const after = await currentDataVersion(tx);
      const dataVersion = changed && after === before ? await bumpDataVersion(tx) : after;
      const rep: ImportReport = { ...base, ...r, derived, status: 'ok', dataVersion, finishedAt: new Date().toISOString() };
      delete (rep as { touchedCodes?: unknown }).touchedCodes;
      delete (rep as { changed?: unknown }).changed;
      rep.id = await logImport(tx, rep, opts, actor, digest);
      return rep;
    });
    return written;
  } catch (e) {
    if (e instanceof DryRunRollback) {
      report = { ...base, ...e.result, status: 'dry-run', finishedAt: new Date().toISOString() };
      delete (report as { touchedCodes?: unknown }).touchedCodes;
      delete (report as { changed?: unknown }).changed;
    } else if (e instanceof ImportRejected) {
      report = {
        ...base, status: 'rejected', rowsRead: e.rowsRead, counts: { ...ZERO },
        problems: e.problems.slice(0, maxProblems), problemCount: e.problemCount, warnings: [], finishedAt: new Date().toISOString(),
      };
    } else {
      report = {
        ...base, status: 'failed', rowsRead: 0, counts: { ...ZERO }, problems: [], problemCount: 0,
        warnings: [`import failed, nothing was written: ${(e as Error).message}`], finishedAt: new Date().toISOString(),
      };
    }
  }
  report.dataVersion = await currentDataVersion(db).catch(() => undefined);
  report.id = await logImport(db, report, opts, actor, digest).catch(() => undefined);
  return report;
}

/** Keeps `dataset { synthetic description }` true: once user data is in, the store is no longer (only) the demo. */
async function describeUserData(tx: Db, kind: ImportKind, fileName: string): Promise<void> {
  const meta = await getMeta(tx);
  const [c] = await tx.query<{ cities: number; firms: number; city_years: number; variables: number }>(sql`
    SELECT (SELECT count(*) FROM city)::int AS cities, (SELECT count(*) FROM firm)::int AS firms,
           (SELECT count(*) FROM city_year)::int AS city_years, (SELECT count(DISTINCT name) FROM city_variable)::int AS variables`);
  const demo = meta.seed !== undefined; // only the demo loader sets a seed
  const imported = new Set((meta.user_data ?? '').split(',').filter(Boolean));
  imported.add(kind);
  const parts = [
    `User data imported (${[...imported].sort().join(', ')}; last: ${kind} from ${fileName}).`,
    `Store now holds ${c.cities} units, ${c.firms} firms, ${c.city_years} unit-years, ${c.variables} analyst variables.`,
    demo ? 'The synthetic demo data loaded earlier is still present beside it (demo firms and metrics are simulated).' : '',
  ];
  await setMeta(tx, {
    // `loaded` keeps the demo from being loaded on top of user data at a later start
    loaded: 'true', synthetic: 'false', user_data: [...imported].sort().join(','),
    description: parts.filter(Boolean).join(' '),
    ...(kind === 'boundaries' ? { boundaries: `imported from ${fileName}` } : {}),
  });
}

async function logImport(db: Db, r: ImportReport, opts: ImportOptions, actor: ImportActor, digest: string | null): Promise<string> {
  const options = loggedOptions(opts);
  const message = r.status === 'failed' ? r.warnings[0] ?? null : null;
  const [row] = await db.query<{ id: string }>(sql`
    INSERT INTO import_log (kind, file_name, status, rows_read, inserted, updated, unchanged, deleted, problem_count, problems,
                            options, derived, warnings, message, started_at, finished_at, key_id, via, data_version,
                            skipped, skipped_rows, matched, digest)
    VALUES (${r.kind}, ${r.fileName}, ${r.status}, ${r.rowsRead}::int, ${r.counts.inserted}::int, ${r.counts.updated}::int,
            ${r.counts.unchanged}::int, ${r.counts.deleted}::int, ${r.problemCount}::int, ${JSON.stringify(r.problems)}::jsonb,
            ${JSON.stringify(options)}::jsonb, ${JSON.stringify(r.derived ?? [])}::jsonb, ${JSON.stringify(r.warnings)}::jsonb,
            ${message}, ${r.startedAt}::timestamptz, ${r.finishedAt ?? new Date().toISOString()}::timestamptz,
            ${actor.keyId ?? null}, ${actor.via ?? null}, ${r.dataVersion ?? null}::bigint,
            ${r.skipped ?? 0}::int, ${JSON.stringify(r.skippedRows ?? [])}::jsonb, ${JSON.stringify(r.matched ?? {})}::jsonb, ${digest})
    RETURNING id::text AS id`);
  return row.id;
}

export interface ImportLogRow {
  id: string; kind: ImportKind; fileName: string; status: ImportReport['status']; rowsRead: number; counts: ImportCounts;
  problemCount: number; problems: RowProblem[]; derived: string[]; warnings: string[]; message: string | null;
  startedAt: string; finishedAt: string; keyId: string | null; via: string | null; dataVersion: number | null; options: ImportOptions;
  skipped: number; skippedRows: RowProblem[]; matched: ImportReport['matched'];
}

/** The latest imports, newest first. */
export async function recentImports(db: Db, first: number): Promise<ImportLogRow[]> {
  const rows = await db.query<Record<string, unknown>>(sql`
    SELECT id::text AS id, kind, file_name, status, rows_read, inserted, updated, unchanged, deleted, problem_count, problems,
           options, derived, warnings, message, started_at, finished_at, key_id, via, data_version, skipped, skipped_rows, matched
    FROM import_log ORDER BY started_at DESC, id DESC LIMIT ${first}::int`);
  const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
  return rows.map((r) => ({
    id: r.id as string, kind: r.kind as ImportKind, fileName: r.file_name as string, status: r.status as ImportReport['status'],
    rowsRead: Number(r.rows_read),
    counts: { inserted: Number(r.inserted), updated: Number(r.updated), unchanged: Number(r.unchanged), deleted: Number(r.deleted) },
    problemCount: Number(r.problem_count), problems: json<RowProblem[]>(r.problems), derived: json<string[]>(r.derived),
    warnings: json<string[]>(r.warnings), message: (r.message as string | null) ?? null,
    startedAt: iso(r.started_at), finishedAt: iso(r.finished_at), keyId: (r.key_id as string | null) ?? null,
    via: (r.via as string | null) ?? null, dataVersion: r.data_version === null ? null : Number(r.data_version),
    options: json<ImportOptions>(r.options),
    skipped: Number(r.skipped), skippedRows: json<RowProblem[]>(r.skipped_rows), matched: json<ImportReport['matched']>(r.matched),
  }));
}
