// Shared by the analysis tests: the city-year panel a perfect pipeline builds from generateDemo's observable output,
// and the scale of the NQP composite relative to the generator's latent NQP.
import type { DemoData } from '../src/demo/generate.js';
import { nqpComposite, rta } from '../src/domain/index.js';
import { estimate, frameFromColumns, type DataFrame } from '../src/estimation/index.js';

/** Slope of the composite NQP on the generator's latent NQP over the rows of `frame` (city, year, NQP columns). */
export function compositeScale(frame: DataFrame, demo: DemoData): number {
  const lat = new Map(demo.truth.panel.map((r) => [`${r.cityCode}|${r.year}`, r.nqp]));
  const city = frame.columns.city as string[], year = frame.columns.year as Float64Array;
  const latent = Float64Array.from({ length: frame.nrows }, (_, i) => lat.get(`${city[i]}|${year[i]}`) ?? NaN);
  const r = estimate({ estimator: 'ols', formula: 'NQP ~ LATENT' }, frameFromColumns({ NQP: frame.columns.NQP as Float64Array, LATENT: latent }));
  return r.coefficients.find((c) => c.term === 'LATENT')!.estimate;
}

export const CTRL = 'Popsiz + Urbrate + Fispress + Indstru + Eduexp + Findev';

/** The city-year panel a perfect pipeline builds from the generator's observable output. */
export function panelFromDemo(demo: DemoData): DataFrame {
  const key = (c: string, y: number) => `${c}|${y}`;
  const cityOf = new Map(demo.firms.map((f) => [f.id, f.cityCode]));
  const counts = new Map<string, [number, number, number]>();
  for (const fy of demo.firmYears) {
    if (!fy.intendedKind) continue;
    const k = key(cityOf.get(fy.firmId)!, fy.year);
    const q = counts.get(k) ?? [0, 0, 0];
    q[fy.intendedKind === 'fledgling' ? 0 : fy.intendedKind === 'gazelle' ? 1 : 2]++;
    counts.set(k, q);
  }
  const nqp = new Map(nqpComposite(demo.cityYears.map((c) => ({ cityCode: c.cityCode, year: c.year, nqpIndicators: c.nqpIndicators }))).rows
    .map((r) => [key(r.cityCode, r.year), r.nqp ?? NaN]));
  const cy = demo.cityYears;
  const col = (f: (c: (typeof cy)[number]) => number) => Float64Array.from(cy, f);
  return frameFromColumns({
    city: cy.map((c) => c.cityCode),
    year: col((c) => c.year),
    NQP: col((c) => nqp.get(key(c.cityCode, c.year))!),
    RTA: col((c) => rta(counts.get(key(c.cityCode, c.year)) ?? [0, 0, 0]).value ?? NaN),
    Popsiz: col((c) => Math.log(c.population)),
    Urbrate: col((c) => c.urbanShare),
    Fispress: col((c) => c.fiscalSpending / c.fiscalRevenue),
    Indstru: col((c) => c.tertiaryShare),
    Eduexp: col((c) => c.educationShare),
    Findev: col((c) => c.loans / c.gdp),
    DFU: col((c) => c.dfu),
    RID: col((c) => c.rid),
    PC: col((c) => c.pc),
  });
}

