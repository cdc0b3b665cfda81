// What is derived from imported data, brought up to date inside the import's transaction. Interior points, areas
// and neighbours of imported units are written by the boundary importer itself (it has the file's exact geometry);
// what is left is done here.
import type { Db } from '../db/db.js';
import { refreshOutlines } from '../db/queries/outlines.js';
import type { ImportKind } from './types.js';

/** Returns one line per derived thing refreshed (for the report). */
export async function refreshDerived(tx: Db, kind: ImportKind, codes: string[]): Promise<string[]> {
  const done: string[] = [];
  if (kind === 'boundaries' && codes.length) {
    const r = await refreshOutlines(tx, codes);
    done.push(`simplified outlines: ${r.units} units × ${r.rows / Math.max(1, r.units)} tolerances`);
  }
  // firms / firm-years: the importers recompute the affected firms' kinds themselves (src/import/classify.ts)
  return done;
}
