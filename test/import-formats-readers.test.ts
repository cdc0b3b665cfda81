// The readers under the import core, without a database: WKB and GeoPackageBinary, a real ogr2ogr-made GeoPackage
// (three layers, one in EPSG:5070), TopoJSON objects, degenerate outlines named, text encodings detected while
// streamed, xlsx cells as the CSV path's text, header renames, and formats told by their bytes.
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { readGeoPackageGeometry, readWkb, WkbError } from '../src/geo/wkb.js';
import { degenerateProblem } from '../src/import/boundaries.js';
import { CsvSyntaxError, openCsv } from '../src/import/csv.js';
import { decodeText, looksUtf8 } from '../src/import/encoding.js';
import { GpkgError, readGeoPackage } from '../src/import/gpkg.js';
import { parseRenames } from '../src/import/options.js';
import { sniffFormat } from '../src/import/sniff.js';
import { readTopoJSON } from '../src/import/topojson.js';
import { cellText } from '../src/import/xlsx.js';
import { gpkgBlob, wkb, writeGeoPackage } from './helpers/gpkg-writer.js';

const require = createRequire(import.meta.url);
const VA = gunzipSync(readFileSync(new URL('./fixtures/formats/va-counties.gpkg.gz', import.meta.url)));

async function* chunked(b: Buffer, size: number) { for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size); }
async function text(it: AsyncIterable<string>) { let s = ''; for await (const c of it) s += c; return s; }
async function table(body: Buffer | AsyncIterable<Buffer>, fileName: string, opts = {}) {
  const t = await openCsv({ fileName, body }, opts);
  const rows: string[][] = [];
  for await (const r of t.records) rows.push(r.values);
  return { header: t.header, rows, source: t.source };
}

describe('WKB and GeoPackageBinary', () => {
  it('reads points, polygons and multipolygons in both byte orders, ISO Z and EWKB with SRID (Z dropped)', () => {
    const square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]];
    expect(readWkb(wkb({ type: 'Polygon', coordinates: square })).geometry).toEqual({ type: 'Polygon', coordinates: square });
    expect(readWkb(wkb({ type: 'MultiPolygon', coordinates: [square, square] })).geometry).toEqual({ type: 'MultiPolygon', coordinates: [square, square] });
    // big-endian Point(1.5, -2) by hand
    const be = Buffer.alloc(21); be.writeUInt8(0, 0); be.writeUInt32BE(1, 1); be.writeDoubleBE(1.5, 5); be.writeDoubleBE(-2, 13);
    expect(readWkb(be)).toEqual({ geometry: { type: 'Point', coordinates: [1.5, -2] }, end: 21 });
    // ISO PointZ (1001) little endian: x, y, z
    const z = Buffer.alloc(29); z.writeUInt8(1, 0); z.writeUInt32LE(1001, 1); z.writeDoubleLE(3, 5); z.writeDoubleLE(4, 13); z.writeDoubleLE(99, 21);
    expect(readWkb(z).geometry).toEqual({ type: 'Point', coordinates: [3, 4] });
    // EWKB Point with SRID flag 0x20000000 and Z flag 0x80000000
    const e = Buffer.alloc(33); e.writeUInt8(1, 0); e.writeUInt32LE(0xa0000001, 1); e.writeUInt32LE(4326, 5); e.writeDoubleLE(7, 9); e.writeDoubleLE(8, 17); e.writeDoubleLE(9, 25);
    expect(readWkb(e).geometry).toEqual({ type: 'Point', coordinates: [7, 8] });
    // empty polygon (0 rings) and empty point (NaN)
    expect(readWkb(wkb({ type: 'Polygon', coordinates: [] })).geometry).toEqual({ type: 'Polygon', coordinates: [] });
    expect(readWkb(wkb({ type: 'Point', coordinates: [] })).geometry).toEqual({ type: 'Point', coordinates: [] });
  });

  it('refuses truncated, unknown and mis-nested WKB with a WkbError', () => {
    const full = wkb({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] });
    expect(() => readWkb(full.subarray(0, full.length - 3))).toThrow(/WKB ends early/);
    const curve = Buffer.from(full); curve.writeUInt32LE(10, 1);
    expect(() => readWkb(curve)).toThrow(/unsupported WKB geometry type 10/);
    const order = Buffer.from(full); order[0] = 7;
    expect(() => readWkb(order)).toThrow(WkbError);
    // a MultiPolygon whose part is a Point
    const b = Buffer.concat([Buffer.from([1, 6, 0, 0, 0, 1, 0, 0, 0]), wkb({ type: 'Point', coordinates: [1, 2] })]);
    expect(() => readWkb(b)).toThrow(/MultiPolygon holds a Point/);
  });

  it('reads the GeoPackageBinary header (srs id, envelope skipped, empty flag)', () => {
    const g = { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 0]]] };
    expect(readGeoPackageGeometry(gpkgBlob(g, 5070))).toEqual({ geometry: g, srsId: 5070, empty: false });
    // with a 32-byte xy envelope (indicator 1), as GDAL writes
    const plain = gpkgBlob(g, 4326);
    const withEnv = Buffer.concat([plain.subarray(0, 8), Buffer.alloc(32), plain.subarray(8)]);
    withEnv[3] = 0x01 | (1 << 1);
    expect(readGeoPackageGeometry(withEnv).geometry).toEqual(g);
    expect(readGeoPackageGeometry(gpkgBlob({ type: 'Polygon', coordinates: [] }, 4326)).empty).toBe(true);
    expect(() => readGeoPackageGeometry(Buffer.from('XX0000000000'))).toThrow(/no "GP" magic/);
  });
});

