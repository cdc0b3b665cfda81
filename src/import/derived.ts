// What is derived from imported data, brought up to date inside the import's transaction. Interior points, areas
// and neighbours of imported units are written by the boundary importer itself (it has the file's exact geometry);
// what is left is done here.
import type { Db } from '../db/db.js';
import type { ImportKind } from './types.js';

type OutlinesModule = { refreshOutlines?: (db: Db, codes?: string[]) => Promise<unknown> };

/** Returns one line per derived thing refreshed (for the report). */
export async function refreshDerived(tx: Db, kind: ImportKind, codes: string[]): Promise<string[]> {
  const done: string[] = [];
  if (kind === 'boundaries' && codes.length) {
    // LEAD: simplified outlines. src/db/queries/outlines.ts (another branch) exports refreshOutlines(db, codes?);
    // it is loaded when present so this branch builds without it. Replace with a static import once merged.
    const spec = '../db/queries/outlines.js';
    const mod = (await import(spec).catch(() => null)) as OutlinesModule | null;
    if (mod?.refreshOutlines) {
      await mod.refreshOutlines(tx, codes);
      done.push(`simplified outlines: ${codes.length} units`);
    }
  }
  // firms / firm-years: the importers recompute the affected firms' kinds themselves (src/import/classify.ts)
  return done;
}
