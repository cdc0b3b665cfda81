// The contract of the one import core: every kind of import (CLI, HTTP, GraphQL) runs through `Importer.run` inside
// one transaction and returns an ImportReport. A report with problems means nothing was written.
import type { Db } from '../db/db.js';

export type ImportKind = 'boundaries' | 'city-years' | 'firms' | 'firm-years';
export const IMPORT_KINDS: readonly ImportKind[] = ['boundaries', 'city-years', 'firms', 'firm-years'];

/** One bad row (or feature): where it is, what is wrong. `line` is the 1-based file line (CSV) or feature index + 1. */
export interface RowProblem {
  line: number;
  column?: string;
  value?: string;
  reason: string;
  /** feature id / unit code when known (boundaries) */
  feature?: string;
}

export interface ImportOptions {
  /** column / property holding the unit code (default per kind, e.g. "code") */
  codeField?: string;
  /** column / property holding the unit name */
  nameField?: string;
  /** column holding the year (city-years, firm-years) */
  yearField?: string;
  /** contiguity rule for imported units: exact (shared boundary points, as spdep poly2nb) or band (tolerance band) */
  contiguity?: 'exact' | 'band';
  /** replace what the file covers (its units / unit-years / firms) instead of upserting */
  replace?: boolean;
  /** validate and report, write nothing */
  dryRun?: boolean;
  /** make invalid polygons valid instead of refusing them */
  repair?: boolean;
  /** how many problems to list in full (the total is always counted) */
  maxProblems?: number;
  /** boundaries: property holding the province / parent unit name (optional); city-years, firms: column with the
   *  province of a row's unit name (name matching looks only there) */
  provinceField?: string;
  /** boundaries: property holding the region (optional) */
  regionField?: string;
  /** city-years, firms: how the unit column is read — auto (code, then name in any form; default), code, name */
  match?: 'auto' | 'code' | 'name';
  /** city-years, firms: leave out rows whose unit matches nothing (or several units) and list them, instead of refusing the file */
  skipUnmatched?: boolean;
  /** firms: the year whose unit names a row's unit name is read in (default: the latest; 'founded': the firm's founding year) */
  matchYear?: number | 'founded';
  /** input format when neither the file name nor the bytes tell (see src/import/sniff.ts) */
  format?: ImportFormat;
  /** xlsx: the sheet to read, by name or 1-based number as text (default the first sheet) */
  sheet?: string;
  /** CSV text encoding (any iconv-lite name: utf8, gb18030, gbk, ...); default detected (UTF-8, else GB18030) */
  encoding?: string;
  /** CSV / xlsx: header renames applied before anything else reads the header, e.g. { 人均GDP: 'gdppc' } */
  rename?: Record<string, string>;
  /** GeoPackage: the feature table; TopoJSON: the object (default the first) */
  layer?: string;
  /** boundaries: leave out features with a problem (empty / degenerate / invalid geometry, bad code) and import the rest */
  skipInvalid?: boolean;
}

/** The file formats the readers understand (tabular: csv, xlsx; boundaries: the others). */
export type ImportFormat = 'csv' | 'xlsx' | 'geojson' | 'topojson' | 'gpkg' | 'zip' | 'shp';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['csv', 'xlsx', 'geojson', 'topojson', 'gpkg', 'zip', 'shp'];

/** Default number of problems listed in full in a report. */
export const DEFAULT_MAX_PROBLEMS = 100;

export interface ImportInput {
  /** file name as given (used for the format: .csv, .geojson/.json, .zip, .shp) */
  fileName: string;
  /** the bytes; large CSV inputs are streamed from here */
  body: AsyncIterable<Buffer> | Buffer;
  /** companion files of a Shapefile given as .shp, by extension without the dot: dbf, prj, cpg */
  sidecars?: Record<string, Buffer>;
  /** the file on disk that `body` streams from, when there is one: lets the core take its digest first */
  path?: string;
  /** The same bytes once more from the start (set by the core for an upload given whole or a regular file): an
   *  importer that tried a shortcut and had to give up reads the input again through this. */
  reread?: () => ImportInput;
  /** The size of the input in bytes, when known before reading it (an upload given whole, a regular file). */
  size?: number;
}

export interface ImportCounts {
  inserted: number; updated: number; unchanged: number; deleted: number;
}

export interface ImportReport {
  id?: string;
  kind: ImportKind;
  fileName: string;
  /** ok: written; rejected: bad input, nothing written; dry-run: valid, nothing written; failed: unexpected error */
  status: 'ok' | 'rejected' | 'dry-run' | 'failed';
  rowsRead: number;
  counts: ImportCounts;
  /** first `maxProblems` problems in full */
  problems: RowProblem[];
  /** all problems found */
  problemCount: number;
  /** firms: how many rows found their unit by each method (code, name, point) */
  placed?: Record<string, number>;
  /** names of analyst variables created or updated (city-years) */
  variables?: string[];
  /** rows per unit-matching method (code, name, normalised, short, pinyin, history) */
  matched?: Partial<Record<'code' | 'name' | 'normalised' | 'short' | 'pinyin' | 'history', number>>;
  /** rows / features left out on request (--skip-unmatched, --skip-invalid): how many, and the
   *  first ones in full, with why */
  skipped?: number;
  skippedRows?: RowProblem[];
  /** derived data brought up to date (e.g. "neighbours: 9,244 pairs (exact)") */
  derived?: string[];
  warnings: string[];
  startedAt: string;
  finishedAt?: string;
  dataVersion?: number;
}

export type Progress = (done: number, total?: number) => void;

/** Who runs an import (recorded in import_log). */
export interface ImportActor {
  /** API key id when known */
  keyId?: string;
  /** free text, e.g. "cli", "http", "graphql" */
  via?: string;
}

/** What an importer returns; the core adds kind, file name, status and times. */
export type ImporterResult = Omit<ImportReport, 'startedAt' | 'status' | 'fileName' | 'kind'> & {
  /** units whose outlines were written (boundaries): the core refreshes what is derived from them */
  touchedCodes?: string[];
  /** the store changed although the counts show no inserted / updated / deleted row (e.g. only derived rows) */
  changed?: boolean;
};

export interface Importer {
  kind: ImportKind;
  /** Runs inside the caller's transaction `tx`; throws ImportRejected when the input has problems. */
  run(tx: Db, input: ImportInput, opts: ImportOptions, progress?: Progress): Promise<ImporterResult>;
  /** Its result depends only on the file, the options and tables whose every write moves the data version: the same
   *  file again with nothing written since is known unchanged without reading it in (src/import/same-file.ts). */
  sameFileUnchanged?: boolean;
}

/** Thrown by an importer when the input has bad rows: the transaction rolls back, the report lists them. */
export class ImportRejected extends Error {
  constructor(readonly problems: RowProblem[], readonly problemCount: number, readonly rowsRead: number) {
    super(`${problemCount} bad row${problemCount === 1 ? '' : 's'}; nothing was written`);
  }
}
