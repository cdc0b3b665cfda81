// Real GIS clients against the OGC API (GDAL's OAPIF driver: ogrinfo, ogr2ogr) on a server at port 0. Skipped only
// when GDAL is absent outside CI; under CI=true a missing ogrinfo fails (.ci/run installs gdal-bin).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { cityAgglomeration } from '../src/domain/index.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { dbKind, getStore } from './helpers/store.js';

const run = promisify(execFile);
const inCi = process.env.CI === 'true';
const hasGdal = await run('ogrinfo', ['--version']).then(() => true, () => false);

async function gdal(cmd: 'ogrinfo' | 'ogr2ogr', args: string[], env: Record<string, string> = {}) {
  const r = await run(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024, timeout: 300_000 });
  return { out: r.stdout, err: r.stderr };
}
const featureCount = (out: string) => Number(/Feature Count: (\d+)/.exec(out)?.[1] ?? NaN);
/** values of one field in ogrinfo's feature dump ("  code (String) = 320100") */
const fieldValues = (out: string, field: string) => [...out.matchAll(new RegExp(`^\\s+${field} \\(\\w+\\) = (.*)$`, 'gm'))].map((m) => m[1].trim());

describe.skipIf(!hasGdal && !inCi)(`GDAL OAPIF client on ${dbKind}`, () => {
  let db: Db;
  let server: RunningServer;
  let url: string;
  let tmp: string;

  beforeAll(async () => {
    if (!hasGdal) throw new Error('ogrinfo (gdal-bin) is required under CI=true: apt-get install -y gdal-bin');
    db = (await getStore()).db;
    server = await startHttp(db, 0);
    url = `OAPIF:${server.origin.replace('localhost', '127.0.0.1')}/ogc`;
    tmp = mkdtempSync(join(tmpdir(), 'ogc-gdal-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ogrinfo lists both collections with their feature counts', async () => {
    const list = (await gdal('ogrinfo', ['-ro', '-so', url])).out;
    expect(list).toMatch(/1: cities .*\(Multi Polygon\)/);
    expect(list).toMatch(/2: firms .*\(Point\)/);
    const cities = (await gdal('ogrinfo', ['-ro', '-so', url, 'cities'])).out;
    expect(featureCount(cities)).toBe(338);
    expect(cities).toMatch(/nGazelle: Integer/);
    expect(cities).toMatch(/rta: Real/);
    const [{ n }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM firm_year WHERE year = (SELECT max(year) FROM firm_year)`);
    expect(featureCount((await gdal('ogrinfo', ['-ro', '-so', url, 'firms'])).out)).toBe(n);
  });

  it('ogrinfo -spat sends a bbox and gets exactly the cities that intersect it', async () => {
    const [j] = await db.query<{ x1: number; y1: number; x2: number; y2: number }>(sql`
      SELECT ST_XMin(e) AS x1, ST_YMin(e) AS y1, ST_XMax(e) AS x2, ST_YMax(e) AS y2 FROM (SELECT ST_Extent(boundary)::geometry AS e FROM city WHERE province = '江苏省') s`);
    const box = [j.x1, j.y1, j.x2, j.y2].map((v) => v.toFixed(4));
    const r = await gdal('ogrinfo', ['-ro', '-al', '-q', '-geom=NO', '-spat', ...box, url, 'cities'], { CPL_DEBUG: 'ON' });
    expect(r.err).toMatch(/Fetch\(.*\/ogc\/collections\/cities\/items\?.*bbox=/);
    const got = fieldValues(r.out, 'code').sort();
    const want = (await db.query<{ code: string }>(sql`SELECT code FROM city WHERE ST_Intersects(boundary,
      ST_MakeEnvelope(${Number(box[0])}::float8, ${Number(box[1])}::float8, ${Number(box[2])}::float8, ${Number(box[3])}::float8, 4326)) ORDER BY code`)).map((x) => x.code);
    expect(got).toEqual(want);
    expect(got.length).toBeGreaterThan(13); // Jiangsu's 13 and neighbours touching its box
    // a box well inside Jiangsu: only Jiangsu cities
    const inner = await gdal('ogrinfo', ['-ro', '-al', '-q', '-geom=NO', '-spat', '119.5', '32', '120.5', '33', url, 'cities']);
    const provinces = fieldValues(inner.out, 'province');
    expect(provinces.length).toBeGreaterThan(3);
    expect(new Set(provinces)).toEqual(new Set(['江苏省']));
  });

  it('ogrinfo -where is evaluated by the server (CQL2 text) with the same result', async () => {
    const r = await gdal('ogrinfo', ['-ro', '-al', '-so', '-where', "province = '江苏省'", url, 'cities'], { CPL_DEBUG: 'ON' });
    expect(r.err).toMatch(/Fetch\(.*\/ogc\/collections\/cities\/items\?.*filter=province/);
    expect(featureCount(r.out)).toBe(13);
    const [{ n }] = await db.query<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM firm_year y JOIN firm_kind k ON k.firm_id = y.firm_id AND k.year = y.year
      WHERE y.year = (SELECT max(year) FROM firm_year) AND k.kind = 'gazelle' AND y.employees > 100`);
    const firms = await gdal('ogrinfo', ['-ro', '-al', '-so', '-where', "kind = 'gazelle' AND employees > 100", url, 'firms'], { CPL_DEBUG: 'ON' });
    expect(firms.err).toMatch(/filter=.*kind.*employees/);
    expect(featureCount(firms.out)).toBe(n);
  });

  it('ogr2ogr copies the cities layer into a GeoPackage that reads back whole', async () => {
    const out = join(tmp, 'cities.gpkg');
    await gdal('ogr2ogr', ['-f', 'GPKG', out, url, 'cities', '-oo', 'PAGE_SIZE=100']);
    const info = (await gdal('ogrinfo', ['-ro', '-so', out, 'cities'])).out;
    expect(featureCount(info)).toBe(338);
    expect(info).toMatch(/Geometry: Multi Polygon/);
    const sums = (await gdal('ogrinfo', ['-ro', '-q', '-sql', "SELECT sum(nGazelle) AS g, count(*) AS n FROM cities WHERE province = '江苏省'", out])).out;
    const agg = await cityAgglomeration(db);
    const latest = Math.max(...agg.rows.map((r) => r.year));
    const js = await db.query<{ code: string }>(sql`SELECT code FROM city WHERE province = '江苏省'`);
    const want = agg.rows.filter((r) => r.year === latest && js.some((c) => c.code === r.cityCode)).reduce((a, r) => a + r.q2, 0);
    expect(Number(fieldValues(sums, 'g')[0])).toBe(want);
    expect(Number(fieldValues(sums, 'n')[0])).toBe(13);
  });
});
