// Inputs of value filters and sort keys (cities and firms), and the aggregate answers (cityStats, firmCounts).
import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum SortDirection { ASC = 'ASC', DESC = 'DESC' }
registerEnumType(SortDirection, { name: 'SortDirection' });

@InputType({ description: 'A condition on a variable in a year; every given comparison must hold (a unit without a value fails them all).' })
export class ValueFilterInput {
  @Field(() => String, { description: 'A stored metric (gdp, population, …), derived measure (NQP, RTA, Q1, Q2, Q3, nFirms), composite or imported variable; for firms a firm-year figure (revenue, employees, …)' }) variable!: string;
  @Field(() => Int) year!: number;
  @Field(() => Float, { nullable: true }) gt?: number;
  @Field(() => Float, { nullable: true }) gte?: number;
  @Field(() => Float, { nullable: true }) lt?: number;
  @Field(() => Float, { nullable: true }) lte?: number;
  @Field(() => Float, { nullable: true }) eq?: number;
  @Field(() => Boolean, { nullable: true, description: 'true: the value is missing; false: it is present' }) isNull?: boolean;
}

@InputType({ description: 'A sort key: a variable in a year (nulls last); ties are broken by the next key, then by code.' })
export class CityOrderInput {
  @Field(() => String) variable!: string;
  @Field(() => Int) year!: number;
  @Field(() => SortDirection, { defaultValue: SortDirection.ASC }) direction!: SortDirection;
}

@InputType({ description: 'A firm sort key: a firm-year figure in `year` (nulls last), or `founded` / `name` / `id` (no year); ties by id.' })
export class FirmOrderInput {
  @Field(() => String) variable!: string;
  @Field(() => Int, { nullable: true }) year?: number;
  @Field(() => SortDirection, { defaultValue: SortDirection.ASC }) direction!: SortDirection;
}

@InputType({ description: 'Founding dates, inclusive: YYYY or YYYY-MM-DD' })
export class DateRangeInput {
  @Field(() => String, { nullable: true }) from?: string;
  @Field(() => String, { nullable: true }) to?: string;
}

export enum CityGroupBy { PROVINCE = 'PROVINCE', REGION = 'REGION', ALL = 'ALL' }
registerEnumType(CityGroupBy, { name: 'CityGroupBy' });

export enum FirmGroupBy { PROVINCE = 'PROVINCE', CITY = 'CITY', INDUSTRY = 'INDUSTRY' }
registerEnumType(FirmGroupBy, { name: 'FirmGroupBy' });

@ObjectType()
export class VariableStats {
  @Field(() => String) variable!: string;
  @Field(() => Int, { description: 'units of the group with a value' }) n!: number;
  @Field(() => Float, { nullable: true }) mean!: number | null;
  @Field(() => Float, { nullable: true, description: 'sample standard deviation (n - 1)' }) sd!: number | null;
  @Field(() => Float, { nullable: true }) min!: number | null;
  @Field(() => Float, { nullable: true }) max!: number | null;
  @Field(() => Float, { nullable: true }) sum!: number | null;
}

@ObjectType()
export class CityGroupStats {
  @Field(() => String, { nullable: true, description: 'the province / region, "all", or null for units without one' }) group!: string | null;
  @Field(() => Int, { description: 'units in the group' }) n!: number;
  @Field(() => [VariableStats]) values!: VariableStats[];
}

@ObjectType()
export class FirmGroupCount {
  @Field(() => String, { nullable: true }) group!: string | null;
  @Field(() => Int) count!: number;
}

