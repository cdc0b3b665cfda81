// Any CRS of the EPSG registry by code (GeoJSON crs member as URN, URL, EPSG:n, ESRI:n) and any .prj proj4 reads,
// checked against PROJ's cs2cs (reference values below, commands in the comments), and NC SIDS in NAD27 — as GeoJSON
// with its crs URN and as a Shapefile with its ESRI .prj — imported within 1e-4° of `ogr2ogr -t_srs EPSG:4326`
// (test/fixtures/nc-sids/README.md says how each file was made and which datum transformation each side used).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { runImport } from '../src/import/core.js';
import { crsOfGeoJSON, crsOfPrj, parseCrsName, registryEntry, UnknownCrs, type Crs } from '../src/import/crs.js';
import { dbKind } from './helpers/store.js';
import { dropFreshDatabase, freshStore } from './helpers/fresh-store.js';

const NC = path.resolve(__dirname, 'fixtures/nc-sids');
const named = (name: string): Crs => crsOfGeoJSON({ type: 'name', properties: { name } });

/** Largest coordinate difference in degrees. */
const off = (a: number[], b: number[]) => Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]));

describe('CRS by EPSG code through the registry', () => {
  it('reads the URN, URL, EPSG:n and ESRI:n forms', () => {
    expect(parseCrsName('urn:ogc:def:crs:EPSG::4267')).toBe(4267);
    expect(parseCrsName('urn:ogc:def:crs:EPSG:9.8.15:4267')).toBe(4267);
    expect(parseCrsName('http://www.opengis.net/def/crs/EPSG/0/4267')).toBe(4267);
    expect(parseCrsName('EPSG:4267')).toBe(4267);
    expect(parseCrsName('ESRI:102025')).toBe(102025);
    expect(parseCrsName('urn:ogc:def:crs:OGC:1.3:CRS84')).toBe('CRS84');
    expect(parseCrsName('NAD27')).toBeNull();
    const forms = ['urn:ogc:def:crs:EPSG::4267', 'http://www.opengis.net/def/crs/EPSG/0/4267', 'EPSG:4267'].map((n) => named(n).toLonLat!(-79, 35.5));
    expect(forms[1]).toEqual(forms[0]);
    expect(forms[2]).toEqual(forms[0]);
  });

  // reference: echo "<y x>" | cs2cs -d 10 EPSG:<code> EPSG:4326 (PROJ 9.1.1, no transformation grids installed)
  const CASES: { name: string; xy: [number, number]; lonlat: [number, number]; tol: number; transformation: RegExp }[] = [
    // NAD27: PROJ picks EPSG:1173 (Helmert -8,160,176) when the conus grid is absent, as this resolver does
    { name: 'EPSG:4267', xy: [-79, 35.5], lonlat: [-78.9997500635, 35.5000961871], tol: 1e-9, transformation: /EPSG:1173.*towgs84=-8,160,176/ },
    // Beijing 1954: the registry's Helmert (15.8,-154.4,-82.3); PROJ picks an area's own (EPSG:15936 here), ~4 m apart.
    // cs2cs with the same parameters: echo "110 35" | cs2cs -d 10 +proj=longlat +ellps=krass +towgs84=15.8,-154.4,-82.3 +to +proj=longlat +datum=WGS84
    { name: 'EPSG:4214', xy: [110, 35], lonlat: [110.0004158394, 35.0001932669], tol: 1e-9, transformation: /towgs84=15.8,-154.4,-82.3/ },
    // Xian 1980 and CGCS2000: no shift (PROJ: ballpark identity / WGS 84-like)
    { name: 'EPSG:4610', xy: [110, 35], lonlat: [110, 35], tol: 1e-12, transformation: /none/ },
    // CGCS2000 / 3-degree Gauss-Kruger zone 38 (x with the zone prefix), CM 75E zone 25, CM 135E
    { name: 'EPSG:4526', xy: [38400000, 4000000], lonlat: [112.8891697772, 36.1251421033], tol: 1e-9, transformation: /none/ },
    { name: 'EPSG:4513', xy: [25400000, 3000000], lonlat: [73.9915582819, 27.1080162708], tol: 1e-9, transformation: /none/ },
    { name: 'EPSG:4554', xy: [600000, 5000000], lonlat: [136.2711242524, 45.1283995625], tol: 1e-9, transformation: /none/ },
    { name: 'EPSG:32650', xy: [500000, 4000000], lonlat: [117, 36.1447180988], tol: 1e-9, transformation: /none/ },
    // Albers equal-area for (northern) Asia, as used for maps of China: ESRI:102025
    { name: 'ESRI:102025', xy: [1500000, 4000000], lonlat: [124.5170118251, 61.1936780162], tol: 1e-9, transformation: /none/ },
  ];
  for (const c of CASES) {
    it(`${c.name} → EPSG:4326 as cs2cs`, () => {
      const crs = named(c.name);
      expect(crs.transformation).toMatch(c.transformation);
      expect(off(crs.toLonLat!(...c.xy), c.lonlat)).toBeLessThan(c.tol);
    });
  }

  it('takes lon/lat on WGS 84-like datums as they are (CGCS2000, CRS84)', () => {
    expect(named('EPSG:4490').toLonLat).toBeNull();
    expect(named('EPSG:4326').toLonLat).toBeNull();
    expect(named('urn:ogc:def:crs:OGC:1.3:CRS84').toLonLat).toBeNull();
  });

  it('refuses an unknown code, a vertical CRS and an unreadable name clearly', () => {
    expect(() => named('EPSG:999999')).toThrow(UnknownCrs);
    expect(() => named('EPSG:999999')).toThrow('unknown CRS EPSG:999999: EPSG:999999 is not in the EPSG registry (epsg-index)');
    expect(registryEntry(5773)?.kind).toBe('CRS-VERTCRS');
    expect(() => named('EPSG:5773')).toThrow(/is a vertcrs CRS, not a horizontal one/);
    expect(() => named('NAD27')).toThrow(/give it as urn:ogc:def:crs:EPSG::NNNN/);
  });
});

