// Seeded SYNTHETIC demo panel: firms, firm-years and city-years for real city codes, with known true effects.
// Pure and deterministic (same cities, same options → identical output). See docs/demo-data.md for the equations.
import { NQP_INDICATORS, type DemoIndicator } from './indicators.js';
import { mixSeed, mulberry32, type Rng } from './random.js';
import { classifyFirmYear, DEMO_RULES_V1, type DemoRules, type FirmKind } from './rules.js';

export { DEMO_RULES_V1, classifyFirmYear, NQP_INDICATORS };
export type { DemoRules, FirmKind, DemoIndicator };

export type Region = 'East' | 'Central' | 'West';

export interface DemoCityInput { code: string; region: Region }

export interface DemoFirm {
  id: number; name: string; cityCode: string; industry: string; techIntensive: boolean; strategicEmerging: boolean;
  founded: string; listed: boolean; listedOn: string | null; stFlag: boolean; financial: boolean;
}

export interface DemoFirmYear {
  firmId: number; year: number;
  /** million CNY */ revenue: number;
  employees: number;
  /** million CNY */ assets: number;
  /** liabilities / assets */ leverage: number;
  /** R&D spending, million CNY */ rnd: number;
  /** patents granted in the year */ patents: number;
  /** latest private valuation (unlisted) or market capitalisation (listed), USD; null when none */
  valuationUsd: number | null;
  /** revenue / previous year's revenue − 1; null in the founding year */
  revenueGrowth: number | null;
  /** the kind the generator designed this firm-year to have under DEMO_RULES_V1 (null for none / excluded firms) */
  intendedKind: FirmKind | null;
}

export interface DemoCityYear {
  cityCode: string; year: number;
  /** 10k persons */ population: number;
  urbanShare: number;
  /** 100 million CNY */ fiscalSpending: number;
  /** 100 million CNY */ fiscalRevenue: number;
  /** tertiary industry share of GDP */ tertiaryShare: number;
  /** education share of fiscal spending */ educationShare: number;
  /** 100 million CNY */ loans: number;
  /** 100 million CNY */ gdp: number;
  /** the 28 indicators of NQP_INDICATORS, in that order */
  nqpIndicators: number[];
  /** data-factor utilisation index */ dfu: number;
  /** robot installation density (robots per 10k workers) */ rid: number;
  /** patent capacity (patent grants per 10k persons) */ pc: number;
}

export type ControlName = 'Popsiz' | 'Urbrate' | 'Fispress' | 'Indstru' | 'Eduexp' | 'Findev';
export const CONTROL_NAMES: readonly ControlName[] = ['Popsiz', 'Urbrate', 'Fispress', 'Indstru', 'Eduexp', 'Findev'];
export type MechanismName = 'DFU' | 'RID' | 'PC';
export const MECHANISM_NAMES: readonly MechanismName[] = ['DFU', 'RID', 'PC'];

/** Per city-year columns the generator itself used (what a perfect pipeline would reconstruct). */
export interface DemoTruthRow {
  cityCode: string; year: number;
  q1: number; q2: number; q3: number;
  /** capped 1/Var_pop(q1, q2, q3) — the regressor that enters the equations */
  rtaUsed: number;
  /** latent new-quality productivity */
  nqp: number;
  dfu: number; rid: number; pc: number;
  Popsiz: number; Urbrate: number; Fispress: number; Indstru: number; Eduexp: number; Findev: number;
}

