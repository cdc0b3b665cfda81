// Done-when 1 (formats): on a fresh store (no demo), the us-atlas counties as GeoJSON, GeoPackage and TopoJSON:
// county 51610 (a zero-area outline) is named and blocks the file without --skip-invalid, is left out and listed with
// it, and the three formats give the same units and the same city_neighbour table. Then a county-year panel with
// Chinese headers as UTF-8 CSV, as xlsx (through the HTTP door, told by its bytes) and as GB18030 CSV (through
// importData, base64) stores identical values (the second and third imports change nothing: same digest).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { graphql, type GraphQLSchema } from 'graphql';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usAtlasCounties } from '../scripts/usatlas-geojson.js';
import { buildGraphQLSchema } from '../src/app.js';
import type { Principal } from '../src/auth/roles.js';
import type { Db } from '../src/db/db.js';
import { sql } from '../src/db/sql.js';
import { importRoute } from '../src/http/import-route.js';
import { runImport } from '../src/import/core.js';
import type { ImportReport } from '../src/import/types.js';
import { makeContext } from '../src/resolvers/loaders.js';
import { digest } from './import-helpers.js';
import { dropFreshDatabase, freshStore } from './helpers/fresh-store.js';
import { writeGeoPackage } from './helpers/gpkg-writer.js';

const require = createRequire(import.meta.url);
const ADMIN: Principal = { role: 'admin', anonymousRole: 'reader', keyId: 'key-formats' };
const SUFFIX = 'import_formats';
let db: Db, schema: GraphQLSchema, server: http.Server, origin: string;

const counties = usAtlasCounties();
const topoText = readFileSync(require.resolve('us-atlas/counties-10m.json'));

async function neighbours(): Promise<string[]> {
  const rows = await db.query<{ a: string; b: string; km: number }>(sql`SELECT city_code AS a, neighbour_code AS b, shared_km AS km FROM city_neighbour ORDER BY 1, 2`);
  return rows.map((r) => `${r.a}|${r.b}|${Number(r.km).toFixed(9)}`);
}
const units = async () => (await db.query<{ code: string; name: string; wkb: string }>(sql`SELECT code, name, md5(ST_AsBinary(boundary)) AS wkb FROM city ORDER BY code`)).map((r) => `${r.code}|${r.name}|${r.wkb}`);

beforeAll(async () => {
  db = await freshStore(SUFFIX);
  schema = await buildGraphQLSchema();
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    void importRoute(req, res, { db, url, origin, principal: ADMIN }).then((done) => { if (!done) { res.writeHead(404); res.end(); } });
  });
  await new Promise<void>((r) => server.listen(0, r));
  origin = `http://localhost:${(server.address() as AddressInfo).port}`;
}, 600_000);
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await db?.close();
  await dropFreshDatabase(SUFFIX);
});

let skippedCodes: string[] = [];
let geojsonNeighbours: string[] = [];
let geojsonUnits: string[] = [];