describe('CRS of a .prj', () => {
  it('NC SIDS .prj (ESRI WKT, no EPSG code): datum matched by name to EPSG:4267, the same shift as by code', () => {
    const crs = crsOfPrj(readFileSync(path.join(NC, 'nc.prj'), 'utf8'));
    expect(crs.transformation).toMatch(/EPSG:1173.*datum "D_North_American_1927" as EPSG:4267/);
    // the .prj rounds Clarke 1866's inverse flattening (294.9786982 vs 294.978698213898): ~1e-11° apart
    expect(off(crs.toLonLat!(-79, 35.5), named('EPSG:4267').toLonLat!(-79, 35.5))).toBeLessThan(1e-9);
  });

  it('Albers equal-area China as ESRI WKT (lat 25/47, CM 105E) and ESRI:102025 WKT from the registry', () => {
    // echo "1000000 4000000" | cs2cs -d 10 +proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +datum=WGS84 +units=m +to +proj=longlat +datum=WGS84
    const albers = 'PROJCS["Albers_China",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
      + 'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Albers"],PARAMETER["False_Easting",0.0],'
      + 'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Standard_Parallel_1",25.0],'
      + 'PARAMETER["Standard_Parallel_2",47.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';
    expect(off(crsOfPrj(albers).toLonLat!(1000000, 4000000), [116.4446872404, 36.8360439590])).toBeLessThan(1e-9);
    const esri = registryEntry(102025)!.wkt!;
    expect(off(crsOfPrj(esri).toLonLat!(1500000, 4000000), [124.5170118251, 61.1936780162])).toBeLessThan(1e-9);
  });

  it('refuses a geographic .prj on a datum the registry does not know', () => {
    expect(() => crsOfPrj('GEOGCS["Nowhere",DATUM["D_Nowhere_1900",SPHEROID["Bessel",6377397.155,299.1528128]],PRIMEM["Greenwich",0],UNIT["Degree",0.0174532925199433]]'))
      .toThrow(/geographic CRS "Nowhere" on datum "D_Nowhere_1900" is not in the EPSG registry/);
  });
});