export interface DemoTruth {
  seed: number;
  years: [number, number];
  rules: DemoRules;
  rta: { variance: 'population'; zeroVarianceCap: number; definition: string };
  /** NQP_jt = intercept + lag·NQP_j,t−1 + rta·RTA + Σ mediators·M + Σ controls·X + cityEffect_j + yearEffect_t + ε */
  nqp: {
    intercept: number; lag: number; rta: number;
    mediators: Record<MechanismName, number>;
    controls: Record<ControlName, number>;
    noiseSd: number;
  };
  /** long-run coefficients (= short-run / (1 − lag)); equal to `nqp` when lag = 0 */
  nqpLongRun: { rta: number; mediators: Record<MechanismName, number>; controls: Record<ControlName, number> };
  /** M_jt = intercept + rta·RTA + cityEffect_mj + trend·(t − first year) + ε */
  mechanisms: Record<MechanismName, { intercept: number; rta: number; trend: number; noiseSd: number }>;
  /** a_m · b_m (short-run) and the total effect c = c' + Σ a_m b_m that a regression without mediators estimates */
  indirect: Record<MechanismName, number>;
  totalEffect: number;
  indicators: { key: string; direction: 1 | -1; base: number; loading: number; noiseSd: number }[];
  cityEffects: Record<string, number>;
  yearEffects: Record<number, number>;
  panel: DemoTruthRow[];
}

export interface DemoOptions {
  seed?: number;
  /** inclusive; default [2000, 2019] */
  years?: [number, number];
  /** firms per city [min, max]; East cities draw from the upper part of the range, West from the lower */
  firmsPerCity?: [number, number];
  /** AR(1) persistence of NQP (for the dynamic-GMM table); default 0 (static model) */
  rho?: number;
}

export interface DemoData { firms: DemoFirm[]; firmYears: DemoFirmYear[]; cityYears: DemoCityYear[]; truth: DemoTruth }

/** 1/Var(q1,q2,q3) with the population variance; Var = 0 maps to this cap, the largest value integer counts reach. */
export const RTA_ZERO_VARIANCE_CAP = 4.5;

export function rtaUsed(q1: number, q2: number, q3: number): number {
  const m = (q1 + q2 + q3) / 3;
  const v = ((q1 - m) ** 2 + (q2 - m) ** 2 + (q3 - m) ** 2) / 3;
  return v > 1e-12 ? Math.min(1 / v, RTA_ZERO_VARIANCE_CAP) : RTA_ZERO_VARIANCE_CAP;
}

// ---------------- true parameters (long-run form; short-run = × (1 − rho)) ----------------
const TRUE_NQP = {
  intercept: -0.16,
  rta: 0.008,
  mediators: { DFU: 0.12, RID: 0.0012, PC: 0.002 } as Record<MechanismName, number>,
  controls: { Popsiz: 0.015, Urbrate: 0.06, Fispress: -0.006, Indstru: 0.08, Eduexp: 0.12, Findev: 0.012 } as Record<ControlName, number>,
  noiseSd: 0.012,
};
const TRUE_MECH: Record<MechanismName, { intercept: number; rta: number; trend: number; noiseSd: number; cityRange: number }> = {
  DFU: { intercept: 0.15, rta: 0.03, trend: 0.008, noiseSd: 0.03, cityRange: 0.15 },
  RID: { intercept: 5, rta: 2.0, trend: 0.6, noiseSd: 1.5, cityRange: 8 },
  PC: { intercept: 3.5, rta: 1.5, trend: 0.3, noiseSd: 1.0, cityRange: 6 },
};

// ---------------- industries ----------------
interface Industry { name: string; tech: boolean; sei: boolean; financial: boolean; weight: number }
const IND = (name: string, tech: boolean, sei: boolean, weight: number, financial = false): Industry => ({ name, tech, sei, financial, weight });
const INDUSTRIES: Industry[] = [
  IND('Integrated circuits', true, true, 3),
  IND('Software and IT services', true, true, 6),
  IND('Biomedicine', true, true, 5),
  IND('New energy vehicles', true, true, 3),
  IND('New materials', true, true, 4),
  IND('High-end equipment', true, true, 5),
  IND('Energy saving and environmental protection', false, true, 4),
  IND('Digital creative industries', false, true, 3),
  IND('General machinery', true, false, 7),
  IND('Chemicals', true, false, 5),
  IND('Consumer electronics', true, false, 4),
  IND('Textiles and apparel', false, false, 7),
  IND('Food and beverages', false, false, 7),
  IND('Construction', false, false, 6),
  IND('Wholesale and retail', false, false, 8),
  IND('Real estate', false, false, 5),
  IND('Logistics', false, false, 5),
  IND('Banking', false, false, 2, true),
  IND('Securities and insurance', false, false, 2, true),
];

