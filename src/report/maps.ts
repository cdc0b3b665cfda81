// The report's maps (report.html, docs/analysis.md): choropleths of RTA and NQP in one year (the last with NQP) and
// the LISA clusters of NQP (local Moran on the stored QUEEN weights, row-standardised, as spatialAutocorrelation).
import type { Db } from '../db/db.js';
import { cityOutlines } from '../db/queries/outlines.js';
import { storedWeights, withoutUnits } from '../db/queries/weights.js';
import { cityAgglomeration, nqpScores } from '../domain/index.js';
import { localMoran } from '../estimation/spatial/index.js';
import { classify, PALETTES, quantileBreaks, renderMap, type MapUnit, type Rings } from './map-svg.js';

export const LISA_ALPHA = 0.05;
export const QUADRANTS = ['HH', 'LL', 'HL', 'LH'] as const;
type Quadrant = (typeof QUADRANTS)[number];
const LISA_CLASSES: { key: Quadrant | 'ns'; label: string; colour: string }[] = [
  { key: 'HH', label: 'High-High cluster', colour: '#d7191c' },
  { key: 'LL', label: 'Low-Low cluster', colour: '#2c7bb6' },
  { key: 'HL', label: 'High-Low outlier', colour: '#fdae61' },
  { key: 'LH', label: 'Low-High outlier', colour: '#abd9e9' },
  { key: 'ns', label: `not significant (p ≥ ${LISA_ALPHA})`, colour: '#e0e0e0' },
];

export interface ReportMap { id: string; title: string; svg: string }

export interface LisaSummary {
  variable: string;
  year: number;
  /** cities in the statistic (with a value and a QUEEN neighbour) */
  n: number;
  /** quadrant of every city in the statistic, whatever its p-value */
  quadrants: Record<Quadrant, number>;
  /** quadrant of the cities with p < LISA_ALPHA */
  significant: Record<Quadrant, number>;
  /** cities with a value but no QUEEN neighbour (left out) */
  islands: string[];
}

export interface ReportMaps { year: number; maps: ReportMap[]; lisa: LisaSummary }

