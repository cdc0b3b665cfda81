// The NQP indicator system in the order of city_year.nqp_indicators: four dimensions (labourers, means of labour,
// objects of labour, permeating factors), each indicator with its default direction (+1 larger is better).
export interface NqpIndicator {
  index: number;
  name: string;
  dimension: 'labourers' | 'means of labour' | 'objects of labour' | 'permeating factors';
  direction: 1 | -1;
}

const spec: [string, NqpIndicator['dimension'], 1 | -1][] = [
  ['share of employees with tertiary education', 'labourers', 1],
  ['R&D personnel per 10,000 people', 'labourers', 1],
  ['average wage of employees', 'labourers', 1],
  ['labour productivity', 'labourers', 1],
  ['share of employment in tertiary industry', 'labourers', 1],
  ['university students per 10,000 people', 'labourers', 1],
  ['registered unemployment rate', 'labourers', -1],
  ['internet broadband users per 100 people', 'means of labour', 1],
  ['mobile phone users per 100 people', 'means of labour', 1],
  ['fixed-asset investment per capita', 'means of labour', 1],
  ['road density', 'means of labour', 1],
  ['industrial robots per 10,000 workers', 'means of labour', 1],
  ['electricity use per capita', 'means of labour', 1],
  ['energy intensity of GDP', 'means of labour', -1],
  ['green coverage of built-up area', 'objects of labour', 1],
  ['industrial SO2 emissions per unit GDP', 'objects of labour', -1],
  ['industrial wastewater per unit GDP', 'objects of labour', -1],
  ['harmless treatment of household waste', 'objects of labour', 1],
  ['share of strategic emerging industries in output', 'objects of labour', 1],
  ['new product sales share', 'objects of labour', 1],
  ['carbon emissions per unit GDP', 'objects of labour', -1],
  ['R&D spending share of GDP', 'permeating factors', 1],
  ['science and technology share of public spending', 'permeating factors', 1],
  ['invention patents per 10,000 people', 'permeating factors', 1],
  ['digital finance inclusion index', 'permeating factors', 1],
  ['technology market turnover share of GDP', 'permeating factors', 1],
  ['foreign direct investment share of GDP', 'permeating factors', 1],
  ['high-tech exports share', 'permeating factors', 1],
];

export const NQP_INDICATORS: readonly NqpIndicator[] = spec.map(([name, dimension, direction], index) => ({ index, name, dimension, direction }));
