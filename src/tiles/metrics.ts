// One year's tile attributes of every unit (GDP, population, RTA, NQP, firm counts by kind, the composites), computed by the domain
// layer exactly as GraphQL's `City.rta(year)`, `City.nqp(year)` and `agglomeration(year, index: Q1..Q3)` compute
// them, and cached per database handle and data version (the triggers bump it on every change of those inputs).
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import { compositeValuesOf, namedVariables } from '../composites/index.js';
import { cityAgglomeration, DomainInputError, nqpScores } from '../domain/index.js';

export interface CityMetrics {
  gdp: number | null;
  population: number | null;
  rta: number | null;
  nqp: number | null;
  /** Q1, Q2, Q3: firms of each kind that year (ST / financial firms left out, as for RTA) */
  fledgling: number | null;
  gazelle: number | null;
  unicorn: number | null;
  /** all sampled firms with figures that year */
  firmCount: number | null;
  /** the composites other than NQP, by name (src/composites), as further attributes */
  [composite: string]: number | null;
}

/** The attributes every unit has; anything else on a CityMetrics is a composite's value. */
export const BASE_METRIC_KEYS = ['gdp', 'population', 'rta', 'nqp', 'fledgling', 'gazelle', 'unicorn', 'firmCount'] as const;

export interface YearIndex {
  /** stored years of city_year, ascending */
  years: number[];
  byYear: Map<number, Map<string, CityMetrics>>;
}

const cache = new WeakMap<Db, { version: number; index: Promise<YearIndex> }>();

/** All city-years' tile attributes under data version `version` (computed once per version). */
export function cityMetricsIndex(db: Db, version: number): Promise<YearIndex> {
  const hit = cache.get(db);
  if (hit && hit.version === version) return hit.index;
  const index = build(db);
  cache.set(db, { version, index });
  index.catch(() => { if (cache.get(db)?.index === index) cache.delete(db); });
  return index;
}

async function build(db: Db): Promise<YearIndex> {
  const [base, agg, nqp] = await Promise.all([
    db.query<{ code: string; year: number; gdp: number | null; population: number | null }>(sql`
      SELECT city_code AS code, year, gdp, population FROM city_year ORDER BY year, city_code`),
    cityAgglomeration(db),
    nqpScores(db),
  ]);
  const key = (code: string, year: number) => `${code}|${year}`;
  // composites (not the built-in NQP, served as nqp; none whose name is a base attribute; none that cannot be computed)
  const comps: { name: string; of: Map<string, number | null> }[] = [];
  for (const v of (await namedVariables(db)).filter((x) => x.kind === 'composite' && !x.builtin && x.count > 0 && !(BASE_METRIC_KEYS as readonly string[]).includes(x.name))) {
    const c = await compositeValuesOf(db, v.name).catch((e: unknown) => { if (e instanceof DomainInputError) return null; throw e; });
    if (c) comps.push({ name: v.name, of: new Map(c.codes.map((code, i) => [key(code, c.years[i]), c.values[i]])) });
  }
  const measures = new Map(agg.rows.map((r) => [key(r.cityCode, r.year), r]));
  const scores = new Map(nqp.rows.map((r) => [key(r.cityCode, r.year), r.nqp]));
  const byYear = new Map<number, Map<string, CityMetrics>>();
  for (const r of base) {
    const m = measures.get(key(r.code, r.year));
    let year = byYear.get(r.year);
    if (!year) byYear.set(r.year, (year = new Map()));
    year.set(r.code, {
      gdp: r.gdp, population: r.population, rta: m?.rta ?? null, nqp: scores.get(key(r.code, r.year)) ?? null,
      fledgling: m?.q1 ?? null, gazelle: m?.q2 ?? null, unicorn: m?.q3 ?? null, firmCount: m?.nFirms ?? null,
      ...Object.fromEntries(comps.map((c) => [c.name, c.of.get(key(r.code, r.year)) ?? null])),
    });
  }
  return { years: [...byYear.keys()].sort((a, b) => a - b), byYear };
}
