// Boundary imports on a fresh store (no demo): the us-atlas counties with exact contiguity give the poly2nb queen
// sets; bad files write nothing and list every bad feature; a repeated import changes nothing; a Web Mercator
// Shapefile comes back as lon/lat.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usAtlasCounties } from '../scripts/usatlas-geojson.js';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { runImport, recentImports } from '../src/import/core.js';
import type { ImportOptions } from '../src/import/types.js';
import { storeDigest } from './helpers/digest.js';
import { dropFreshDatabase, freshStore } from './helpers/fresh-store.js';

const ref = JSON.parse(readFileSync(new URL('./fixtures/usatlas/poly2nb.json', import.meta.url), 'utf8')) as Record<'queen', Record<string, string[]>>;
const counties = usAtlasCounties();
const countiesFile = Buffer.from(JSON.stringify(counties));
const dir = mkdtempSync(path.join(tmpdir(), 'import-boundaries-'));

const square = (x: number, y: number, s = 1) => ({ type: 'Polygon', coordinates: [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]] });
const fc = (features: unknown[], extra: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({ type: 'FeatureCollection', ...extra, features }));
const feat = (props: Record<string, unknown>, geometry: unknown) => ({ type: 'Feature', properties: props, geometry });

let db: Db;
const imp = (fileName: string, body: Buffer, opts: ImportOptions = {}) => runImport(db, 'boundaries', { fileName, body }, opts);

beforeAll(async () => { db = await freshStore('import_boundaries'); });
afterAll(async () => { await db?.close(); await dropFreshDatabase('import_boundaries'); });

