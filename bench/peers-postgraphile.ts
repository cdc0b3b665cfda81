// PostGraphile 5 (Amber preset) serving the tables of an Agglomera PostgreSQL database, as bench/peers.ts's peer.
// Run in its own process (`node --import tsx --import ./bench/peers-count.mjs bench/peers-postgraphile.ts`) so the
// load generator never shares its event loop; statements are counted by peers-count.mjs.
// Env: DATABASE_URL, PORT. Method as ../shared/peers/graphql/compare.mjs (the reference run of issue 13): pool of 4,
// a computed column `City.geojson(tolerance)` (compare.mjs named it city_outline, which is now also a table: PostGraphile refuses two resources of one name) so it can serve the same simplified outlines.
import http from 'node:http';
import pg from 'pg';

// PostGraphile 5.1 (grafast) calls Promise.withResolvers, which Node 20 lacks.
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= function withResolvers() {
  let resolve!: (v: unknown) => void, reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
};

const db = process.env.DATABASE_URL;
const port = Number(process.env.PORT ?? 4639);
if (!db) throw new Error('DATABASE_URL is required');

/** The function compare.mjs adds (renamed); bench/peers.ts drops it again at the end. */
const OUTLINE_FUNCTION = `CREATE OR REPLACE FUNCTION public.city_geojson(c public.city, tolerance float8) RETURNS json AS $$
  SELECT ST_AsGeoJSON(CASE WHEN tolerance > 0 THEN ST_Multi(ST_SimplifyPreserveTopology(c.boundary, tolerance)) ELSE c.boundary END, 5)::json
$$ LANGUAGE sql STABLE`;

const admin = new pg.Client({ connectionString: db });
await admin.connect();
await admin.query(OUTLINE_FUNCTION);
await admin.end();

const { postgraphile } = await import('postgraphile');
const { PostGraphileAmberPreset } = await import('postgraphile/presets/amber');
const { makePgService } = await import('postgraphile/adaptors/pg');
const { grafserv } = await import('postgraphile/grafserv/node');

const pool = new pg.Pool({ connectionString: db, max: 4 });
const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  // orderBy / condition on every column, not only indexed ones (the top-10-by-value query sorts city_year by gdp)
  disablePlugins: ['PgIndexBehaviorsPlugin'],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { port, graphqlPath: '/graphql' },
});
const server = http.createServer();
pgl.createServ(grafserv).addTo(server);
await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
console.log(`PostGraphile serving http://127.0.0.1:${port}/graphql`);
process.on('SIGTERM', () => { server.close(); void pool.end().finally(() => process.exit(0)); });
