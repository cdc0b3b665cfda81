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
  // outlines straddling the antimeridian (the Aleutians) span the globe: the interior points give the useful view
  if (extent && extent[2] - extent[0] > 180) extent = [c.px0!, c.py0!, c.px1!, c.py1!];
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
