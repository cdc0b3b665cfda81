// cityStats and firmCounts: aggregates by group computed in SQL (src/db/queries/aggregates.ts).
import { Arg, Ctx, Int, Query, Resolver } from 'type-graphql';
import { cityStats, firmCounts } from '../db/queries/aggregates.js';
import { cityValueRelation, UnknownVariableError, UnknownYearError } from '../db/queries/city-values.js';
import { DEFAULT_RULE_SET } from '../domain/rules.js';
import { CityGroupBy, CityGroupStats, FirmGroupBy, FirmGroupCount } from '../schema/query-inputs.js';
import { FirmKindEnum } from '../schema/types.js';
import { badInput } from './errors.js';
import { checkYear } from './validate.js';
import type { Context } from './loaders.js';

const MAX_VARIABLES = 20;

@Resolver()
export class AggregateResolver {
  @Query(() => [CityGroupStats], { description: 'Statistics of variables in a year per province / region / all units (units without a value are left out of that variable\'s figures).' })
  async cityStats(
    @Ctx() ctx: Context,
    @Arg('groupBy', () => CityGroupBy, { defaultValue: CityGroupBy.ALL }) groupBy: CityGroupBy,
    @Arg('year', () => Int) year: number,
    @Arg('variables', () => [String]) variables: string[],
  ): Promise<CityGroupStats[]> {
    checkYear('year', year);
    if (!variables.length || variables.length > MAX_VARIABLES) throw badInput('variables', `give 1 to ${MAX_VARIABLES} variables`);
    const relations = [];
    for (const [i, v] of variables.entries()) {
      try {
        relations.push(await cityValueRelation(ctx.db, v, year));
      } catch (e) {
        if (e instanceof UnknownVariableError) throw badInput(`variables[${i}]`, e.message);
        if (e instanceof UnknownYearError) throw badInput('year', e.message);
        throw e;
      }
    }
    const rows = await cityStats(ctx.db, groupBy.toLowerCase() as 'province' | 'region' | 'all', relations);
    return rows.map((r) => ({ group: r.group, n: r.n, values: r.stats.map((s, i) => ({ variable: variables[i], ...s })) }));
  }

  @Query(() => [FirmGroupCount], { description: 'Firms with figures in `year` (of `kind` that year when given) per province / city / industry.' })
  async firmCounts(
    @Ctx() ctx: Context,
    @Arg('groupBy', () => FirmGroupBy) groupBy: FirmGroupBy,
    @Arg('year', () => Int) year: number,
    @Arg('kind', () => FirmKindEnum, { nullable: true }) kind?: FirmKindEnum,
  ): Promise<FirmGroupCount[]> {
    checkYear('year', year);
    return firmCounts(ctx.db, groupBy.toLowerCase() as 'province' | 'city' | 'industry', year, kind as never, DEFAULT_RULE_SET.version);
  }
}
