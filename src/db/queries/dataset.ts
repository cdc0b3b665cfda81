// What the store holds, for `dataset` and the map page: counts, the units' extent, and the wording a client shows
// (heading, unit word, attribution, search hint). The demo keeps its wording; imported units get wording derived from
// the store, and dataset_meta keys title / unit_label / attribution / search_hint override it.
import type { Db } from '../db.js';
import { sql } from '../sql.js';
import { getMeta } from './load.js';

export interface DatasetInfo {
  synthetic: boolean; description: string; seed: string | null; boundariesSource: string | null;
  cities: number; firms: number; cityYears: number;
  title: string; unitLabel: string; attribution: string; searchHint: string; extent: number[] | null;
}

export async function datasetInfo(db: Db): Promise<DatasetInfo> {
  const meta = await getMeta(db);
  const [c] = await db.query<{ cities: number; firms: number; city_years: number; example: string | null; x0: number | null; y0: number | null; x1: number | null; y1: number | null; px0: number | null; py0: number | null; px1: number | null; py1: number | null }>(sql`
    SELECT (SELECT count(*) FROM city)::int AS cities, (SELECT count(*) FROM firm)::int AS firms,
           (SELECT count(*) FROM city_year)::int AS city_years, (SELECT name FROM city ORDER BY code LIMIT 1) AS example,
           ST_XMin(b) AS x0, ST_YMin(b) AS y0, ST_XMax(b) AS x1, ST_YMax(b) AS y1,
           ST_XMin(p) AS px0, ST_YMin(p) AS py0, ST_XMax(p) AS px1, ST_YMax(p) AS py1
    FROM (SELECT ST_Extent(boundary)::geometry AS b, ST_Extent(centroid)::geometry AS p FROM city) e`);
  // the demo's units unless boundaries were imported since
  const demoUnits = meta.seed !== undefined && !(meta.user_data ?? '').split(',').includes('boundaries');
  const demoData = meta.seed !== undefined;
  const outlines = demoUnits ? 'data/ATTRIBUTION.md' : meta.boundaries ?? 'imported boundaries';
  let extent: number[] | null = c.x0 === null ? null : [c.x0, c.y0!, c.x1!, c.y1!];
  // units on both sides of the antimeridian (the Aleutians, Guam) span the globe: the view is the shortest longitude
  // interval holding every unit's interior point, which may end east of 180° (then maxLon > 180)
  if (extent && extent[2] - extent[0] > 180) {
    const lons = (await db.query<{ x: number }>(sql`SELECT ST_X(centroid) AS x FROM city ORDER BY 1`)).map((r) => r.x);
    const [west, east] = wrappedInterval(lons);
    extent = [west, c.py0!, east, c.py1!];
  }
  return {
    synthetic: meta.synthetic === 'true',
    description: meta.description ?? 'no data loaded',
    seed: meta.seed ?? null,
    boundariesSource: meta.boundaries ?? null,
    cities: c.cities, firms: c.firms, cityYears: c.city_years,
    title: meta.title ?? (demoUnits ? 'Prefecture-level cities' : c.cities ? `Units (${outlines})` : 'No units loaded'),
    unitLabel: meta.unit_label ?? (demoUnits ? 'city' : 'unit'),
    attribution: meta.attribution ?? `Outlines: ${outlines}${demoData ? ' · firms and metrics: synthetic demo' : ''}`,
    searchHint: meta.search_hint ?? (demoUnits ? 'Find a city… 南京' : `Find a unit… ${c.example ?? ''}`.trim()),
    extent,
  };
}

/** The shortest interval [west, east] (east may exceed 180) holding every longitude: the complement of the largest gap. */
export function wrappedInterval(sorted: number[]): [number, number] {
  let gap = sorted[0] + 360 - sorted[sorted.length - 1], west = sorted[0], east = sorted[sorted.length - 1];
  for (let i = 1; i < sorted.length; i++) {
    const g = sorted[i] - sorted[i - 1];
    if (g > gap) { gap = g; west = sorted[i]; east = sorted[i - 1] + 360; }
  }
  return [west, east];
}
