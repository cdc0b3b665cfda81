// Option values the three doors (CLI flags, HTTP query, GraphQL input) share in text form.

export class BadOption extends Error {}

/**
 * Header renames from `FROM=TO` items (each item may be a comma list): `人均GDP=gdppc,城镇化率=urbrate`.
 * A name given twice, or an item without `=`, is an error.
 */
export function parseRenames(items: readonly string[] | undefined): Record<string, string> | undefined {
  if (!items?.length) return undefined;
  const out: Record<string, string> = {};
  for (const item of items.flatMap((s) => s.split(','))) {
    const t = item.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    const from = t.slice(0, eq).trim(), to = t.slice(eq + 1).trim();
    if (eq < 0 || !from || !to) throw new BadOption(`rename must be FROM=TO (e.g. 人均GDP=gdppc), got "${t}"`);
    if (from in out) throw new BadOption(`rename gives '${from}' twice`);
    out[from] = to;
  }
  return Object.keys(out).length ? out : undefined;
}

/** The renames back as the `FROM=TO` items the doors take. */
export const renameItems = (r: Record<string, string> | undefined): string[] => Object.entries(r ?? {}).map(([a, b]) => `${a}=${b}`);