describe(`NC SIDS in NAD27 on ${dbKind}`, () => {
  let db: Db;
  beforeAll(async () => { db = await freshStore('import_crs'); }, 300_000);
  afterAll(async () => { await db?.close(); await dropFreshDatabase('import_crs'); });

  /** Reference: ogr2ogr -t_srs EPSG:4326, features by FIPS, each ring's vertices. */
  const reference = () => {
    const ref = JSON.parse(readFileSync(path.join(NC, 'nc-wgs84-ogr2ogr.geojson'), 'utf8')) as { features: { properties: { FIPS: string }; geometry: { type: string; coordinates: any } }[] };
    return new Map(ref.features.map((f) => [f.properties.FIPS, (f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates).flat(2) as number[][]]));
  };

  /** The largest distance from any stored vertex to the nearest reference vertex of its county, and back. */
  async function maxOffset(): Promise<{ max: number; vertices: number; units: number }> {
    const ref = reference();
    const rows = await db.query<{ code: string; g: string }>(sql`SELECT code, ST_AsGeoJSON(boundary, 15) AS g FROM city ORDER BY code`);
    let max = 0, vertices = 0;
    for (const r of rows) {
      const want = ref.get(r.code)!;
      const got = (JSON.parse(r.g).coordinates as number[][][][]).flat(2);
      const near = (p: number[], set: number[][]) => Math.min(...set.map((q) => off(p, q)));
      for (const p of got) max = Math.max(max, near(p, want));
      for (const p of want) max = Math.max(max, near(p, got));
      expect(new Set(got.map((p) => p.join())).size).toBe(new Set(want.map((p) => p.join())).size);
      vertices += got.length;
    }
    return { max, vertices, units: rows.length };
  }

  it('imports the GeoJSON with its crs URN within 1e-4° of ogr2ogr', async () => {
    const body = readFileSync(path.join(NC, 'nc-nad27.geojson'));
    expect(JSON.parse(body.toString()).crs.properties.name).toBe('urn:ogc:def:crs:EPSG::4267');
    const r = await runImport(db, 'boundaries', { fileName: 'nc-nad27.geojson', body }, { codeField: 'FIPS', nameField: 'NAME', replace: true });
    expect(r.problems).toEqual([]);
    expect(r.status).toBe('ok');
    expect(r.counts.inserted).toBe(100);
    expect(r.warnings.join()).toMatch(/reprojected from urn:ogc:def:crs:EPSG::4267/);
    const m = await maxOffset();
    console.log(`NC SIDS GeoJSON (EPSG:4267 URN) on ${dbKind}: ${m.units} counties, ${m.vertices} vertices, largest offset from ogr2ogr ${m.max.toExponential(2)}°`);
    expect(m.units).toBe(100);
    expect(m.max).toBeLessThan(1e-4);
  }, 300_000);

  it('imports the Shapefile with its .prj within 1e-4° of ogr2ogr (over the rows of the GeoJSON)', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const e of ['shp', 'shx', 'dbf', 'prj']) files[`nc.${e}`] = readFileSync(path.join(NC, `nc.${e}`));
    const r = await runImport(db, 'boundaries', { fileName: 'nc.zip', body: Buffer.from(zipSync(files)) }, { codeField: 'FIPS', nameField: 'NAME', replace: true });
    expect(r.problems).toEqual([]);
    expect(r.status).toBe('ok');
    expect(r.counts.inserted + r.counts.updated + r.counts.unchanged).toBe(100);
    expect(r.warnings.join()).toMatch(/reprojected from GCS_North_American_1927/);
    const m = await maxOffset();
    console.log(`NC SIDS Shapefile (.prj) on ${dbKind}: ${m.units} counties, ${m.vertices} vertices, largest offset from ogr2ogr ${m.max.toExponential(2)}°; `
      + `inserted ${r.counts.inserted}, updated ${r.counts.updated}, unchanged ${r.counts.unchanged}`);
    expect(m.max).toBeLessThan(1e-4);
  }, 300_000);
});