type State = FirmKind | 'none';
type Path = 'plain' | 'financial' | 'innovator' | 'unicorn' | 'spurt';

interface Plan {
  path: Path;
  /** age → designed state */
  stateAt(age: number): State;
  listAge: number | null;
  exUnicorn: boolean;
}

const round = (x: number, d: number) => { const f = 10 ** d; return Math.round(x * f) / f; };
const sig = (x: number, s = 6) => Number(x.toPrecision(s));
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const pad = (n: number) => String(n).padStart(2, '0');
const date = (rng: Rng, year: number) => `${year}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`;

function planFirm(rng: Rng, ind: Industry, region: Region): Plan {
  if (ind.financial) return { path: 'financial', stateAt: () => 'none', listAge: rng.bernoulli(0.3) ? rng.int(3, 15) : null, exUnicorn: false };
  const pInnov = region === 'East' ? 0.75 : region === 'Central' ? 0.65 : 0.55;
  if (ind.tech && rng.bernoulli(pInnov)) {
    if (ind.sei && rng.bernoulli(0.25)) {
      // fledgling → unicorn → (listed → none) or (ex-unicorn at 10 → none)
      const uStart = rng.int(3, 6);
      const listAt = uStart + rng.int(1, 6);
      const listAge = listAt <= 9 || rng.bernoulli(0.5) ? listAt : null;
      const uEnd = listAge !== null && listAge <= 9 ? listAge - 1 : 9;
      return {
        path: 'unicorn', listAge, exUnicorn: listAge === null || listAge > 9,
        stateAt: (a) => (a >= 1 && a < uStart ? 'fledgling' : a >= uStart && a <= uEnd ? 'unicorn' : 'none'),
      };
    }
    if (ind.sei) {
      // fledgling → gazelle → none
      const gStart = rng.int(4, 6);
      const gEnd = gStart + rng.int(2, 7);
      return {
        path: 'innovator', listAge: rng.bernoulli(0.08) ? rng.int(6, 15) : null, exUnicorn: false,
        stateAt: (a) => (a >= 1 && a < gStart ? 'fledgling' : a >= gStart && a <= gEnd ? 'gazelle' : 'none'),
      };
    }
    const fEnd = rng.int(3, 9);
    return { path: 'innovator', listAge: null, exUnicorn: false, stateAt: (a) => (a >= 1 && a <= fEnd ? 'fledgling' : 'none') };
  }
  if (ind.sei && rng.bernoulli(0.6)) {
    const gStart = rng.int(4, 9);
    const gEnd = gStart + rng.int(2, 5);
    return { path: 'spurt', listAge: null, exUnicorn: false, stateAt: (a) => (a >= gStart && a <= gEnd ? 'gazelle' : 'none') };
  }
  return { path: 'plain', stateAt: () => 'none', listAge: rng.bernoulli(0.04) ? rng.int(5, 20) : null, exUnicorn: false };
}

interface FirmSim { firm: DemoFirm; years: DemoFirmYear[] }

