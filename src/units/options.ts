// The unit-matching options of an import, checked in one place for every door (CLI, HTTP, GraphQL). Kept apart from
// the matcher so the doors do not load the name dictionaries (OpenCC, pinyin) before an import needs them.
import type { ImportOptions } from '../import/types.js';

export type MatchMode = 'auto' | 'code' | 'name';
export const MATCH_MODES: readonly MatchMode[] = ['auto', 'code', 'name'];

/**
 * The matching options as every door gives them (CLI flags, query string, GraphQL input: strings), checked:
 * match auto|code|name, skipUnmatched, matchYear (a year or 'founded'). `fail(field, message)` makes the door's error.
 */
export function matchOptions(
  raw: { match?: string | null; skipUnmatched?: boolean | null; matchYear?: string | number | null },
  fail: (field: string, message: string) => Error,
): Pick<ImportOptions, 'match' | 'skipUnmatched' | 'matchYear'> {
  const out: Pick<ImportOptions, 'match' | 'skipUnmatched' | 'matchYear'> = {};
  if (raw.match !== undefined && raw.match !== null) {
    if (!(MATCH_MODES as readonly string[]).includes(raw.match)) throw fail('match', `must be auto, code or name, got "${raw.match}"`);
    out.match = raw.match as MatchMode;
  }
  if (raw.skipUnmatched !== undefined && raw.skipUnmatched !== null) out.skipUnmatched = raw.skipUnmatched;
  if (raw.matchYear !== undefined && raw.matchYear !== null && raw.matchYear !== '') {
    const y = String(raw.matchYear);
    if (y === 'founded') out.matchYear = 'founded';
    else if (/^\d{4}$/.test(y)) out.matchYear = Number(y);
    else throw fail('matchYear', `must be a year or 'founded', got "${y}"`);
  }
  return out;
}