describe('us-atlas counties as GeoJSON, GeoPackage and TopoJSON', () => {
  it('GeoJSON: 51610 is named as a zero-area outline and blocks the file; --skip-invalid leaves it out and imports the rest', async () => {
    const body = Buffer.from(JSON.stringify(counties));
    const bad = await runImport(db, 'boundaries', { fileName: 'counties.geojson', body }, { codeField: 'GEOID' });
    expect(bad.status).toBe('rejected');
    const fc = bad.problems.find((p) => p.feature === '51610');
    expect(fc).toMatchObject({ column: 'geometry', reason: expect.stringMatching(/^zero area: the outline encloses nothing/) });
    expect(await units()).toEqual([]);

    const r = await runImport(db, 'boundaries', { fileName: 'counties.geojson', body }, { codeField: 'GEOID', skipInvalid: true });
    expect(r.status, JSON.stringify(r.problems)).toBe('ok');
    skippedCodes = (r.skippedRows ?? []).map((p) => p.feature!);
    expect(skippedCodes).toContain('51610');
    expect(r.counts).toEqual({ inserted: 3231 - skippedCodes.length, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.skipped).toBe(skippedCodes.length);
    expect(r.skippedRows!.find((p) => p.feature === '51610')!.reason).toMatch(/^zero area/);
    expect(r.warnings).toContain(`${skippedCodes.length} features left out (--skip-invalid): ${skippedCodes.join(', ')}`);
    geojsonUnits = await units();
    geojsonNeighbours = await neighbours();
    expect(geojsonUnits).toHaveLength(3231 - skippedCodes.length);
    // Falls Church's neighbours (Arlington, Fairfax) lost it; the others are there
    expect(geojsonNeighbours.some((n) => n.split('|').slice(0, 2).includes('51610'))).toBe(false);
    expect(geojsonNeighbours.some((n) => n.startsWith('51013|51059|'))).toBe(true);
    expect(geojsonNeighbours.length).toBeGreaterThan(18_000);
  }, 600_000);

  it('GeoPackage of the same counties: same units (unchanged), same skipped, same neighbours', async () => {
    const gpkg = await writeGeoPackage([{ name: 'counties', srsId: 4326, features: counties.features.map((f) => ({ properties: { GEOID: String(f.properties.GEOID), name: String(f.properties.name) }, geometry: f.geometry })) }]);
    const r = await runImport(db, 'boundaries', { fileName: 'counties.gpkg', body: gpkg }, { codeField: 'GEOID', skipInvalid: true });
    expect(r.status, JSON.stringify(r.problems)).toBe('ok');
    expect(r.rowsRead).toBe(3231);
    expect(r.counts).toEqual({ inserted: 0, updated: 0, unchanged: 3231 - skippedCodes.length, deleted: 0 });
    expect(r.skipped).toBe(skippedCodes.length);
    expect(r.skippedRows!.map((p) => p.feature)).toEqual(skippedCodes);
    expect(await units()).toEqual(geojsonUnits);
    expect(await neighbours()).toEqual(geojsonNeighbours);
  }, 600_000);

  it('TopoJSON (us-atlas counties-10m.json as shipped; codes from the feature ids): the same again', async () => {
    const r = await runImport(db, 'boundaries', { fileName: 'counties-10m.json', body: topoText }, { skipInvalid: true });
    expect(r.status, JSON.stringify(r.problems)).toBe('ok');
    expect(r.counts).toEqual({ inserted: 0, updated: 0, unchanged: 3231 - skippedCodes.length, deleted: 0 });
    expect(r.skipped).toBe(skippedCodes.length);
    expect(r.skippedRows!.map((p) => p.feature)).toEqual(skippedCodes);
    expect(await neighbours()).toEqual(geojsonNeighbours);
    // --layer picks another object; an unknown one names those there are
    const bad = await runImport(db, 'boundaries', { fileName: 'counties-10m.json', body: topoText }, { layer: 'rivers', dryRun: true });
    expect(bad.problems[0].reason).toBe("no object 'rivers' in the TopoJSON (objects: counties, states, nation)");
  }, 600_000);

  it('HTTP door: an ogr2ogr-made GeoPackage posted without a name is told by its bytes; --layer and --skip-invalid as query options', async () => {
    const va = gunzipSync(readFileSync(new URL('./fixtures/formats/va-counties.gpkg.gz', import.meta.url)));
    const res = await fetch(`${origin}/api/import/boundaries?code=GEOID&layer=va_counties&skipInvalid=true`, { method: 'POST', body: new Uint8Array(va) });
    const r = (await res.json()) as ImportReport;
    expect(res.status, JSON.stringify(r)).toBe(200);
    expect(r.fileName).toBe('upload.geojson');
    // the Virginia counties the GeoJSON import left out (51610 and outlines that quantisation made invalid)
    const vaSkipped = skippedCodes.filter((c) => c.startsWith('51'));
    expect(r.counts).toEqual({ inserted: 0, updated: 0, unchanged: 133 - vaSkipped.length, deleted: 0 });
    expect(r.skipped).toBe(vaSkipped.length);
    expect(r.skippedRows!.map((p) => p.feature)).toEqual(vaSkipped);
    expect(r.skippedRows!.find((p) => p.feature === '51610')).toMatchObject({ column: 'geometry', reason: expect.stringMatching(/^zero area/) });
    expect(r.warnings[0]).toBe("layer 'va_counties' of 3 (va_counties, va_counties_albers, dc_md); --layer picks another");
    // neighbours among the file's units are those of the GeoJSON (a partial file re-derives pairs among its own units)
    const inVa = (n: string) => n.startsWith('51') && n.split('|')[1].startsWith('51');
    expect((await neighbours()).filter(inVa)).toEqual(geojsonNeighbours.filter(inVa));
    const bad = await fetch(`${origin}/api/import/boundaries?layer=rivers`, { method: 'POST', body: new Uint8Array(va) });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as ImportReport).problems[0].reason).toBe("no feature table 'rivers' in the GeoPackage (tables: va_counties, va_counties_albers, dc_md)");
  }, 600_000);
});

