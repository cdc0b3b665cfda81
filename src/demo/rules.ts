// The firm-classification rule set the synthetic panel is designed around (version demo-v1), and a reference
// classifier. A firm-year's kind follows from THAT year's figures only (no look-ahead, no survivor bias).

export type FirmKind = 'fledgling' | 'gazelle' | 'unicorn';

export const DEMO_RULES_V1 = {
  version: 'demo-v1',
  /** age in a year = year − founding year (calendar years; 0 in the founding year) */
  age: 'year - year(founded)',
  /** sample rules applied before classification: such firms never count */
  exclude: { stFlag: true, financial: true },
  /** when a firm-year meets several definitions, the first listed wins */
  precedence: ['unicorn', 'gazelle', 'fledgling'] as const,
  /** 雏鹰: young, innovative (R&D intensity and patents), high growth potential (revenue growth) */
  fledgling: { maxAgeExclusive: 10, minRndIntensity: 0.05, minPatents: 5, minRevenueGrowth: 0.15 },
  /** 瞪羚: past the start-up "valley of death", fast growing, in a strategic emerging industry */
  gazelle: { minAge: 4, minRevenueGrowth: 0.2, strategicEmerging: true },
  /** 独角兽: young, valued above USD 1 bn (strictly), not listed at the end of the year */
  unicorn: { maxAgeExclusive: 10, minValuationUsdExclusive: 1e9, unlisted: true },
  /** a firm counts as listed in year t when listedOn is not null and year(listedOn) ≤ t */
  listed: 'listedOn != null && year(listedOn) <= year',
} as const;

export type DemoRules = typeof DEMO_RULES_V1;

export interface ClassifiableFirm {
  founded: string;
  listedOn: string | null;
  strategicEmerging: boolean;
  stFlag: boolean;
  financial: boolean;
}

export interface ClassifiableFirmYear {
  year: number;
  revenue: number;
  rnd: number;
  patents: number;
  valuationUsd: number | null;
  revenueGrowth: number | null;
}

/** Reference implementation of DEMO_RULES_V1; the generator asserts that every firm-year it makes agrees. */
export function classifyFirmYear(firm: ClassifiableFirm, fy: ClassifiableFirmYear, rules: DemoRules = DEMO_RULES_V1): FirmKind | null {
  if ((rules.exclude.stFlag && firm.stFlag) || (rules.exclude.financial && firm.financial)) return null;
  const age = fy.year - Number(firm.founded.slice(0, 4));
  const listed = firm.listedOn !== null && Number(firm.listedOn.slice(0, 4)) <= fy.year;
  const g = fy.revenueGrowth;
  const tests: Record<FirmKind, () => boolean> = {
    unicorn: () =>
      age < rules.unicorn.maxAgeExclusive &&
      fy.valuationUsd !== null && fy.valuationUsd > rules.unicorn.minValuationUsdExclusive &&
      (!rules.unicorn.unlisted || !listed),
    gazelle: () =>
      age >= rules.gazelle.minAge && g !== null && g >= rules.gazelle.minRevenueGrowth &&
      (!rules.gazelle.strategicEmerging || firm.strategicEmerging),
    fledgling: () =>
      age < rules.fledgling.maxAgeExclusive && fy.revenue > 0 &&
      fy.rnd / fy.revenue >= rules.fledgling.minRndIntensity &&
      fy.patents >= rules.fledgling.minPatents &&
      g !== null && g >= rules.fledgling.minRevenueGrowth,
  };
  for (const kind of rules.precedence) if (tests[kind]()) return kind;
  return null;
}
