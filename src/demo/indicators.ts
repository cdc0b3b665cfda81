// The 28 NQP indicators of the synthetic panel (four dimensions, seven each), with their directions.
// Values are generated from the latent NQP: x = level · (base + direction · loading · NQP + noise).

export type NqpDimension = 'labourers' | 'meansOfLabour' | 'objectsOfLabour' | 'permeatingFactors';

export interface DemoIndicator {
  key: string;
  label: string;
  dimension: NqpDimension;
  /** +1: more is better (benefit indicator); −1: less is better (cost indicator) */
  direction: 1 | -1;
  unit: string;
  /** typical magnitude; the generated value is level · (base + direction·loading·NQP + noise) */
  level: number;
}

const I = (key: string, label: string, dimension: NqpDimension, direction: 1 | -1, unit: string, level: number): DemoIndicator =>
  ({ key, label, dimension, direction, unit, level });

export const NQP_INDICATORS: readonly DemoIndicator[] = [
  I('rdStaff', 'R&D personnel per 10k population', 'labourers', 1, 'persons/10k', 40),
  I('tertiaryEducated', 'Share of employees with tertiary education', 'labourers', 1, 'share', 0.5),
  I('avgWage', 'Average wage of employees', 'labourers', 1, 'k CNY', 120),
  I('itEmployment', 'Employment share of information and software services', 'labourers', 1, 'share', 0.05),
  I('eduSpendPc', 'Education expenditure per capita', 'labourers', 1, 'CNY', 3000),
  I('labourProductivity', 'GDP per employee', 'labourers', 1, 'k CNY', 250),
  I('unemployment', 'Registered urban unemployment rate', 'labourers', -1, 'share', 0.04),
  I('broadband', 'Broadband subscribers per 100 persons', 'meansOfLabour', 1, 'per 100', 60),
  I('mobile', 'Mobile phone subscribers per 100 persons', 'meansOfLabour', 1, 'per 100', 180),
  I('fibre', 'Fibre-optic cable length per km²', 'meansOfLabour', 1, 'km/km²', 4),
  I('robots', 'Industrial robot stock per 10k manufacturing workers', 'meansOfLabour', 1, 'units/10k', 60),
  I('hightechInvestment', 'High-tech share of fixed-asset investment', 'meansOfLabour', 1, 'share', 0.2),
  I('energyIntensity', 'Energy use per unit of GDP', 'meansOfLabour', -1, 'tce/10k CNY', 0.8),
  I('electricityIntensity', 'Electricity use per unit of GDP', 'meansOfLabour', -1, 'kWh/10k CNY', 900),
  I('seiOutput', 'Strategic emerging industries share of output', 'objectsOfLabour', 1, 'share', 0.3),
  I('forest', 'Forest coverage', 'objectsOfLabour', 1, 'share', 0.6),
  I('so2Intensity', 'Industrial SO₂ emissions per unit of GDP', 'objectsOfLabour', -1, 't/100m CNY', 20),
  I('wastewaterIntensity', 'Industrial wastewater per unit of GDP', 'objectsOfLabour', -1, 'kt/100m CNY', 8),
  I('solidWasteUse', 'Comprehensive utilisation of industrial solid waste', 'objectsOfLabour', 1, 'share', 1.2),
  I('newEnergyPower', 'New-energy share of electricity generation', 'objectsOfLabour', 1, 'share', 0.3),
  I('greenSpace', 'Park green space per capita', 'objectsOfLabour', 1, 'm²', 20),
  I('scienceSpending', 'Science and technology share of fiscal spending', 'permeatingFactors', 1, 'share', 0.05),
  I('patentsPc', 'Patent grants per 10k population', 'permeatingFactors', 1, 'per 10k', 30),
  I('techMarket', 'Technology-market turnover relative to GDP', 'permeatingFactors', 1, 'share', 0.03),
  I('digitalFinance', 'Digital inclusive finance index', 'permeatingFactors', 1, 'index', 400),
  I('ventureCapital', 'Venture capital investment relative to GDP', 'permeatingFactors', 1, 'share', 0.01),
  I('ecommerce', 'E-commerce sales relative to GDP', 'permeatingFactors', 1, 'share', 0.3),
  I('telecomPc', 'Postal and telecom business per capita', 'permeatingFactors', 1, 'k CNY', 3),
];