// a county-year panel as a yearbook keeps it: Chinese headers, a title row in the workbook, missing values
const YEARS = [2008, 2009, 2010, 2011, 2012, 2013, 2014];
const HEADER = ['城市', '年份', '人均GDP', '城镇化率'];
let rows: { code: string; year: number; gdppc: number; urb: number | null }[] = [];
let csvText = '';
/** Ten stored counties (Fairfax 51059 among them), seven years, some urbanisation values missing. */
function makePanel() {
  const stored = geojsonUnits.map((u) => u.split('|')[0]);
  const codes = [...stored.filter((_, i) => i % 330 === 0).slice(0, 9), '51059'];
  rows = codes.flatMap((c, i) => YEARS.map((y, j) => ({
    code: c, year: y,
    gdppc: (i + 1) * 1000 + j / 7 + 1 / 3,
    urb: (i * 7 + j) % 9 === 4 ? null : Math.sqrt(i + j + 2) / 10,
  })));
  // CRLF line ends, as a Windows spreadsheet writes them
  csvText = `${[HEADER.join(','), ...rows.map((r) => `${r.code},${r.year},${r.gdppc},${r.urb ?? 'NA'}`)].join('\r\n')}\r\n`;
}
const OPTS = { codeField: '城市', yearField: '年份', rename: { 人均GDP: 'gdppc', 城镇化率: 'urbanisation' } };

