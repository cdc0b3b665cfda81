// Computes the contiguity table of data/cities.geojson on a PostgreSQL + PostGIS server and writes
// data/city-neighbours.json, which start-up loads into either database.
// Why precomputed: the embedded engine (PostGIS compiled to WebAssembly) was seen to drop rows silently in the
// heavy buffer/intersection statements this needs, and recomputing takes it minutes; the server takes ~2 s.
// Usage: DATABASE_URL=postgresql://…/scratch npx tsx scripts/build-neighbours.ts   (the database is left unchanged)
import { writeFile } from 'node:fs/promises';
import { openDb } from '../src/db/db.js';
import { migrate } from '../src/db/migrate.js';
import { insertCities } from '../src/db/queries/load.js';
import { rebuildNeighbours, NEIGHBOURS_FILE, type NeighbourPair } from '../src/db/queries/neighbours.js';
import { sql } from '../src/db/sql.js';
import { loadCityFeatures } from '../src/demo/cities.js';

if (!process.env.DATABASE_URL) {
  console.error('set DATABASE_URL to a PostgreSQL database with PostGIS available');
  process.exit(2);
}
const db = await openDb({ databaseUrl: process.env.DATABASE_URL });
await migrate(db);
const features = await loadCityFeatures();
class Rollback extends Error {}
let pairs: NeighbourPair[] = [];
await db.transaction(async (tx) => {
  await tx.query(sql`DELETE FROM city_neighbour`);
  await tx.query(sql`DELETE FROM city WHERE NOT EXISTS (SELECT 1 FROM firm WHERE firm.city_code = city.code) AND NOT EXISTS (SELECT 1 FROM city_year y WHERE y.city_code = city.code)`);
  const [{ n }] = await tx.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city`);
  if (n > 0) throw new Error('run this on an empty scratch database');
  await insertCities(tx, features.map((f) => ({ ...f.properties, geometry: f.geometry })));
  await rebuildNeighbours(tx);
  pairs = (await tx.query<{ a: string; c: string; km: number; dist: number }>(sql`
    SELECT city_code AS a, neighbour_code AS c, shared_km AS km, distance_km AS dist FROM city_neighbour
    WHERE city_code < neighbour_code ORDER BY 1, 2`)).map((r) => [r.a, r.c, Math.round(r.km * 1e4) / 1e4, Math.round(r.dist * 1e4) / 1e4]);
  throw new Rollback();
}).catch((e) => { if (!(e instanceof Rollback)) throw e; });
await writeFile(NEIGHBOURS_FILE, JSON.stringify({
  rule: 'queen: outlines within 0.005 degrees; sharedKm: border length within that band (larger of the two directions)',
  source: 'scripts/build-neighbours.ts on PostgreSQL + PostGIS',
  pairs,
}) + '\n');
console.log(`${pairs.length} neighbour pairs from ${features.length} cities → ${NEIGHBOURS_FILE}`);
await db.close();
