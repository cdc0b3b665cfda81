// The 28 NQP indicators of the synthetic panel: the domain's indicator catalogue (names, dimensions, directions)
// plus the unit and typical magnitude the generator draws each one at.
// Values are generated from the latent NQP: x = level · (base + direction · loading · NQP + noise).
import { NQP_INDICATORS as CATALOGUE, type NqpDimension } from '../domain/indicators.js';

export type { NqpDimension };

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

const SCALE: Record<string, [unit: string, level: number]> = {
  rdStaff: ['persons/10k', 40],
  tertiaryEducated: ['share', 0.5],
  avgWage: ['k CNY', 120],
  itEmployment: ['share', 0.05],
  eduSpendPc: ['CNY', 3000],
  labourProductivity: ['k CNY', 250],
  unemployment: ['share', 0.04],
  broadband: ['per 100', 60],
  mobile: ['per 100', 180],
  fibre: ['km/km²', 4],
  robots: ['units/10k', 60],
  hightechInvestment: ['share', 0.2],
  energyIntensity: ['tce/10k CNY', 0.8],
  electricityIntensity: ['kWh/10k CNY', 900],
  seiOutput: ['share', 0.3],
  forest: ['share', 0.6],
  so2Intensity: ['t/100m CNY', 20],
  wastewaterIntensity: ['kt/100m CNY', 8],
  solidWasteUse: ['share', 1.2],
  newEnergyPower: ['share', 0.3],
  greenSpace: ['m²', 20],
  scienceSpending: ['share', 0.05],
  patentsPc: ['per 10k', 30],
  techMarket: ['share', 0.03],
  digitalFinance: ['index', 400],
  ventureCapital: ['share', 0.01],
  ecommerce: ['share', 0.3],
  telecomPc: ['k CNY', 3],
};

export const NQP_INDICATORS: readonly DemoIndicator[] = CATALOGUE.map((c) => {
  const [unit, level] = SCALE[c.key];
  return { key: c.key, label: c.name, dimension: c.dimension, direction: c.direction, unit, level };
});
