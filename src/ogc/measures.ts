// What the OGC collections need besides plain columns, computed once per data version and kept per store: the
// city-year counts of the three kinds and RTA (cityAgglomeration, itself cached in agglomeration_cache), NQP (the
// pooled entropy composite, as GraphQL serves it), the years with data, the named variables (stored ones by name, composites' values) and the extents.
// A request then costs one dataVersion look-up plus its page statement.
import type { Db } from '../db/db.js';
import { sql } from '../db/sql.js';
import { compositeValuesOf, namedVariables } from '../composites/index.js';
import { cityAgglomeration, dataVersion, DEFAULT_RULE_SET, DomainInputError, nqpScores } from '../domain/index.js';

/** One year's derived city values as parallel arrays (bound as unnest() arrays in the page statement). */
export interface YearMeasures {
  codes: string[];
  q1: number[];
  q2: number[];
  q3: number[];
  nFirms: number[];
  rta: (number | null)[];
  nqp: (number | null)[];
  /** values of snap.composites[j] as composites[j], parallel to codes */
  composites: (number | null)[][];
}

export type Bbox = [number, number, number, number];

export interface OgcSnapshot {
  dataVersion: number;
  ruleVersion: string;
  /** years of city_year / firm_year, ascending */
  cityYears: number[];
  firmYears: number[];
  /** stored named variables (imported, NQP indicators; view unit_variable), sorted by name */
  variables: string[];
  /** composites other than the built-in NQP (served as nqp), in definition order */
  composites: string[];
  cityBbox: Bbox | null;
  firmBbox: Bbox | null;
  byYear: Map<number, YearMeasures>;
}

const memo = new WeakMap<Db, Promise<OgcSnapshot>>();

async function build(db: Db): Promise<OgcSnapshot> {
  // cityAgglomeration classifies stale firm-years first (bumping the version), so read the version it reports
  const agg = await cityAgglomeration(db);
  let nqp: { cityCode: string; year: number; nqp: number | null }[] = [];
  try {
    nqp = (await nqpScores(db)).rows;
  } catch (e) {
    if (!(e instanceof DomainInputError)) throw e; // no city-year indicators (e.g. an empty store): NQP stays null
  }
  const nqpOf = new Map(nqp.map((r) => [`${r.cityCode}|${r.year}`, r.nqp]));
  const named = await namedVariables(db);
  // a composite that cannot be computed on the current data is left out of the properties
  const comps: { name: string; of: Map<string, number | null> }[] = [];
  for (const v of named.filter((x) => x.kind === 'composite' && !x.builtin && x.count > 0)) {
    const c = await compositeValuesOf(db, v.name).catch((e: unknown) => { if (e instanceof DomainInputError) return null; throw e; });
    if (c) comps.push({ name: v.name, of: new Map(c.codes.map((code, i) => [`${code}|${c.years[i]}`, c.values[i]])) });
  }
  const byYear = new Map<number, YearMeasures>();
  for (const r of agg.rows) {
    let m = byYear.get(r.year);
    if (!m) byYear.set(r.year, (m = { codes: [], q1: [], q2: [], q3: [], nFirms: [], rta: [], nqp: [], composites: comps.map(() => []) }));
    m.codes.push(r.cityCode); m.q1.push(r.q1); m.q2.push(r.q2); m.q3.push(r.q3); m.nFirms.push(r.nFirms);
    m.rta.push(r.rta); m.nqp.push(nqpOf.get(`${r.cityCode}|${r.year}`) ?? null);
    comps.forEach((c, j) => m!.composites[j].push(c.of.get(`${r.cityCode}|${r.year}`) ?? null));
  }
  const [e] = await db.query<{ cx: Bbox | null; fx: Bbox | null; cy: number[] | null; fy: number[] | null }>(sql`
    SELECT (SELECT ARRAY[ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x)] FROM (SELECT ST_Extent(boundary)::geometry AS x FROM city) s WHERE x IS NOT NULL) AS cx,
           (SELECT ARRAY[ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x)] FROM (SELECT ST_Extent(location)::geometry AS x FROM firm) s WHERE x IS NOT NULL) AS fx,
           (SELECT array_agg(DISTINCT year ORDER BY year) FROM city_year) AS cy,
           (SELECT array_agg(DISTINCT year ORDER BY year) FROM firm_year) AS fy`);
  return {
    dataVersion: agg.dataVersion,
    ruleVersion: agg.ruleVersion,
    cityYears: e.cy ?? [],
    firmYears: e.fy ?? [],
    variables: named.filter((v) => v.kind === 'stored').map((v) => v.name),
    composites: comps.map((c) => c.name),
    cityBbox: e.cx ? (e.cx.map(Number) as Bbox) : null,
    firmBbox: e.fx ? (e.fx.map(Number) as Bbox) : null,
    byYear,
  };
}

/** The snapshot of the store's current data version (rebuilt when the version moved). */
export async function ogcSnapshot(db: Db): Promise<OgcSnapshot> {
  const cached = memo.get(db);
  if (cached) {
    const [snap, v] = await Promise.all([cached.catch(() => null), dataVersion(db)]);
    if (snap && snap.dataVersion === v) return snap;
  }
  const p = build(db);
  memo.set(db, p);
  p.catch(() => memo.delete(db));
  return p;
}

export const RULE_VERSION = DEFAULT_RULE_SET.version;