describe('a panel with Chinese headers as UTF-8 CSV, xlsx and GB18030 CSV', () => {
  let stored = '';
  it('a header that is not an identifier is refused with the way out; --rename imports it', async () => {
    makePanel();
    expect(new Set(rows.map((r) => r.code)).size).toBe(10);
    const bad = await runImport(db, 'city-years', { fileName: 'panel.csv', body: Buffer.from(csvText) }, { codeField: '城市', yearField: '年份' });
    expect(bad.status).toBe('rejected');
    expect(bad.problems.map((p) => p.column)).toEqual(['人均GDP', '城镇化率']);
    expect(bad.problems[0].reason).toMatch(/is not a variable name .*; map it to one with --rename '人均GDP=NEWNAME'$/);
    const r = await runImport(db, 'city-years', { fileName: 'panel.csv', body: Buffer.from(csvText) }, OPTS);
    expect(r.status, JSON.stringify(r.problems)).toBe('ok');
    expect(r.counts).toEqual({ inserted: 70, updated: 0, unchanged: 0, deleted: 0 });
    expect(r.variables).toEqual(['gdppc', 'urbanisation']);
    stored = await digest(db, 'city_variable');
    const [v] = await db.query<{ value: number }>(sql`SELECT value FROM city_variable WHERE city_code = '51059' AND year = 2010 AND name = 'gdppc'`);
    expect(v.value).toBe(10_000 + 2 / 7 + 1 / 3);
    // missing values (NA) are stored as NULL, never 0
    const [n] = await db.query<{ n: number; k: number }>(sql`SELECT count(value)::int AS n, count(*)::int AS k FROM city_variable WHERE name = 'urbanisation'`);
    expect(n).toEqual({ n: rows.filter((x) => x.urb !== null).length, k: 70 });
  }, 300_000);

  it('the same data as an xlsx (second sheet, title row, numeric and formula cells, empty cells) through the HTTP door: identical values', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('说明').addRow(['来源：统计年鉴']);
    const ws = wb.addWorksheet('面板数据');
    ws.addRow([]);
    ws.addRow([]);
    ws.addRow(HEADER);
    rows.forEach((r, k) => ws.addRow([r.code, r.year, k % 2 ? { formula: `${r.gdppc}*1`, result: r.gdppc } : r.gdppc, r.urb]));
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    const q = new URLSearchParams({ code: '城市', year: '年份', sheet: '面板数据' });
    q.append('rename', '人均GDP=gdppc');
    q.append('rename', '城镇化率=urbanisation');
    const res = await fetch(`${origin}/api/import/city-years?${q}`, { method: 'POST', body: new Uint8Array(xlsx) });
    const r = (await res.json()) as ImportReport;
    expect(res.status, JSON.stringify(r)).toBe(200);
    expect(r.counts).toEqual({ inserted: 0, updated: 0, unchanged: 70, deleted: 0 });
    expect(await digest(db, 'city_variable')).toBe(stored);
    // a bad cell is reported at its sheet row
    ws.getCell('C9').value = 'n/a?';
    const bad = await runImport(db, 'city-years', { fileName: 'panel.xlsx', body: Buffer.from(await wb.xlsx.writeBuffer()) }, { ...OPTS, sheet: '2' });
    expect(bad.problems).toEqual([{ line: 9, column: 'gdppc', value: 'n/a?', reason: 'not a number' }]);
    // header = the first non-empty row: a title row above it would be taken as the header, and the report says so
    ws.spliceRows(1, 0, ['县级面板 2008-2014']);
    const titled = await runImport(db, 'city-years', { fileName: 'panel.xlsx', body: Buffer.from(await wb.xlsx.writeBuffer()) }, { ...OPTS, sheet: '面板数据' });
    expect(titled.problems[0].reason).toBe("--rename 人均GDP=gdppc: no column '人均GDP' (columns: 县级面板 2008-2014)");
  }, 300_000);

  it('the same data as a GB18030 CSV through importData (base64): detected, identical values; forced as UTF-8 it is refused', async () => {
    const gb = iconv.encode(csvText, 'gb18030');
    const m = `mutation($c: String!, $o: ImportOptionsInput) { importData(kind: "city-years", content: $c, base64: true, fileName: "面板.csv", options: $o) {
      status counts { inserted updated unchanged } problems { line reason } } }`;
    const o = { codeField: '城市', yearField: '年份', rename: ['人均GDP=gdppc', '城镇化率=urbanisation'] };
    const r = await graphql({ schema, source: m, variableValues: { c: gb.toString('base64'), o }, contextValue: makeContext(db, { principal: ADMIN }) }) as { data?: any; errors?: readonly unknown[] };
    expect(r.errors).toBeUndefined();
    expect(r.data.importData).toMatchObject({ status: 'ok', counts: { inserted: 0, updated: 0, unchanged: 70 } });
    expect(await digest(db, 'city_variable')).toBe(stored);
    const forced = await runImport(db, 'city-years', { fileName: 'panel.csv', body: gb }, { ...OPTS, encoding: 'utf8' });
    expect(forced.status).toBe('rejected');
    expect(forced.problems[0].reason).toMatch(/not valid UTF-8 .*--encoding gb18030/);
    const gbk = await runImport(db, 'city-years', { fileName: 'panel.csv', body: iconv.encode(csvText, 'gbk') }, { ...OPTS, encoding: 'gbk' });
    expect(gbk.counts).toEqual({ inserted: 0, updated: 0, unchanged: 70, deleted: 0 });
  }, 300_000);
});