function simulateFirm(rng: Rng, id: number, city: DemoCityInput, k: number, y0: number, y1: number): FirmSim {
  const ind = rng.pick(INDUSTRIES, INDUSTRIES.map((i) => (city.region === 'East' && i.sei ? i.weight * 1.5 : i.weight)));
  // Founding years lean recent (√U); a few firms predate the panel.
  const fy = Math.min(y1 - 1, Math.floor(y0 - 15 + (y1 - 1 - (y0 - 15) + 1) * Math.sqrt(rng.next())));
  const plan = planFirm(rng, ind, city.region);
  const listYear = plan.listAge !== null ? fy + plan.listAge : null;
  const listedOn = listYear !== null && listYear <= y1 ? date(rng, listYear) : null;
  const firm: DemoFirm = {
    id, name: `Demo ${ind.name} Co. ${city.code}-${String(k).padStart(3, '0')}`, cityCode: city.code, industry: ind.name,
    techIntensive: ind.tech, strategicEmerging: ind.sei, founded: date(rng, fy),
    listed: listedOn !== null, listedOn, stFlag: false, financial: ind.financial,
  };
  if (listedOn !== null && !ind.financial && rng.bernoulli(0.15)) firm.stFlag = true;

  const years: DemoFirmYear[] = [];
  const medianRevenue = plan.path === 'financial' ? 200 : plan.path === 'plain' ? 20 : plan.path === 'unicorn' ? 8 : 3;
  let revenue = round(medianRevenue * Math.exp(rng.normal(0, 0.7)), 4);
  for (let t = fy; t <= y1; t++) {
    const age = t - fy;
    const state = plan.stateAt(age);
    const listed = listYear !== null && listYear <= t;
    // exits happen only from ordinary ("none") years, so designed phases run their course
    if (age >= 3 && state === 'none' && !listed && rng.bernoulli(plan.path === 'financial' ? 0.01 : 0.03)) break;
    let growth: number | null = null;
    let highGrowthNone = false;
    if (age > 0) {
      let g: number;
      if (plan.path === 'financial') g = rng.normal(0.08, 0.1);
      else if (state === 'unicorn') g = rng.uniform(0.3, 1.0);
      else if (state === 'gazelle') g = rng.uniform(0.25, 0.7);
      else if (state === 'fledgling') g = ind.sei && age >= DEMO_RULES_V1.gazelle.minAge ? rng.uniform(0.165, 0.19) : rng.uniform(0.2, 0.8);
      else if (!(ind.sei && age >= DEMO_RULES_V1.gazelle.minAge) && rng.bernoulli(0.12)) {
        // fast but not innovative: fails the fledgling R&D test; not in an SEI past the start-up years
        highGrowthNone = true;
        g = rng.uniform(0.17, 0.5);
      } else g = rng.uniform(-0.15, 0.12);
      const prev = revenue;
      revenue = Math.max(0.01, round(prev * (1 + g), 4));
      growth = round(revenue / prev - 1, 6);
    }
    let intensity: number;
    let patents: number;
    if (plan.path === 'financial') { intensity = rng.uniform(0, 0.01); patents = rng.int(0, 2); }
    else if (state === 'fledgling') { intensity = rng.uniform(0.07, 0.25); patents = rng.int(6, 30); }
    else if (state === 'unicorn') { intensity = rng.uniform(0.08, 0.3); patents = rng.int(8, 60); }
    else if (state === 'gazelle') { intensity = ind.tech ? rng.uniform(0.03, 0.12) : rng.uniform(0.005, 0.03); patents = ind.tech ? rng.int(0, 20) : rng.int(0, 3); }
    else if (highGrowthNone) { intensity = rng.uniform(0.002, 0.04); patents = rng.int(0, 9); }
    else if (ind.tech) { intensity = rng.uniform(0.01, 0.09); patents = rng.int(0, 9); }
    else { intensity = rng.uniform(0, 0.02); patents = rng.int(0, 2); }

    let valuationUsd: number | null = null;
    if (listed) valuationUsd = (revenue * 1e6 / 6.9) * rng.uniform(1.5, 6) * (plan.path === 'unicorn' ? 40 : 1);
    else if (state === 'unicorn') valuationUsd = 1.2e9 * Math.exp(rng.uniform(0, 2.8));
    else if (plan.path === 'unicorn' && state === 'fledgling') valuationUsd = rng.uniform(5e7, 8e8);
    else if (plan.path === 'unicorn' && plan.exUnicorn && age >= 10) valuationUsd = 1.1e9 * Math.exp(rng.uniform(0, 1.5));
    else if (plan.path === 'innovator' && state !== 'none' && rng.bernoulli(0.4)) valuationUsd = rng.uniform(1e7, 6e8);
    if (valuationUsd !== null) valuationUsd = Math.round(valuationUsd);

    const row: DemoFirmYear = {
      firmId: id, year: t, revenue,
      employees: Math.max(3, Math.round(revenue / rng.uniform(0.3, 1.2))),
      assets: round(revenue * (plan.path === 'financial' ? rng.uniform(8, 15) : rng.uniform(0.6, 2.5)), 4),
      leverage: round(plan.path === 'financial' ? rng.uniform(0.85, 0.94) : rng.uniform(0.15, 0.75), 4),
      rnd: round(revenue * intensity, 4), patents, valuationUsd, revenueGrowth: growth,
      intendedKind: firm.stFlag || firm.financial || state === 'none' ? null : state,
    };
    const got = classifyFirmYear(firm, row);
    if (got !== row.intendedKind) {
      throw new Error(`demo generator: firm ${id} year ${t} designed as ${row.intendedKind} but classifies as ${got}`);
    }
    if (t >= y0) years.push(row);
  }
  return { firm, years };
}

