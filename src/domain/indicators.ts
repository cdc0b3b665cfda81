// The NQP indicator system in the order of city_year.nqp_indicators: 28 indicators in four dimensions (labourers,
// means of labour, objects of labour, permeating factors), seven each, with their default directions (+1 = more is
// better, −1 = a cost indicator). The demo generator draws its indicators from this catalogue.
export type NqpDimension = 'labourers' | 'meansOfLabour' | 'objectsOfLabour' | 'permeatingFactors';

export interface NqpIndicator {
  index: number;
  key: string;
  name: string;
  dimension: NqpDimension;
  direction: 1 | -1;
}

const spec: [string, string, NqpDimension, 1 | -1][] = [
  ['rdStaff', 'R&D personnel per 10k population', 'labourers', 1],
  ['tertiaryEducated', 'Share of employees with tertiary education', 'labourers', 1],
  ['avgWage', 'Average wage of employees', 'labourers', 1],
  ['itEmployment', 'Employment share of information and software services', 'labourers', 1],
  ['eduSpendPc', 'Education expenditure per capita', 'labourers', 1],
  ['labourProductivity', 'GDP per employee', 'labourers', 1],
  ['unemployment', 'Registered urban unemployment rate', 'labourers', -1],
  ['broadband', 'Broadband subscribers per 100 persons', 'meansOfLabour', 1],
  ['mobile', 'Mobile phone subscribers per 100 persons', 'meansOfLabour', 1],
  ['fibre', 'Fibre-optic cable length per km²', 'meansOfLabour', 1],
  ['robots', 'Industrial robot stock per 10k manufacturing workers', 'meansOfLabour', 1],
  ['hightechInvestment', 'High-tech share of fixed-asset investment', 'meansOfLabour', 1],
  ['energyIntensity', 'Energy use per unit of GDP', 'meansOfLabour', -1],
  ['electricityIntensity', 'Electricity use per unit of GDP', 'meansOfLabour', -1],
  ['seiOutput', 'Strategic emerging industries share of output', 'objectsOfLabour', 1],
  ['forest', 'Forest coverage', 'objectsOfLabour', 1],
  ['so2Intensity', 'Industrial SO₂ emissions per unit of GDP', 'objectsOfLabour', -1],
  ['wastewaterIntensity', 'Industrial wastewater per unit of GDP', 'objectsOfLabour', -1],
  ['solidWasteUse', 'Comprehensive utilisation of industrial solid waste', 'objectsOfLabour', 1],
  ['newEnergyPower', 'New-energy share of electricity generation', 'objectsOfLabour', 1],
  ['greenSpace', 'Park green space per capita', 'objectsOfLabour', 1],
  ['scienceSpending', 'Science and technology share of fiscal spending', 'permeatingFactors', 1],
  ['patentsPc', 'Patent grants per 10k population', 'permeatingFactors', 1],
  ['techMarket', 'Technology-market turnover relative to GDP', 'permeatingFactors', 1],
  ['digitalFinance', 'Digital inclusive finance index', 'permeatingFactors', 1],
  ['ventureCapital', 'Venture capital investment relative to GDP', 'permeatingFactors', 1],
  ['ecommerce', 'E-commerce sales relative to GDP', 'permeatingFactors', 1],
  ['telecomPc', 'Postal and telecom business per capita', 'permeatingFactors', 1],
];

export const NQP_INDICATORS: readonly NqpIndicator[] = spec.map(([key, name, dimension, direction], index) => ({ index, key, name, dimension, direction }));
