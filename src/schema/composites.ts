// GraphQL types of composite indices (src/composites): the definition input, the stored definition with its weights.
import 'reflect-metadata';
import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum CompositeMethodEnum { ENTROPY = 'entropy', EQUAL = 'equal' }
registerEnumType(CompositeMethodEnum, { name: 'CompositeMethod', description: 'ENTROPY: entropy-weight method; EQUAL: every indicator weighs 1/k' });
export enum CompositeWeightingEnum { POOLED = 'pooled', PER_YEAR = 'per-year' }
registerEnumType(CompositeWeightingEnum, { name: 'CompositeWeighting', description: 'POOLED: one set of weights over all city-years; PER_YEAR: normalisation and weights within each year' });

@InputType({ description: "A composite index of stored variables; a leading '-' marks a cost indicator (smaller is better)." })
export class CompositeInput {
  @Field(() => String) name!: string;
  @Field(() => [String], { description: "variable names, e.g. [\"x1\", \"x2\", \"-x4\"]" }) indicators!: string[];
  @Field(() => CompositeMethodEnum, { nullable: true, description: 'default ENTROPY' }) method?: CompositeMethodEnum | null;
  @Field(() => CompositeWeightingEnum, { nullable: true, description: 'default POOLED' }) weighting?: CompositeWeightingEnum | null;
  @Field(() => [Int], { nullable: true, description: '[from, to], both included; default every stored year' }) years?: number[] | null;
  @Field(() => Float, { nullable: true, description: 'added after min-max normalisation so that ln p is defined; default 1e-4' }) shift?: number | null;
}

@ObjectType({ description: 'One indicator\'s weight (and entropy) in one weighting group.' })
export class CompositeIndicatorWeight {
  @Field(() => String) indicator!: string;
  @Field(() => Int, { description: '+1 larger is better, -1 a cost indicator' }) direction!: number;
  @Field(() => Float) weight!: number;
  @Field(() => Float, { description: 'normalised entropy e_j (weight = (1 - e_j) / sum (1 - e) for ENTROPY)' }) entropy!: number;
  @Field(() => Int, { nullable: true, description: 'the year of per-year weights; null for pooled weights' }) year!: number | null;
}

@ObjectType({ description: 'A stored composite index; its values are the named variable `name` (CityYear.value, formulas, OGC, tiles, the map).' })
export class Composite {
  @Field(() => String) name!: string;
  @Field(() => [String], { description: "as defined, '-' marking cost indicators" }) indicators!: string[];
  @Field(() => CompositeMethodEnum) method!: CompositeMethodEnum;
  @Field(() => CompositeWeightingEnum) weighting!: CompositeWeightingEnum;
  @Field(() => [Int], { nullable: true }) years!: number[] | null;
  @Field(() => Float) shift!: number;
  @Field(() => Boolean, { description: 'the paper\'s NQP: cannot be redefined or dropped' }) builtin!: boolean;
  @Field(() => [CompositeIndicatorWeight], { description: 'pooled: one entry per indicator; per-year: one per indicator and year' }) weights!: CompositeIndicatorWeight[];
  @Field(() => Int, { description: 'city-years with a value' }) n!: number;
  @Field(() => String, { nullable: true, description: 'why it cannot be computed on the current data (null when it can)' }) error!: string | null;
}
