// The unit matcher as the CSV importers use it: one per import, built from the store's units inside the import's
// transaction; resolves a row's unit column to a code, counts rows per method and either records a problem or, with
// skipUnmatched, leaves the row out and lists it.
import type { Db } from '../db/db.js';
import { storedUnits } from '../db/queries/units.js';
import type { Problems } from '../import/csv.js';
import type { ImportOptions, RowProblem } from '../import/types.js';
import { UnitMatcher, type MatchMethod } from './match.js';

export class ImportUnitMatcher {
  readonly matched: Partial<Record<MatchMethod, number>> = {};
  skipped = 0;
  readonly skippedRows: RowProblem[] = [];

  private constructor(readonly matcher: UnitMatcher, private readonly skip: boolean, private readonly max: number) {}

  static async open(tx: Db, opts: ImportOptions): Promise<ImportUnitMatcher> {
    const units = await storedUnits(tx);
    return new ImportUnitMatcher(new UnitMatcher(units, { mode: opts.match ?? 'auto' }), opts.skipUnmatched === true, opts.maxProblems ?? 100);
  }

  /** The code of the row's unit, or null (a problem recorded, or the row skipped). */
  resolve(value: string, at: { line: number; column: string; province?: string | null; year?: number | null }, problems: Problems): string | null {
    const r = this.matcher.match(value, { province: at.province, year: at.year });
    if (r.ok) {
      this.matched[r.method] = (this.matched[r.method] ?? 0) + 1;
      return r.code;
    }
    const p: RowProblem = { line: at.line, column: at.column, value, reason: r.reason };
    // a missing value is a bad row, not an unmatched name
    if (this.skip && value.trim()) {
      this.skipped++;
      if (this.skippedRows.length < this.max) this.skippedRows.push(p);
    } else problems.add(p);
    return null;
  }

  /** The report's part: per-method counts and the skipped rows (only what applies). */
  report(): { matched: Partial<Record<MatchMethod, number>>; skipped?: number; skippedRows?: RowProblem[]; warnings: string[] } {
    const warnings = this.skipped ? [`${this.skipped} row${this.skipped === 1 ? '' : 's'} skipped: unit not matched (--skip-unmatched; listed in skippedRows)`] : [];
    return { matched: this.matched, ...(this.skip ? { skipped: this.skipped, skippedRows: this.skippedRows } : {}), warnings };
  }
}

