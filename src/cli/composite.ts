// `agglomera composite --name N --indicators a,b,-c [...]`, `composite list`, `composite drop NAME`: a door onto the
// composite core (src/composites), as GraphQL's defineComposite / composites / dropComposite are.
import { parseArgs } from 'node:util';
import { defineComposite, dropComposite, listComposites, parseYearsRange, type CompositeDefinitionInput, type CompositeInfo } from '../composites/index.js';
import { DomainInputError } from '../domain/errors.js';
import { UsageError } from './errors.js';
import { cliOut, openCliStore } from './io.js';

export const COMPOSITE_USAGE = `usage: agglomera composite --name NAME --indicators x1,x2,-x3 [--method entropy|equal]
                          [--weighting pooled|per-year] [--years FROM:TO] [--shift 1e-4] [--json]
       agglomera composite list [--json]
       agglomera composite drop NAME

  Defines (or redefines) a composite index of stored variables (imported ones, the NQP indicators); a leading '-'
  marks a cost indicator (write --indicators=-x1,x2 when the first one is). Entropy method: min-max normalisation by
  direction, + shift, p = z / sum z, e = -sum p ln p / ln n, w = (1 - e) / sum (1 - e), value = sum w z (see
  docs/composites.md). Its values are then the variable NAME in formulas, value(name:), OGC, tiles and the map.`;

const fmt = (x: number) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(6) : x.toExponential(4));

/** The definition and its weights as a plain-text table. */
export function compositeText(c: CompositeInfo): string {
  const head = `composite ${c.name}${c.builtin ? ' (built in)' : ''}: ${c.method}, ${c.weighting} weights, `
    + `${c.years ? `years ${c.years[0]}-${c.years[1]}, ` : ''}shift ${c.shift}; ${c.n} city-years with a value`;
  if (c.error) return `${head}\n  cannot be computed on the current data: ${c.error}`;
  if (!c.weights.length) return `${head}\n  none of its indicators has a stored value`;
  const rows = [['year', 'indicator', 'direction', 'weight', 'entropy'],
    ...c.weights.flatMap((g) => g.indicators.map((w) => [g.year === null ? 'pooled' : String(g.year), w.indicator, w.direction > 0 ? '+1' : '-1', fmt(w.weight), fmt(w.entropy)]))];
  const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return [head, ...rows.map((r) => `  ${r.map((x, i) => x.padEnd(width[i])).join('  ').trimEnd()}`)].join('\n');
}

export async function runComposite(argv: string[]): Promise<number> {
  if (!argv.length || argv[0] === '--help' || argv[0] === '-h') { cliOut(`${COMPOSITE_USAGE}\n`); return argv.length ? 0 : 2; }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        name: { type: 'string' }, indicators: { type: 'string' }, method: { type: 'string' }, weighting: { type: 'string' },
        years: { type: 'string' }, shift: { type: 'string' }, json: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${COMPOSITE_USAGE}`);
  }
  const { values: v, positionals: pos } = parsed;
  const sub = pos[0];
  if (sub !== undefined && sub !== 'list' && sub !== 'drop') throw new UsageError(`unknown composite command '${sub}'\n${COMPOSITE_USAGE}`);
  if (sub === 'drop' && pos.length !== 2) throw new UsageError('composite drop needs one NAME');
  if (sub === undefined && (!v.name || !v.indicators)) throw new UsageError(`composite needs --name and --indicators\n${COMPOSITE_USAGE}`);
  let def: Record<string, unknown> | undefined;
  if (sub === undefined) {
    const shift = v.shift !== undefined ? Number(v.shift) : undefined;
    if (v.shift !== undefined && !Number.isFinite(shift)) throw new UsageError(`--shift: '${v.shift}' is not a number`);
    try {
      def = {
        name: v.name, indicators: v.indicators!.split(',').map((s) => s.trim()).filter(Boolean),
        ...(v.method ? { method: v.method } : {}), ...(v.weighting ? { weighting: v.weighting } : {}),
        ...(v.years ? { years: parseYearsRange(v.years) } : {}), ...(shift !== undefined ? { shift } : {}),
      };
    } catch (e) {
      if (e instanceof DomainInputError) throw new UsageError(e.message);
      throw e;
    }
  }
  const db = await openCliStore();
  try {
    if (sub === 'list') {
      const all = await listComposites(db);
      cliOut(`${v.json ? JSON.stringify(all, null, 2) : all.map(compositeText).join('\n\n')}\n`);
    } else if (sub === 'drop') {
      await dropComposite(db, pos[1]);
      cliOut(`dropped composite ${pos[1]}\n`);
    } else {
      const c = await defineComposite(db, def as CompositeDefinitionInput); // validated there (zod)
      cliOut(`${v.json ? JSON.stringify(c, null, 2) : compositeText(c)}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof DomainInputError) throw new UsageError(e.message);
    throw e;
  } finally {
    await db.close();
  }
}