describe('GeoPackage files', () => {
  it('reads an ogr2ogr-made GeoPackage: first layer by default, --layer, CRS from gpkg_spatial_ref_sys', async () => {
    const first = await readGeoPackage(VA);
    expect(first.layers).toEqual(['va_counties', 'va_counties_albers', 'dc_md']);
    expect(first.layer).toBe('va_counties');
    expect(first.features).toHaveLength(133);
    expect(first.crs.toLonLat).toBeNull();
    const fc = first.features.find((f) => f.properties.GEOID === '51610')!;
    expect(fc.properties.name).toBe('Falls Church');
    // the GeoPackage holds the same coordinates as the us-atlas GeoJSON it was made from
    const topo = require('us-atlas/counties-10m.json');
    const { feature } = require('topojson-client');
    const src = feature(topo, topo.objects.counties).features.find((f: { id: string }) => f.id === '51059');
    expect(first.features.find((f) => f.properties.GEOID === '51059')!.geometry).toEqual(src.geometry);
    const albers = await readGeoPackage(VA, 'va_counties_albers');
    expect(albers.crs.label).toMatch(/^EPSG:5070 \(NAD83 \/ Conus Albers\)$/); // the registry's name follows the code
    const p = (albers.features.find((f) => f.properties.GEOID === '51059')!.geometry as { coordinates: number[][][] }).coordinates[0][0];
    const [lon, lat] = albers.crs.toLonLat!(p[0], p[1]);
    const q = (src.geometry.coordinates as number[][][])[0][0];
    expect(Math.abs(lon - q[0]) + Math.abs(lat - q[1])).toBeLessThan(1e-6);
    expect((await readGeoPackage(VA, 'dc_md')).features).toHaveLength(25);
    await expect(readGeoPackage(VA, 'rivers')).rejects.toThrow("no feature table 'rivers' in the GeoPackage (tables: va_counties, va_counties_albers, dc_md)");
  });

  it('refuses SQLite files that are not GeoPackages, and bytes that are not SQLite', async () => {
    await expect(readGeoPackage(Buffer.from('not sqlite at all, just text bytes'))).rejects.toThrow(GpkgError);
    const initSqlJs = (await import('sql.js')).default;
    const SQL = await initSqlJs({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
    const d = new SQL.Database(); d.run('CREATE TABLE t (a)');
    await expect(readGeoPackage(Buffer.from(d.export()))).rejects.toThrow(/an SQLite file but not a GeoPackage/);
    const empty = await writeGeoPackage([]);
    await expect(readGeoPackage(empty)).rejects.toThrow(/has no feature table/);
  });
});

describe('TopoJSON', () => {
  it('picks the first object or the named one, and names the objects when one is missing', () => {
    const topo = require('us-atlas/counties-10m.json');
    const c = readTopoJSON(topo);
    expect('features' in c && c.object).toBe('counties');
    expect('features' in c && c.features.length).toBe(3231);
    const s = readTopoJSON(topo, 'states');
    expect('features' in s && s.features.length).toBe(56);
    expect(readTopoJSON(topo, 'rivers')).toEqual({ error: "no object 'rivers' in the TopoJSON (objects: counties, states, nation)" });
    expect(readTopoJSON({ type: 'Topology', objects: {} })).toEqual({ error: 'the TopoJSON has no objects' });
  });
});

describe('degenerate outlines are named', () => {
  it('empty polygon, fewer than 4 points, zero area (left to --repair when given)', () => {
    expect(degenerateProblem({ type: 'Polygon', coordinates: [] }, false)).toBe('empty polygon (no coordinates)');
    expect(degenerateProblem({ type: 'MultiPolygon', coordinates: [[], [[]]] }, true)).toBe('empty multipolygon (no coordinates)');
    expect(degenerateProblem({ type: 'Polygon', coordinates: [[[0, 0], [1, 1], [0, 0]]] }, true)).toBe('polygon with fewer than 4 points (a ring of 3)');
    // us-atlas 51610: a quantised outline that goes out and back
    const fc = { type: 'Polygon', coordinates: [[[-77.17, 38.89], [-77.15, 38.87], [-77.17, 38.89], [-77.17, 38.89]]] };
    expect(degenerateProblem(fc, false)).toMatch(/^zero area: the outline encloses nothing/);
    expect(degenerateProblem(fc, true)).toBeNull();
    expect(degenerateProblem({ type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] }, false)).toBeNull();
  });
});

describe('text encodings', () => {
  const csv = '城市,年份,人均GDP\n南京市,2010,65273.5\n黔东南苗族侗族自治州,2011,NA\n';
  it('detects UTF-8 (with and without BOM) and GB18030, whatever the chunking (even inside a character)', async () => {
    for (const [bytes, enc] of [[Buffer.from(csv), 'utf8'], [Buffer.from(`\ufeff${csv}`), 'utf8'], [iconv.encode(csv, 'gb18030'), 'gb18030'], [iconv.encode(csv, 'gbk'), 'gb18030']] as const) {
      for (const size of [1, 2, 7, 1 << 20]) {
        const info: { encoding?: string } = {};
        expect(await text(decodeText(chunked(bytes, size), undefined, info))).toBe(csv);
        expect(info.encoding).toBe(enc);
      }
    }
  });

  it('decides on the first 64 KB of non-ASCII text; a forced encoding wins; bad UTF-8 under utf8 is an error', async () => {
    const ascii = `${'code,year,x\n'.repeat(10_000)}`;
    const gb = iconv.encode(`${ascii}南京,2010,1\n`, 'gb18030');
    const info: { encoding?: string } = {};
    expect(await text(decodeText(chunked(gb, 4096), undefined, info))).toBe(`${ascii}南京,2010,1\n`);
    expect(info.encoding).toBe('gb18030');
    const latin = Buffer.from('name\nZürich\n', 'latin1');
    expect(await text(decodeText(chunked(latin, 3), 'latin1'))).toBe('name\nZürich\n');
    await expect(text(decodeText(chunked(iconv.encode(csv, 'gb18030'), 5), 'utf8'))).rejects.toThrow(/not valid UTF-8 \(near byte \d+\); give its encoding, e.g. --encoding gb18030/);
    await expect(text(decodeText(chunked(Buffer.from(csv), 5), 'klingon'))).rejects.toThrow("unknown encoding 'klingon'");
    expect(looksUtf8(Buffer.from('南京').subarray(0, 4), false)).toBe(true);
    expect(looksUtf8(Buffer.from('南京').subarray(0, 4), true)).toBe(false);
    expect(looksUtf8(Buffer.from([0xc0, 0x80]), true)).toBe(false); // overlong
  });

  it('openCsv reads a GB18030 file streamed in small chunks as the UTF-8 one, and says which it read', async () => {
    const utf = await table(Buffer.from(csv), 'a.csv');
    const gb = await table(chunked(iconv.encode(csv, 'gb18030'), 3), 'a.csv');
    expect(gb.header).toEqual(['城市', '年份', '人均GDP']);
    expect(gb.rows).toEqual(utf.rows);
    expect(gb.source).toEqual({ format: 'csv', encoding: 'gb18030', detected: true });
    expect((await table(Buffer.from(csv), 'a.csv', { encoding: 'UTF-8' })).source).toEqual({ format: 'csv', encoding: 'utf8', detected: false });
  });
});

describe('xlsx', () => {
  it('cell values become the CSV path\'s text', () => {
    expect(cellText(65273.5)).toBe('65273.5');
    expect(cellText(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(cellText(new Date(Date.UTC(2010, 5, 30)))).toBe('2010-06-30');
    expect(cellText(new Date(Date.UTC(2010, 5, 30, 12)))).toBe('2010-06-30T12:00:00.000Z');
    expect(cellText({ formula: 'B2*2', result: 4 })).toBe('4');
    expect(cellText({ sharedFormula: 'B2', result: 7.25 })).toBe('7.25');
    expect(cellText({ formula: 'B2', result: undefined })).toBe('');
    expect(cellText({ richText: [{ text: '南京' }, { text: '市' }] })).toBe('南京市');
    expect(cellText({ error: '#N/A' })).toBe('NA');
    expect(cellText({ error: '#DIV/0!' })).toBe('#DIV/0!');
    expect(cellText({ text: 'site', hyperlink: 'http://x' })).toBe('site');
    expect(cellText(true)).toBe('true');
    expect(cellText(null)).toBe('');
  });

  it('reads the first sheet, a sheet by name or number; the header is the first non-empty row; empty rows are skipped', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('说明').addRow(['data on the next sheet']);
    const ws = wb.addWorksheet('面板');
    ws.addRow([]);
    ws.addRow(['城市', '年份', '人均GDP']);
    ws.addRow([{ richText: [{ text: '南京' }, { text: '市' }] }, 2010, { formula: '1+1', result: 65273.5 }]);
    ws.addRow([]);
    ws.addRow(['苏州市', 2011, null]);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    expect((await table(buf, 'book.xlsx')).header).toEqual(['data on the next sheet']);
    for (const sheet of ['面板', '2']) {
      const t = await table(buf, 'book.xlsx', { sheet });
      expect(t.header).toEqual(['城市', '年份', '人均GDP']);
      expect(t.rows).toEqual([['南京市', '2010', '65273.5'], ['苏州市', '2011', '']]);
      expect(t.source).toEqual({ format: 'xlsx', sheet: '面板' });
    }
    // line numbers are the sheet's row numbers
    const t = await openCsv({ fileName: 'upload.csv', body: buf }, { sheet: '面板' });
    const lines: number[] = [];
    for await (const r of t.records) lines.push(r.line);
    expect(lines).toEqual([3, 5]);
    await expect(openCsv({ fileName: 'book.xlsx', body: buf }, { sheet: 'Panel' })).rejects.toThrow("no sheet 'Panel' in the workbook (sheets: 说明, 面板)");
    await expect(openCsv({ fileName: 'book.xlsx', body: buf }, { sheet: '3' })).rejects.toThrow(CsvSyntaxError);
  });
});

describe('renames and formats', () => {
  it('--rename maps headers; a rename of an absent column or onto an existing one is an error', async () => {
    expect(parseRenames(['人均GDP=gdppc,城镇化率=urb', 'x = y'])).toEqual({ 人均GDP: 'gdppc', 城镇化率: 'urb', x: 'y' });
    expect(() => parseRenames(['人均GDP'])).toThrow('rename must be FROM=TO (e.g. 人均GDP=gdppc), got "人均GDP"');
    expect(() => parseRenames(['a=b', 'a=c'])).toThrow("rename gives 'a' twice");
    const csv = Buffer.from('城市,年份,人均GDP\n1,2010,3\n');
    expect((await table(csv, 'a.csv', { rename: { 人均GDP: 'gdppc', 城市: 'code' } })).header).toEqual(['code', '年份', 'gdppc']);
    await expect(table(csv, 'a.csv', { rename: { GDP: 'gdp' } })).rejects.toThrow("--rename GDP=gdp: no column 'GDP' (columns: 城市, 年份, 人均GDP)");
    await expect(table(csv, 'a.csv', { rename: { 人均GDP: '年份' } })).rejects.toThrow("--rename 人均GDP=年份: the file already has a column '年份'");
  });

  it('tells xlsx and GeoPackage by their bytes, whatever the name', async () => {
    const wb = new ExcelJS.Workbook(); wb.addWorksheet('a').addRow([1]);
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    expect(sniffFormat('upload.csv', xlsx, 'csv')).toBe('xlsx');
    expect(sniffFormat('upload.geojson', VA, 'geojson')).toBe('gpkg');
    expect(sniffFormat('counties.json', Buffer.from('{"type":"Topology"}'), 'geojson')).toBe('geojson');
    expect(sniffFormat('shapes.zip', Buffer.from('PK\x03\x04....counties.shp'), 'geojson')).toBe('zip');
    expect(sniffFormat('panel.csv', Buffer.from('a,b\n'), 'csv')).toBe('csv');
  });
});