describe('boundary import: us-atlas counties, exact contiguity', () => {
  it('refuses the 40 invalid outlines without --repair, naming each, and writes nothing', async () => {
    const before = await storeDigest(db);
    const r = await imp('counties.geojson', countiesFile, { codeField: 'GEOID', maxProblems: 5 });
    expect(r.status).toBe('rejected');
    expect(r.problemCount).toBe(40);
    expect(r.problems).toHaveLength(5);
    expect(r.problems[0]).toMatchObject({ line: 273, feature: '02105', column: 'geometry' });
    expect(r.problems[0].reason).toMatch(/^invalid polygon: Too few points/);
    expect(await storeDigest(db)).toEqual(before);
  }, 300_000);

  it('imports 3231 units with --repair; stored QUEEN sets equal spdep poly2nb for every county', async () => {
    const r = await imp('counties.geojson', countiesFile, { codeField: 'GEOID', repair: true, contiguity: 'exact' });
    expect(r.status).toBe('ok');
    expect(r.counts).toEqual({ inserted: 3231, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.warnings[0]).toMatch(/^40 invalid outlines repaired/);
    const rows = await db.query<{ a: string; b: string }>(sql`SELECT city_code AS a, neighbour_code AS b FROM city_neighbour`);
    const got = new Map<string, string[]>();
    for (const { a, b } of rows) got.set(a, [...(got.get(a) ?? []), b]);
    const differ = Object.keys(ref.queen).filter((id) => [...(got.get(id) ?? [])].sort().join() !== [...ref.queen[id]].sort().join());
    expect(differ).toEqual([]);
    expect(Object.keys(ref.queen).filter((k) => !got.has(k))).toHaveLength(15); // islands
    const [{ n }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city`);
    expect(n).toBe(3231);
    // interior points lie inside their outline; areas are positive
    const [bad] = await db.query<{ outside: number; nonpos: number }>(sql`
      SELECT count(*) FILTER (WHERE NOT ST_Intersects(centroid, boundary))::int AS outside, count(*) FILTER (WHERE area_km2 <= 0)::int AS nonpos FROM city`);
    expect(bad).toEqual({ outside: 0, nonpos: 0 });
    const ds = await db.query<{ key: string; value: string }>(sql`SELECT key, value FROM dataset_meta WHERE key IN ('synthetic', 'loaded')`);
    expect(Object.fromEntries(ds.map((d) => [d.key, d.value]))).toEqual({ synthetic: 'false', loaded: 'true' });
  }, 300_000);

  it('importing the same file again changes nothing (digest, data version; all unchanged)', async () => {
    const before = await storeDigest(db);
    const r = await imp('counties.geojson', countiesFile, { codeField: 'GEOID', repair: true, contiguity: 'exact' });
    expect(r.status).toBe('ok');
    expect(r.counts).toEqual({ inserted: 0, updated: 0, unchanged: 3231, deleted: 0 });
    expect(await storeDigest(db)).toEqual(before);
    const log = await recentImports(db, 2);
    expect(log[0].dataVersion).toBe(log[1].dataVersion);
  }, 300_000);
});

describe('boundary import: bad files write nothing and list every bad feature', () => {
  it('wrong / unknown CRS', async () => {
    const before = await storeDigest(db);
    const unknown = await imp('x.geojson', fc([feat({ code: 'A1' }, square(0, 0))], { crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::99999' } } }));
    expect(unknown.status).toBe('rejected');
    expect(unknown.problems[0]).toMatchObject({ line: 0, column: 'crs' });
    expect(unknown.problems[0].reason).toMatch(/unknown CRS urn:ogc:def:crs:EPSG::99999/);
    // metres with no crs member: every feature is out of lon/lat range
    const metres = await imp('m.geojson', fc([feat({ code: 'M1' }, square(500000, 4000000, 1000)), feat({ code: 'M2' }, square(501000, 4000000, 1000))]));
    expect(metres.status).toBe('rejected');
    expect(metres.problems.map((p) => [p.line, p.feature])).toEqual([[1, 'M1'], [2, 'M2']]);
    expect(metres.problems[0].reason).toMatch(/outside lon\/lat range: the file's CRS is not EPSG:4326/);
    expect(await storeDigest(db)).toEqual(before);
  });

  it('invalid polygon, duplicate code, missing code, bad code, not a polygon: all reported at once', async () => {
    const before = await storeDigest(db);
    const bowtie = { type: 'Polygon', coordinates: [[[10, 10], [11, 11], [11, 10], [10, 11], [10, 10]]] };
    const r = await imp('bad.geojson', fc([
      feat({ code: 'G1', name: 'good' }, square(20, 20)),
      feat({ code: 'B1' }, bowtie),
      feat({ code: 'G1' }, square(22, 20)),
      feat({ name: 'no code' }, square(24, 20)),
      feat({ code: 'has space' }, square(26, 20)),
      feat({ code: 'P1' }, { type: 'Point', coordinates: [1, 1] }),
    ]));
    expect(r.status).toBe('rejected');
    expect(r.problemCount).toBe(5);
    expect(r.problems.map((p) => [p.line, p.column, p.feature ?? null])).toEqual([
      [2, 'geometry', 'B1'], [3, 'code', 'G1'], [4, 'code', null], [5, 'code', 'has space'], [6, 'geometry', 'P1'],
    ]);
    expect(r.problems[0].reason).toMatch(/^invalid polygon: Self-intersection/);
    expect(r.problems[1].reason).toBe('duplicate unit code (also feature 1)');
    expect(r.problems[2].reason).toMatch(/missing unit code/);
    expect(await storeDigest(db)).toEqual(before);
    const [log] = await recentImports(db, 1);
    expect(log).toMatchObject({ status: 'rejected', problemCount: 5, fileName: 'bad.geojson' });
    expect(log.problems).toHaveLength(5);
  });

  it('--repair makes the bow tie valid; --dry-run reports without writing', async () => {
    const before = await storeDigest(db);
    const bowtie = { type: 'Polygon', coordinates: [[[10, 10], [11, 11], [11, 10], [10, 11], [10, 10]]] };
    const dry = await imp('bt.geojson', fc([feat({ code: 'BT' }, bowtie)]), { repair: true, dryRun: true });
    expect(dry).toMatchObject({ status: 'dry-run', counts: { inserted: 1 } });
    expect(await storeDigest(db)).toEqual(before);
    const ok = await imp('bt.geojson', fc([feat({ code: 'BT' }, bowtie)]), { repair: true });
    expect(ok.status).toBe('ok');
    const [g] = await db.query<{ valid: boolean; area: number }>(sql`SELECT ST_IsValid(boundary) AS valid, ST_Area(boundary) AS area FROM city WHERE code = 'BT'`);
    expect(g.valid).toBe(true);
    expect(g.area).toBeCloseTo(0.5, 9); // the two triangles of the bow tie
  });
});

describe('contiguity rules and replace', () => {
  it('band links outlines a sliver apart, exact does not; --replace clears fields the file does not carry', async () => {
    const two = (gap: number) => fc([
      feat({ code: 'SQ1', name: 'west', prov: 'P' }, square(40, 40)),
      feat({ code: 'SQ2', name: 'east', prov: 'P' }, square(41 + gap, 40)),
    ]);
    const nb = async () => (await db.query<{ a: string; b: string; km: number }>(sql`
      SELECT city_code AS a, neighbour_code AS b, shared_km AS km FROM city_neighbour WHERE city_code IN ('SQ1', 'SQ2') ORDER BY 1`));
    await imp('sq.geojson', two(0.001), { contiguity: 'exact', provinceField: 'prov' });
    expect(await nb()).toEqual([]);
    const band = await imp('sq.geojson', two(0.001), { contiguity: 'band', provinceField: 'prov' });
    expect(band.counts).toEqual({ inserted: 0, updated: 0, unchanged: 2, deleted: 0 });
    const rows = await nb();
    expect(rows.map((r) => [r.a, r.b])).toEqual([['SQ1', 'SQ2'], ['SQ2', 'SQ1']]);
    expect(rows[0].km).toBeGreaterThan(100); // 1 degree of latitude of shared edge, ~111 km
    // exact on touching squares: shared edge length measured on the shared vertices
    await imp('sq.geojson', two(0), { contiguity: 'exact', provinceField: 'prov' });
    expect((await nb())[0].km).toBeCloseTo(111.2, 0);
    expect((await db.query<{ p: string | null }>(sql`SELECT province AS p FROM city WHERE code = 'SQ1'`))[0].p).toBe('P');
    const rep = await imp('sq.geojson', two(0), { contiguity: 'exact', replace: true });
    expect(rep.counts.updated).toBe(2);
    expect((await db.query<{ p: string | null }>(sql`SELECT province AS p FROM city WHERE code = 'SQ1'`))[0].p).toBe(null);
  });
});

describe('Shapefile in a projected CRS', () => {
  it('EPSG:3857 .shp/.dbf/.prj (ogr2ogr) imports with coordinates within 1e-6 degrees of the original', async () => {
    const some = counties.features.filter((f) => ['04013', '36061', '17031', '48201', '53033'].includes(f.properties.GEOID as string));
    const src = path.join(dir, 'five.geojson');
    writeFileSync(src, JSON.stringify({ type: 'FeatureCollection', features: some.map((f) => ({ ...f, properties: { GEOID: `S${f.properties.GEOID}`, NAME: f.properties.name } })) }));
    execFileSync('ogr2ogr', ['-f', 'ESRI Shapefile', '-s_srs', 'EPSG:4326', '-t_srs', 'EPSG:3857', path.join(dir, 'five.shp'), src]);
    const prj = readFileSync(path.join(dir, 'five.prj'), 'utf8');
    expect(prj).toMatch(/Pseudo-Mercator|Web_Mercator|Mercator/);
    const files: Record<string, Uint8Array> = {};
    for (const e of ['shp', 'shx', 'dbf', 'prj']) files[`five.${e}`] = readFileSync(path.join(dir, `five.${e}`));
    const r = await runImport(db, 'boundaries', { fileName: 'five.zip', body: Buffer.from(zipSync(files)) }, { codeField: 'GEOID', nameField: 'NAME' });
    expect(r.problems).toEqual([]);
    expect(r.status).toBe('ok');
    expect(r.counts.inserted).toBe(5);
    expect(r.warnings.join()).toMatch(/reprojected from/);
    // the same through .shp with its sidecars
    const r2 = await runImport(db, 'boundaries', {
      fileName: 'five.shp', body: readFileSync(path.join(dir, 'five.shp')),
      sidecars: { dbf: readFileSync(path.join(dir, 'five.dbf')), prj: readFileSync(path.join(dir, 'five.prj')) },
    }, { codeField: 'GEOID', nameField: 'NAME' });
    expect(r2.counts.unchanged).toBe(5);
    let maxErr = 0;
    for (const f of some) {
      const [row] = await db.query<{ g: string; name: string }>(sql`SELECT ST_AsGeoJSON(boundary, 15) AS g, name FROM city WHERE code = ${`S${f.properties.GEOID}`}`);
      expect(row.name).toBe(f.properties.name);
      // Shapefiles store rings clockwise from their own start vertex: compare vertex sets, nearest to nearest
      const got = (JSON.parse(row.g).coordinates as number[][][][]).flat(2);
      const want = (f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates as number[][][][]).flat(2) as unknown as number[][];
      const near = (p: number[], set: number[][]) => Math.min(...set.map((q) => Math.max(Math.abs(p[0] - q[0]), Math.abs(p[1] - q[1]))));
      for (const p of got) maxErr = Math.max(maxErr, near(p, want));
      for (const p of want) maxErr = Math.max(maxErr, near(p, got));
      expect(new Set(got.map((p) => p.join())).size).toBe(new Set(want.map((p) => p.join())).size);
    }
    expect(maxErr).toBeLessThan(1e-6);
  });
});
