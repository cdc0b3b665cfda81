// Query.firms and the filter / orderBy arguments of City.firms: FirmFilter + FirmOrderInput → searchFirms, with
// keyset cursors over the sort keys (stable pages). City.firms with either argument pages per city through the
// firmSearch loader (one statement per batch of cities).
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, Info, Int, Query, Resolver } from 'type-graphql';
import { FIRM_SORT_ATTRIBUTES, FIRM_YEAR_VALUES, searchFirms, type FirmAfter, type FirmSearch, type SortValue } from '../db/queries/firm-search.js';
import type { FirmPage, FirmRecord } from '../db/queries/panel.js';
import { DEFAULT_RULE_SET } from '../domain/rules.js';
import { FirmOrderInput, SortDirection } from '../schema/query-inputs.js';
import { FirmConnection, FirmFilter, type Firm } from '../schema/types.js';
import { badInput } from './errors.js';
import { MAX_PAGE } from './query.js';
import type { Context } from './loaders.js';
import { checkPositiveInt, checkYear, valueComparisons } from './validate.js';

const MAX_TERMS = 10;
const DATE = /^\d{4}(-\d{2}-\d{2})?$/;

/** The search of a FirmFilter / orderBy (checked; errors name the argument). `inCity` drops city / province. */
export function firmSearchOf(f: FirmFilter | null | undefined, orderBy: readonly FirmOrderInput[] | null | undefined, arg = 'filter'): FirmSearch {
  const s: FirmSearch = { ruleVersion: DEFAULT_RULE_SET.version };
  if (!f && !orderBy?.length) return s;
  if ((f?.values?.length ?? 0) + (orderBy?.length ?? 0) > MAX_TERMS) throw badInput(`${arg}.values`, `at most ${MAX_TERMS} value conditions and sort keys together`);
  if (f?.kind) s.kind = f.kind as FirmSearch['kind'];
  if (f?.year !== undefined && f.year !== null) { checkYear(`${arg}.year`, f.year); s.year = f.year; }
  if (f?.industry?.length) s.industry = f.industry;
  if (f?.listed !== undefined && f.listed !== null) s.listed = f.listed;
  if (f?.city?.length) s.city = f.city;
  if (f?.province?.length) s.province = f.province;
  if (f?.founded) {
    for (const k of ['from', 'to'] as const) {
      const v = f.founded[k];
      if (v === undefined || v === null) continue;
      if (!DATE.test(v) || Number.isNaN(Date.parse(v.length === 4 ? `${v}-01-01` : v))) throw badInput(`${arg}.founded.${k}`, `must be YYYY or YYYY-MM-DD, got ${v}`);
    }
    const from = f.founded.from ?? undefined, to = f.founded.to ?? undefined;
    s.founded = { from: from && from.length === 4 ? `${from}-01-01` : from, to: to && to.length === 4 ? `${to}-12-31` : to };
  }
  s.values = [];
  for (const [j, v] of (f?.values ?? []).entries()) {
    const a = `${arg}.values[${j}]`;
    if (!Object.hasOwn(FIRM_YEAR_VALUES, v.variable)) throw badInput(`${a}.variable`, `unknown firm-year figure ${v.variable}: one of ${Object.keys(FIRM_YEAR_VALUES).join(', ')}`);
    checkYear(`${a}.year`, v.year);
    for (const c of valueComparisons(a, v)) s.values.push({ field: v.variable, year: v.year, ...c });
  }
  s.sort = [];
  s.desc = [];
  for (const [j, o] of (orderBy ?? []).entries()) {
    const a = `orderBy[${j}]`;
    if (Object.hasOwn(FIRM_SORT_ATTRIBUTES, o.variable)) {
      if (o.year !== undefined && o.year !== null) throw badInput(`${a}.year`, `${o.variable} has no year`);
      s.sort.push({ attribute: o.variable });
    } else if (Object.hasOwn(FIRM_YEAR_VALUES, o.variable)) {
      if (o.year === undefined || o.year === null) throw badInput(`${a}.year`, `${o.variable} is a firm-year figure: give the year`);
      checkYear(`${a}.year`, o.year);
      s.sort.push({ field: o.variable, year: o.year });
    } else {
      throw badInput(`${a}.variable`, `unknown sort key ${o.variable}: one of ${[...Object.keys(FIRM_SORT_ATTRIBUTES), ...Object.keys(FIRM_YEAR_VALUES)].join(', ')}`);
    }
    s.desc.push(o.direction === SortDirection.DESC);
  }
  return s;
}

// `firms:<json [values..., id]>` in base64url; the number of values must match the sort keys it is used with
export const firmCursor = {
  encode: (values: readonly SortValue[], id: number) => Buffer.from(`firms:${JSON.stringify([...values, id])}`, 'utf8').toString('base64url'),
  decode(arg: string, c: string, keys: number): FirmAfter {
    let a: unknown;
    try {
      const s = Buffer.from(c, 'base64url').toString('utf8');
      a = s.startsWith('firms:') ? JSON.parse(s.slice(6)) : s.startsWith('firm:') ? [Number(s.slice(5))] : undefined;
    } catch { a = undefined; }
    if (!Array.isArray(a) || a.length !== keys + 1 || !Number.isInteger(a[keys]) || !a.slice(0, keys).every((v) => v === null || typeof v === 'number' || typeof v === 'string')) {
      throw badInput(arg, 'is not a cursor returned by this field with this orderBy');
    }
    return { values: a.slice(0, keys) as SortValue[], id: a[keys] as number };
  },
};

export function firmSearchConnection(page: FirmPage<FirmRecord & { _sort: SortValue[] }>, first: number): FirmConnection {
  const nodes = page.rows.slice(0, first);
  const last = nodes[nodes.length - 1];
  return {
    nodes: nodes as unknown as Firm[],
    totalCount: page.total ?? 0,
    pageInfo: { hasNextPage: page.rows.length > first, endCursor: last ? firmCursor.encode(last._sort, last.id) : null },
  };
}

@Resolver()
export class FirmQueryResolver {
  @Query(() => FirmConnection, { description: 'Firms matching every given filter, ordered by the sort keys (nulls last) and id.' })
  async firms(
    @Ctx() ctx: Context,
    @Arg('filter', () => FirmFilter, { nullable: true }) filter?: FirmFilter,
    @Arg('orderBy', () => [FirmOrderInput], { nullable: true }) orderBy?: FirmOrderInput[],
    @Arg('first', () => Int, { defaultValue: 50 }) first = 50,
    @Arg('after', () => String, { nullable: true }) after?: string,
    @Info() _info?: GraphQLResolveInfo,
  ): Promise<FirmConnection> {
    checkPositiveInt('first', first, MAX_PAGE);
    const s = firmSearchOf(filter, orderBy);
    const a = after ? firmCursor.decode('after', after, s.sort?.length ?? 0) : undefined;
    const page = (await searchFirms(ctx.db, s, first, a)).get('') ?? { total: 0, rows: [] };
    return firmSearchConnection(page, first);
  }
}
