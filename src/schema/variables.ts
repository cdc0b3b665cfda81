// GraphQL type of the analyst's imported city-year variables (table city_variable).
import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: "An analyst's own city-year variable, imported from a panel CSV; usable in formulas, descriptives, spatialAutocorrelation and CityYear.value." })
export class CityVariable {
  @Field(() => String) name!: string;
  @Field(() => Int, { description: 'unit-years with a (non-missing) value' }) count!: number;
  @Field(() => [Int], { description: 'years with a row (value or missing)' }) years!: number[];
}
