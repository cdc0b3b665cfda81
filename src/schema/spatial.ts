// GraphQL types of the spatial statistics on the stored cities: weights argument, global Moran / Geary, local Moran.
import 'reflect-metadata';
import { Field, Float, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { City, NeighbourTypeEnum } from './types.js';

export enum WeightsStyleEnum { W = 'W', B = 'B' }
registerEnumType(WeightsStyleEnum, { name: 'WeightsStyle', description: 'W: row-standardised (rows sum to 1); B: binary (1 per neighbour).' });

export enum LisaQuadrantEnum { HH = 'HH', LL = 'LL', HL = 'HL', LH = 'LH' }
registerEnumType(LisaQuadrantEnum, {
  name: 'LisaQuadrant',
  description: 'Moran scatterplot quadrant: sign of the centred value, then of its spatial lag (HH: high among high).',
});

@InputType({ description: 'Spatial weights over the stored cities (the relations of City.neighbours).' })
export class WeightsInput {
  @Field(() => NeighbourTypeEnum, { defaultValue: NeighbourTypeEnum.QUEEN }) type!: NeighbourTypeEnum;
  @Field(() => Int, { nullable: true, description: 'KNN only: neighbours per city (default 4)' }) k?: number | null;
  @Field(() => Float, { nullable: true, description: 'DISTANCE only: band in km between interior points (default 100)' }) km?: number | null;
  @Field(() => WeightsStyleEnum, { defaultValue: WeightsStyleEnum.W }) style!: WeightsStyleEnum;
}

@ObjectType({ description: 'The weights actually used (after dropping islands and cities without a value).' })
export class WeightsSummary {
  @Field(() => NeighbourTypeEnum) type!: NeighbourTypeEnum;
  @Field(() => Int, { nullable: true }) k!: number | null;
  @Field(() => Float, { nullable: true }) km!: number | null;
  @Field(() => WeightsStyleEnum) style!: WeightsStyleEnum;
  @Field(() => Int, { description: 'cities in the statistics' }) n!: number;
  @Field(() => Int, { description: 'non-zero weights (directed links)' }) links!: number;
  @Field(() => Float) meanNeighbours!: number;
}

@ObjectType({ description: "Global Moran's I under randomisation (spdep moran.test), alternative: greater." })
export class MoranGlobal {
  @Field(() => Float, { name: 'I' }) I!: number;
  @Field(() => Float) expectation!: number;
  @Field(() => Float) variance!: number;
  @Field(() => Float) z!: number;
  @Field(() => Float, { description: 'one-sided (positive autocorrelation) normal p-value' }) pValue!: number;
}

@ObjectType({ description: "Permutation test of Moran's I (spdep moran.mc style, seeded): p = (#{I_sim >= I} + 1) / (permutations + 1)." })
export class MoranPermutation {
  @Field(() => Int) permutations!: number;
  @Field(() => Int) seed!: number;
  @Field(() => Float, { description: 'mean of the simulated I' }) mean!: number;
  @Field(() => Float, { description: 'variance of the simulated I' }) variance!: number;
  @Field(() => Float, { description: '(I - mean) / sd of the simulated I' }) z!: number;
  @Field(() => Float) pValue!: number;
}

@ObjectType({ description: "Geary's C under randomisation (spdep geary.test); z = (1 - C) / sd, so z > 0 means positive autocorrelation." })
export class GearyGlobal {
  @Field(() => Float, { name: 'C' }) C!: number;
  @Field(() => Float) expectation!: number;
  @Field(() => Float) variance!: number;
  @Field(() => Float) z!: number;
  @Field(() => Float) pValue!: number;
}

@ObjectType({ description: 'Local Moran (LISA) of one city: spdep localmoran moments, two-sided normal p-value.' })
export class LocalMoranCity {
  @Field(() => String) code!: string;
  @Field(() => City) city?: City;
  @Field(() => Float, { description: 'the variable in that year' }) value!: number;
  @Field(() => Float, { description: 'spatial lag: weighted value of the neighbours (Wx)' }) spatialLag!: number;
  @Field(() => Float, { name: 'Ii' }) Ii!: number;
  @Field(() => Float) expectation!: number;
  @Field(() => Float) variance!: number;
  @Field(() => Float) z!: number;
  @Field(() => Float) pValue!: number;
  @Field(() => LisaQuadrantEnum) quadrant!: LisaQuadrantEnum;
  @Field(() => Float, { nullable: true, description: 'conditional permutation pseudo p-value (when permutations > 0)' }) pSim!: number | null;
  @Field(() => Float, { nullable: true, description: 'Ii standardised by the permutation moments (when permutations > 0)' }) zSim!: number | null;
}

@ObjectType({ description: 'Spatial autocorrelation of one city-year variable across the stored cities.' })
export class SpatialAutocorrelation {
  @Field(() => String) variable!: string;
  @Field(() => Int) year!: number;
  @Field(() => WeightsSummary) weights!: WeightsSummary;
  @Field(() => [String], { description: 'cities without neighbours under these weights (left out of every statistic)' }) islands!: string[];
  @Field(() => [String], { description: 'cities without a value of the variable in that year (left out)' }) missing!: string[];
  @Field(() => MoranGlobal) moran!: MoranGlobal;
  @Field(() => MoranPermutation, { nullable: true, description: 'null unless permutations > 0' }) moranPermutation!: MoranPermutation | null;
  @Field(() => GearyGlobal) geary!: GearyGlobal;
  @Field(() => [LocalMoranCity], { description: 'one row per city in the statistics, in code order' }) local!: LocalMoranCity[];
}
