// Query.composites, Mutation.defineComposite / dropComposite: thin doors onto src/composites (the CLI's `composite`
// command is the other door). Defining or dropping is a write of a definition: the analyst role.
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { requireRole } from '../auth/roles.js';
import { defineComposite, dropComposite, listComposites, type CompositeInfo } from '../composites/index.js';
import { DomainInputError } from '../domain/errors.js';
import { Composite, CompositeInput, CompositeMethodEnum, CompositeWeightingEnum } from '../schema/composites.js';
import { badInput } from './errors.js';
import type { Context } from './loaders.js';

export function toComposite(c: CompositeInfo): Composite {
  return {
    name: c.name, indicators: c.indicators, method: c.method as CompositeMethodEnum, weighting: c.weighting as CompositeWeightingEnum,
    years: c.years, shift: c.shift, builtin: c.builtin, n: c.n, error: c.error,
    weights: c.weights.flatMap((g) => g.indicators.map((w) => ({ ...w, year: g.year }))),
  };
}

function asBadInput(e: unknown, arg: string): never {
  if (e instanceof DomainInputError) throw badInput(e.field ? `${arg}.${e.field.replace(/^composite\.?/, '')}`.replace(/\.$/, '') : arg, e.message);
  throw e;
}

@Resolver()
export class CompositeResolver {
  @Query(() => [Composite], { description: 'Stored composite indices (the built-in NQP first) with their weights on the current data.' })
  async composites(@Ctx() ctx: Context): Promise<Composite[]> {
    return (await listComposites(ctx.db)).map(toComposite);
  }

  @Mutation(() => Composite, { description: 'Defines (or redefines) a composite index of stored variables; its values become the named variable `name`.' })
  async defineComposite(@Ctx() ctx: Context, @Arg('composite', () => CompositeInput) input: CompositeInput): Promise<Composite> {
    requireRole(ctx.principal, 'analyst', 'defineComposite');
    if (input.years && input.years.length !== 2) throw badInput('composite.years', `give [from, to], got ${input.years.length} numbers`);
    const def = {
      name: input.name, indicators: input.indicators,
      ...(input.method ? { method: input.method } : {}), ...(input.weighting ? { weighting: input.weighting } : {}),
      ...(input.years ? { years: input.years as [number, number] } : {}), ...(input.shift != null ? { shift: input.shift } : {}),
    };
    try {
      return toComposite(await defineComposite(ctx.db, def));
    } catch (e) { asBadInput(e, 'composite'); }
  }

  @Mutation(() => Boolean, { description: 'Drops a composite index (not the built-in NQP).' })
  async dropComposite(@Ctx() ctx: Context, @Arg('name', () => String) name: string): Promise<boolean> {
    requireRole(ctx.principal, 'analyst', 'dropComposite');
    try {
      await dropComposite(ctx.db, name);
      return true;
    } catch (e) { asBadInput(e, 'name'); }
  }
}
