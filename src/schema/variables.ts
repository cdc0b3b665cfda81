// GraphQL type of the named city-year variables: imported ones (city_variable), the NQP indicators, composites.
import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: "A named city-year variable — imported from a panel, one of the demo's NQP indicators, or a composite index; usable in formulas, descriptives, spatialAutocorrelation, CityYear.value, OGC properties and the map." })
export class CityVariable {
  @Field(() => String) name!: string;
  @Field(() => String, { description: "'stored' (imported or an NQP indicator) or 'composite' (see composites)" }) kind!: string;
  @Field(() => Int, { description: 'unit-years with a (non-missing) value' }) count!: number;
  @Field(() => [Int], { description: 'years with a row (value or missing)' }) years!: number[];
}
