// Loads the committed city outlines (data/cities.geojson, or .gz when large). The only demo module doing I/O.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export type Region = 'East' | 'Central' | 'West';

export interface CityProperties {
  /** 6-digit GB/T 2260 code, e.g. "320100" */
  code: string;
  /** official name with suffix, e.g. "南京市" */
  name: string;
  /** province name, e.g. "江苏省" */
  province: string;
  /** 6-digit province code, e.g. "320000" */
  provinceCode: string;
  region: Region;
}

export interface CityFeature {
  type: 'Feature';
  properties: CityProperties;
  geometry: { type: 'MultiPolygon'; coordinates: [number, number][][][] };
}

export const DEFAULT_CITIES_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../data/cities.geojson');

/** Reads `path` (default data/cities.geojson), falling back to `path + '.gz'`. */
export function loadCityFeatures(path = DEFAULT_CITIES_PATH): CityFeature[] {
  const gz = `${path}.gz`;
  let text: string;
  if (existsSync(path)) text = readFileSync(path, 'utf8');
  else if (existsSync(gz)) text = gunzipSync(readFileSync(gz)).toString('utf8');
  else throw new Error(`city boundaries not found: ${path} (or ${gz}); run: npx tsx scripts/build-cities.ts`);
  const fc = JSON.parse(text) as { type?: string; features?: CityFeature[] };
  if (fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) throw new Error(`${path}: not a GeoJSON FeatureCollection`);
  return fc.features;
}
