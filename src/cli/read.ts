// Reads analyst data files into a DataFrame: CSV with a header row (csv-parse) or GeoJSON (feature properties).
// Columns are numeric when every non-missing value parses as a number; empty, NA and NaN are missing.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { frameFromRecords, type DataFrame } from '../estimation/frame.js';
import { EstimationInputError } from '../estimation/result.js';

/** `shown`: the path as the user gave it (file may be resolved against the caller's directory). */
export function readText(file: string, what: string, shown = file): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EstimationInputError(`cannot read ${what} '${shown}'${code === 'ENOENT' ? ': no such file' : `: ${(e as Error).message}`}`, what);
  }
}

export const isGeoJSONPath = (file: string) => /\.(geo)?json$/i.test(file);

export function parseGeoJSON(text: string, file: string): { type: string; features: { properties?: Record<string, unknown> | null }[] } {
  let fc: unknown;
  try {
    fc = JSON.parse(text);
  } catch (e) {
    throw new EstimationInputError(`${file}: invalid JSON: ${(e as Error).message}`, file);
  }
  const obj = fc as { type?: string; features?: unknown };
  if (!obj || obj.type !== 'FeatureCollection' || !Array.isArray(obj.features))
    throw new EstimationInputError(`${file}: expected a GeoJSON FeatureCollection`, file);
  return fc as { type: string; features: { properties?: Record<string, unknown> | null }[] };
}

export function readCsvFrame(text: string, file: string): DataFrame {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new EstimationInputError(`${file}: CSV parse error at line ${err.lines ?? '?'}: ${err.message}`, file);
  }
  if (!rows.length) throw new EstimationInputError(`${file}: no data rows`, file);
  return frameFromRecords(rows);
}

/** DataFrame of a CSV or GeoJSON file (by extension); GeoJSON properties become columns. */
export function readDataFile(file: string, shown = file): DataFrame {
  const text = readText(file, 'data file', shown);
  if (isGeoJSONPath(file)) {
    const fc = parseGeoJSON(text, path.basename(file));
    return frameFromRecords(fc.features.map((f) => {
      const p = { ...(f.properties ?? {}) };
      for (const [k, v] of Object.entries(p)) if (v !== null && typeof v === 'object') delete p[k];
      return p;
    }));
  }
  return readCsvFrame(text, path.basename(file));
}