/** AR(1) series of length n: e_t = phi·e_{t−1} + sd·N(0,1), started from its stationary distribution. */
function ar1(rng: Rng, n: number, phi: number, sd: number): number[] {
  const out: number[] = [];
  let e = rng.normal(0, sd / Math.sqrt(1 - phi * phi));
  for (let i = 0; i < n; i++) { out.push(e); e = phi * e + rng.normal(0, sd); }
  return out;
}

export function generateDemo(cities: DemoCityInput[], opts: DemoOptions = {}): DemoData {
  const seed = opts.seed ?? 1;
  const [y0, y1] = opts.years ?? [2000, 2019];
  const [fLo, fHi] = opts.firmsPerCity ?? [15, 50];
  const rho = opts.rho ?? 0;
  if (!(y1 >= y0 + 1)) throw new Error(`years: need at least two years, got [${y0}, ${y1}]`);
  if (!(fLo >= 1 && fHi >= fLo)) throw new Error(`firmsPerCity: need 1 ≤ min ≤ max, got [${fLo}, ${fHi}]`);
  if (!(rho >= 0 && rho < 1)) throw new Error(`rho: need 0 ≤ rho < 1, got ${rho}`);
  const seen = new Set<string>();
  for (const c of cities) {
    if (seen.has(c.code)) throw new Error(`cities: duplicate code ${c.code}`);
    seen.add(c.code);
    if (!['East', 'Central', 'West'].includes(c.region)) throw new Error(`cities: unknown region ${c.region} for ${c.code}`);
  }
  const T = y1 - y0 + 1;
  const rFirm = mulberry32(mixSeed(seed, 1));
  const rCity = mulberry32(mixSeed(seed, 2));
  const rOut = mulberry32(mixSeed(seed, 3));
  const rInd = mulberry32(mixSeed(seed, 4));

  // ---- firms ----
  const firms: DemoFirm[] = [];
  const firmYears: DemoFirmYear[] = [];
  const counts = new Map<string, [number, number, number][]>();
  let id = 0;
  for (const city of cities) {
    const q: [number, number, number][] = Array.from({ length: T }, () => [0, 0, 0]);
    const span = fHi - fLo;
    const [lo, hi] = city.region === 'East' ? [fLo + span / 2, fHi] : city.region === 'Central' ? [fLo + span / 4, fHi - span / 4] : [fLo, fLo + span / 2];
    const n = rFirm.int(Math.round(lo), Math.round(hi));
    let kept = 0;
    for (let k = 1; k <= n; k++) {
      const sim = simulateFirm(rFirm, id + 1, city, kept + 1, y0, y1);
      if (sim.years.length === 0) continue; // exited before the panel starts
      id++;
      kept++;
      firms.push(sim.firm);
      for (const fy of sim.years) {
        firmYears.push(fy);
        if (fy.intendedKind) q[fy.year - y0][fy.intendedKind === 'fledgling' ? 0 : fy.intendedKind === 'gazelle' ? 1 : 2]++;
      }
    }
    counts.set(city.code, q);
  }

  // ---- true parameters in the equation's (short-run) form ----
  const sr = 1 - rho;
  const nqpTrue = {
    intercept: TRUE_NQP.intercept * sr, lag: rho, rta: TRUE_NQP.rta * sr,
    mediators: Object.fromEntries(MECHANISM_NAMES.map((m) => [m, TRUE_NQP.mediators[m] * sr])) as Record<MechanismName, number>,
    controls: Object.fromEntries(CONTROL_NAMES.map((c) => [c, TRUE_NQP.controls[c] * sr])) as Record<ControlName, number>,
    noiseSd: TRUE_NQP.noiseSd,
  };
  const yearEffects: Record<number, number> = {};
  for (let t = y0; t <= y1; t++) yearEffects[t] = sr * (0.0015 * (t - y0) + rOut.normal(0, 0.003));
  const indicatorParams = NQP_INDICATORS.map((ind) => ({
    key: ind.key, direction: ind.direction, base: ind.direction > 0 ? 0.15 : 1.2,
    loading: round(rInd.uniform(0.6, 1.4), 4), noiseSd: round(rInd.uniform(0.015, 0.04), 4),
  }));

  // ---- city-years ----
  const cityYears: DemoCityYear[] = [];
  const panel: DemoTruthRow[] = [];
  const cityEffects: Record<string, number> = {};
  for (const city of cities) {
    const R = city.region;
    const pop0 = clamp((R === 'East' ? 550 : R === 'Central' ? 450 : 280) * Math.exp(rCity.normal(0, 0.5)), 100, 1400);
    const popG = rCity.normal(0.006, 0.004);
    const popE = ar1(rCity, T, 0.8, 0.006);
    const urb0 = clamp(rCity.normal(R === 'East' ? 0.42 : R === 'Central' ? 0.33 : 0.28, 0.08), 0.15, 0.7);
    const urbSlope = rCity.uniform(0.008, 0.02);
    const urbE = ar1(rCity, T, 0.7, 0.012);
    const fis0 = Math.exp(rCity.normal(Math.log(R === 'East' ? 1.5 : R === 'Central' ? 2.2 : 2.9), 0.25));
    const fisE = ar1(rCity, T, 0.7, 0.08);
    const gpc0 = (R === 'East' ? 14000 : R === 'Central' ? 8000 : 6500) * Math.exp(rCity.normal(0, 0.4));
    const gpcG = rCity.normal(0.11, 0.015);
    const gpcE = ar1(rCity, T, 0.8, 0.03);
    const taxShare = clamp(rCity.normal(0.075, 0.015), 0.04, 0.12);
    const taxE = ar1(rCity, T, 0.6, 0.05);
    const ter0 = clamp(rCity.normal(R === 'East' ? 0.39 : 0.36, 0.05), 0.26, 0.55);
    const terSlope = rCity.uniform(0.002, 0.01);
    const terE = ar1(rCity, T, 0.7, 0.012);
    const edu0 = clamp(rCity.normal(0.165, 0.025), 0.1, 0.24);
    const eduE = ar1(rCity, T, 0.6, 0.01);
    const fin0 = Math.exp(rCity.normal(Math.log(R === 'East' ? 1.1 : 0.9), 0.3));
    const finE = ar1(rCity, T, 0.7, 0.06);

    // right-skewed city effects: a few leading cities far above the rest, as in real NQP composites
    const mu = (R === 'East' ? 0.015 : R === 'Central' ? 0.005 : 0) + 0.03 * Math.exp(rOut.tnormal(0, 1.15));
    cityEffects[city.code] = sr * mu;
    const mechCity = Object.fromEntries(MECHANISM_NAMES.map((m) => [m, rOut.uniform(0, TRUE_MECH[m].cityRange) + (R === 'East' ? TRUE_MECH[m].cityRange / 4 : 0)])) as Record<MechanismName, number>;
    const q = counts.get(city.code)!;
    let prevNqp: number | null = null;

    for (let i = 0; i < T; i++) {
      const t = y0 + i;
      const population = round(clamp(pop0 * Math.exp(popG * i + popE[i]), 60, 1600), 2);
      const urbanShare = round(clamp(urb0 + urbSlope * i + urbE[i], 0.15, 0.92), 4);
      const fispress = clamp(fis0 * Math.exp(fisE[i] + 0.01 * i), 1.02, 5.9);
      const gdp = round(population * gpc0 * Math.exp(gpcG * i + gpcE[i]) / 1e4, 2);
      const fiscalRevenue = round(gdp * taxShare * Math.exp(taxE[i]), 2);
      const fiscalSpending = round(fiscalRevenue * fispress, 2);
      const tertiaryShare = round(clamp(ter0 + terSlope * i + terE[i], 0.25, 0.7), 4);
      const educationShare = round(clamp(edu0 + eduE[i], 0.08, 0.28), 4);
      const findev = clamp(fin0 * Math.exp(0.025 * i + finE[i]), 0.42, 2.7);
      const loans = round(gdp * findev, 2);
      const X: Record<ControlName, number> = {
        Popsiz: Math.log(population), Urbrate: urbanShare, Fispress: fiscalSpending / fiscalRevenue,
        Indstru: tertiaryShare, Eduexp: educationShare, Findev: loans / gdp,
      };
      const [q1, q2, q3] = q[i];
      const rta = rtaUsed(q1, q2, q3);
      const M = {} as Record<MechanismName, number>;
      for (const m of MECHANISM_NAMES) {
        const p = TRUE_MECH[m];
        M[m] = round(p.intercept + p.rta * rta + mechCity[m] + p.trend * i + rOut.tnormal(0, p.noiseSd), m === 'DFU' ? 5 : 4);
      }
      // static ("long-run") part, then the AR(1) form NQP_t = rho·NQP_{t−1} + (1 − rho)·static + ε
      let stat = TRUE_NQP.intercept + TRUE_NQP.rta * rta + mu;
      for (const m of MECHANISM_NAMES) stat += TRUE_NQP.mediators[m] * M[m];
      for (const c of CONTROL_NAMES) stat += TRUE_NQP.controls[c] * X[c];
      stat = sr * stat + yearEffects[t];
      const lagged: number = prevNqp ?? stat / sr; // start at the steady state of the first year's inputs
      const nqp: number = rho * lagged + stat + rOut.normal(0, TRUE_NQP.noiseSd);
      prevNqp = nqp;

      const nqpIndicators = indicatorParams.map((p, k) =>
        sig(NQP_INDICATORS[k].level * Math.max(0.01, p.base + p.direction * p.loading * nqp + rInd.tnormal(0, p.noiseSd))));
      cityYears.push({
        cityCode: city.code, year: t, population, urbanShare, fiscalSpending, fiscalRevenue, tertiaryShare, educationShare,
        loans, gdp, nqpIndicators, dfu: M.DFU, rid: M.RID, pc: M.PC,
      });
      panel.push({ cityCode: city.code, year: t, q1, q2, q3, rtaUsed: rta, nqp, dfu: M.DFU, rid: M.RID, pc: M.PC, ...X });
    }
  }

  const indirect = Object.fromEntries(MECHANISM_NAMES.map((m) => [m, TRUE_MECH[m].rta * nqpTrue.mediators[m]])) as Record<MechanismName, number>;
  const truth: DemoTruth = {
    seed, years: [y0, y1], rules: DEMO_RULES_V1,
    rta: {
      variance: 'population', zeroVarianceCap: RTA_ZERO_VARIANCE_CAP,
      definition: 'RTA_used = 1 / Var_pop(Q1, Q2, Q3), Var_pop = Σ(Q − mean)²/3; Var = 0 → 4.5 (= 1/(2/9), the largest finite value for integer counts)',
    },
    nqp: nqpTrue,
    nqpLongRun: { rta: TRUE_NQP.rta, mediators: { ...TRUE_NQP.mediators }, controls: { ...TRUE_NQP.controls } },
    mechanisms: Object.fromEntries(MECHANISM_NAMES.map((m) => {
      const { intercept, rta, trend, noiseSd } = TRUE_MECH[m];
      return [m, { intercept, rta, trend, noiseSd }];
    })) as DemoTruth['mechanisms'],
    indirect,
    totalEffect: nqpTrue.rta + MECHANISM_NAMES.reduce((s, m) => s + indirect[m], 0),
    indicators: indicatorParams, cityEffects, yearEffects, panel,
  };
  return { firms, firmYears, cityYears, truth };
}