/** Three significant digits, no exponent for the usual ranges. */
export function fmt(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

function ringsOf(geojson: string): Rings {
  const g = JSON.parse(geojson) as { type: string; coordinates: unknown };
  return (g.type === 'Polygon' ? [g.coordinates] : g.coordinates) as Rings;
}

function choropleth(id: string, title: string, subtitle: string, units: MapUnit[], values: Map<string, number>, palette: readonly string[]): ReportMap {
  const vs = [...values.values()];
  const breaks = quantileBreaks(vs, palette.length);
  const lo = Math.min(...vs), hi = Math.max(...vs);
  const edges = [lo, ...breaks, hi];
  const colours = breaks.length + 1 === palette.length ? palette : palette.slice(palette.length - breaks.length - 1);
  const classes = colours.map((colour, k) => ({ colour, label: `${fmt(edges[k])} – ${fmt(edges[k + 1])}` }));
  const names = new Map(units.map((u) => [u.code, u.name]));
  const classOf = new Map([...values].map(([c, v]) => [c, classify(v, breaks)]));
  const tooltip = new Map([...values].map(([c, v]) => [c, `${names.get(c) ?? c}: ${fmt(v)}`]));
  return { id, title, svg: renderMap({ id, title, subtitle, units, classOf, classes, tooltip }) };
}

/** Finite values by city code. */
function finite(pairs: [string, number | null][]): Map<string, number> {
  return new Map(pairs.filter((p): p is [string, number] => p[1] !== null && Number.isFinite(p[1])));
}

export interface ChoroplethSpec { id: string; title: string; subtitle: string; palette: keyof typeof PALETTES; values: Map<string, number> }
export interface LisaSpec { id: string; title: string; variable: string; values: Map<string, number> }

/** The paper's maps (RTA and NQP choropleths, LISA of NQP) from the domain layer's values. */
export async function reportMaps(db: Db, options: { year?: number } = {}): Promise<ReportMaps> {
  const nqp = await nqpScores(db);
  const year = options.year ?? Math.max(...nqp.rows.filter((r) => r.nqp !== null).map((r) => r.year));
  const nqpValues = finite(nqp.rows.filter((r) => r.year === year).map((r) => [r.cityCode, r.nqp]));
  const rtaValues = finite((await cityAgglomeration(db)).rows.filter((r) => r.year === year).map((r) => [r.cityCode, r.rta]));
  if (nqpValues.size === 0) throw new Error(`no NQP values in ${year}`);
  return renderReportMaps(db, year, [
    { id: 'map-rta', title: `RTA (co-agglomeration), ${year}`, subtitle: 'RTA = 1 / Var(Q1, Q2, Q3); quintile classes', palette: 'YlOrRd', values: rtaValues },
    { id: 'map-nqp', title: `NQP (new quality productivity), ${year}`, subtitle: 'entropy-weighted composite; quintile classes', palette: 'YlGnBu', values: nqpValues },
  ], { id: 'map-lisa-nqp', title: `LISA clusters of NQP, ${year}`, variable: 'NQP', values: nqpValues });
}

/** Choropleths (those with values) and the LISA clusters of one variable, by city code, in one year. */
export async function renderReportMaps(db: Db, year: number, choropleths: ChoroplethSpec[], lisaSpec: LisaSpec): Promise<ReportMaps> {
  const outlines = await cityOutlines(db);
  const units: MapUnit[] = outlines.map((o) => ({ code: o.code, name: o.name, rings: ringsOf(o.geojson) }));
  const maps: ReportMap[] = [];
  for (const c of choropleths) if (c.values.size > 0) maps.push(choropleth(c.id, c.title, c.subtitle, units, c.values, PALETTES[c.palette]));

  // LISA as the spatialAutocorrelation query computes it: cities with a value, islands left out, QUEEN, style W
  const codes = [...lisaSpec.values.keys()].sort();
  const full = await storedWeights(db, { type: 'QUEEN', style: 'W' }, codes);
  const islands = full.islands ?? [];
  const w = withoutUnits(full, islands);
  const x = Float64Array.from(w.ids, (id) => lisaSpec.values.get(id)!);
  const local = localMoran(x, w);
  const zero = () => ({ HH: 0, LL: 0, HL: 0, LH: 0 });
  const lisa: LisaSummary = { variable: lisaSpec.variable, year, n: w.ids.length, quadrants: zero(), significant: zero(), islands };
  const classOf = new Map<string, number>();
  const tooltip = new Map<string, string>();
  const names = new Map(units.map((u) => [u.code, u.name]));
  local.forEach((r) => {
    const q = r.quadrant as Quadrant;
    lisa.quadrants[q]++;
    const sig = r.pValue < LISA_ALPHA;
    if (sig) lisa.significant[q]++;
    classOf.set(r.id, LISA_CLASSES.findIndex((c) => c.key === (sig ? q : 'ns')));
    tooltip.set(r.id, `${names.get(r.id) ?? r.id}: ${q}, Ii = ${fmt(r.Ii)}, p = ${fmt(r.pValue)}`);
  });
  maps.push({
    id: lisaSpec.id,
    title: lisaSpec.title,
    svg: renderMap({
      id: lisaSpec.id, title: lisaSpec.title,
      subtitle: `local Moran's I, QUEEN contiguity (row-standardised), p < ${LISA_ALPHA} (normal approximation)`,
      units, classOf, tooltip, classes: LISA_CLASSES, noValueLabel: 'no value or no neighbour',
    }),
  });
  return { year, maps, lisa };
}

/** The maps as an HTML section for report.html (inline SVG, a LISA count table; no scripts, no links). */
export function mapsHtml(m: ReportMaps): string {
  const q = m.lisa;
  const rows = QUADRANTS.map((k) => `<tr><td>${k}</td><td>${q.quadrants[k]}</td><td>${q.significant[k]}</td></tr>`).join('\n');
  return `<section class="maps">
<h2>Maps, ${m.year}</h2>
${m.maps.map((x) => `<figure>\n${x.svg}\n</figure>`).join('\n')}
<table class="regression lisa-counts">
<caption>LISA of ${q.variable}, ${m.year}: quadrants of the ${q.n} cities with a value and a QUEEN neighbour${q.islands.length ? ` (${q.islands.length} without a neighbour left out)` : ''}</caption>
<thead><tr><th>Quadrant</th><th>Cities</th><th>p &lt; ${LISA_ALPHA}</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>
`;
}
