// Writes us-atlas counties (TopoJSON, node_modules/us-atlas/counties-10m.json) as GeoJSON with a GEOID property,
// the input of scripts/usatlas_poly2nb.R. Usage: npx tsx scripts/usatlas-geojson.ts OUT.geojson
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
export function usAtlasCounties(): { type: string; features: { type: string; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }[] } {
  const topo = require('us-atlas/counties-10m.json');
  const { feature } = require('topojson-client') as { feature: (t: unknown, o: unknown) => { features: { id: string; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } }[] } };
  const fc = feature(topo, topo.objects.counties);
  return { type: 'FeatureCollection', features: fc.features.map((f) => ({ type: 'Feature', properties: { GEOID: f.id, name: f.properties.name }, geometry: f.geometry })) };
}

if (process.argv[1] && process.argv[1].endsWith('usatlas-geojson.ts')) {
  const out = process.argv[2];
  if (!out) { process.stderr.write('usage: npx tsx scripts/usatlas-geojson.ts OUT.geojson\n'); process.exit(2); }
  writeFileSync(out, JSON.stringify(usAtlasCounties()));
}
