// Units from anywhere, end to end: a fresh store (no demo) with only the us-atlas counties (3,231 units, no province,
// no region, no firms) and a county-year CSV with one imported variable. The README's GraphQL queries that apply to
// such a store answer without error (listed below, with what was changed: the variable and years of the imported
// file); `dataset` derives its wording and extent from the store; and the map page in Chromium draws the quantile
// choropleth of the imported variable, pixel-checked as test/web-map.test.ts does, in a view fitted to the counties.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { graphql, type GraphQLSchema } from 'graphql';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usAtlasCounties } from '../scripts/usatlas-geojson.js';
import { buildGraphQLSchema } from '../src/app.js';
import type { Db } from '../src/db/db.js';
import { mulberry32 } from '../src/estimation/prng.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { runImport } from '../src/import/core.js';
import { stringifyResult } from '../src/graphql/raw-json.js';
import { makeContext } from '../src/resolvers/loaders.js';
import { dropFreshDatabase, freshStore } from './helpers/fresh-store.js';
import { readmeExamples } from './helpers/readme.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RUN_BROWSER = existsSync(CHROMIUM) || /^(1|true)$/i.test(process.env.CI ?? '');
const OUT = 'test-results';
const dbKind = process.env.DATABASE_URL ? 'postgres' : 'embedded';
const RAMP = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];
const MISSING = '#c3c7cc';

let db: Db;
let schema: GraphQLSchema;
const YEARS = [2018, 2019];
const counties = usAtlasCounties();

async function gql<T = Record<string, any>>(query: string) {
  const r = await graphql({ schema, source: query, contextValue: makeContext(db, { principal: { role: 'admin', anonymousRole: 'reader' } }) });
  return { errors: r.errors, data: r.data ? JSON.parse(stringifyResult(r.data)) as T : undefined };
}

beforeAll(async () => {
  db = await freshStore('units_anywhere');
  schema = await buildGraphQLSchema();
  const b = await runImport(db, 'boundaries', { fileName: 'counties.geojson', body: Buffer.from(JSON.stringify(counties)) }, { codeField: 'GEOID', repair: true, contiguity: 'exact' });
  expect(b.status, JSON.stringify(b.problems.slice(0, 3))).toBe('ok');
  const rng = mulberry32(17);
  const ids = counties.features.map((f) => String(f.properties.GEOID)).sort();
  const lines = ['GEOID,year,greenspace'];
  ids.forEach((id, i) => { for (const y of YEARS) lines.push(`${id},${y},${i % 97 === 0 ? 'NA' : (rng.next() * 10 + (i % 50) / 10).toFixed(4)}`); });
  const r = await runImport(db, 'city-years', { fileName: 'county-years.csv', body: Buffer.from(lines.join('\n')) }, { codeField: 'GEOID' });
  expect(r.status, JSON.stringify(r.problems.slice(0, 3))).toBe('ok');
}, 1_200_000);

afterAll(async () => { await db?.close(); await dropFreshDatabase('units_anywhere'); });

// README.md ```graphql blocks that apply to a store of imported units (the rest need the demo's firms, NQP indicators
// or named variables: rta / nqp / agglomeration / nqpWeights / firmKinds / the paper's estimate).
/** The README's ```graphql operation that contains `marker` (taken from README.md itself, so it cannot drift). */
function readmeOperation(marker: string): string {
  const found = readmeExamples(readFileSync('README.md', 'utf8')).filter((e) => e.kind === 'graphql' && e.text.includes(marker));
  if (found.length !== 1) throw new Error(`README.md: ${found.length} GraphQL examples contain ${marker}`);
  return found[0].text;
}
const ONE_REQUEST = readmeOperation('cities(filter: { province: ["江苏省"] }, first: 20)');
const AUTOCORRELATION = readmeOperation('spatialAutocorrelation(variable: "gdp"');

const README_QUERIES: [string, string][] = [
  ['README "one request" block, as written (a province filter matching nothing)', ONE_REQUEST],
  ['the same block without the province filter (20 counties, all fields)', ONE_REQUEST
    .replace('cities(filter: { province: ["江苏省"] }, first: 20)', 'cities(first: 20)')
    .replace(/(metrics\(years: \[2018, 2019\]\) \{[^}]*?)( \})/, '$1 greenspace: value(name: "greenspace")$2')],
  ['README spatialAutocorrelation block, on the imported variable', AUTOCORRELATION.replace('variable: "gdp"', 'variable: "greenspace"')],
  ['README analysis block, first line without the firm measures', '{ cities(first: 5) { nodes { name } } }'],
  ['issue 17 section 4', '{ cities(first: 2) { nodes { code name province } } }'],
];

describe(`units from anywhere: us-atlas counties and a county CSV, no demo (${dbKind})`, () => {
  it.each(README_QUERIES)('%s answers without error', async (_, q) => {
    const r = await gql(q);
    expect(r.errors).toBeUndefined();
    expect(r.data).toBeDefined();
  });

  it('answers the README block with the counties\' values (null province / region, the imported variable, no firms)', async () => {
    const r = await gql<any>(README_QUERIES[1][1]);
    const n = r.data.cities.nodes;
    expect(r.data.cities.totalCount).toBe(3231);
    expect(n[0]).toMatchObject({ code: '01001', name: 'Autauga', province: null, region: null, firms: { totalCount: 0, nodes: [] } });
    expect(n[0].neighbours.length).toBeGreaterThan(3);
    expect(n[0].metrics.map((m: any) => m.year)).toEqual(YEARS);
    expect(n[0].metrics[0].greenspace).toBeNull(); // NA in the file (every 97th county)
    expect(typeof n[1].metrics[0].greenspace).toBe('number');
    expect((await gql<any>(README_QUERIES[0][1])).data.cities.totalCount).toBe(0);
    const s = await gql<any>(README_QUERIES[2][1]);
    expect(s.data.spatialAutocorrelation.weights.n).toBeGreaterThan(3000);
  });

  it('dataset: wording from the store, the counties\' extent', async () => {
    const r = await gql<any>('{ dataset { synthetic cities firms title unitLabel attribution searchHint extent } }');
    expect(r.errors).toBeUndefined();
    const d = r.data.dataset;
    expect(d).toMatchObject({ synthetic: false, cities: 3231, firms: 0, title: 'Units (imported from counties.geojson)', unitLabel: 'unit',
      attribution: 'Outlines: imported from counties.geojson', searchHint: 'Find a unit… Autauga' });
    // units on both sides of the antimeridian (Aleutians, Guam): the shortest longitude span of the interior points,
    // west of Guam (~144.6°E) to east past 180° (Maine, ~67°W = 293°)
    const [x0, y0, x1, y1] = d.extent;
    expect(x0).toBeGreaterThan(140); expect(x0).toBeLessThan(146);
    expect(x1 - 360).toBeGreaterThan(-70); expect(x1 - 360).toBeLessThan(-64);
    expect(y0).toBeLessThan(20); expect(y1).toBeGreaterThan(65);
    const pts = await gql<any>('{ cities(first: 1000) { nodes { lon lat } } }');
    for (const p of pts.data.cities.nodes) {
      const lon = p.lon < x0 ? p.lon + 360 : p.lon;
      expect(lon).toBeGreaterThanOrEqual(x0); expect(lon).toBeLessThanOrEqual(x1);
    }
  });

  describe.skipIf(!RUN_BROWSER)('map page in chromium', () => {
    let server: RunningServer;
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];
    beforeAll(async () => {
      mkdirSync(OUT, { recursive: true });
      server = await startHttp(db, 0);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking'],
      });
      page = await browser.newPage({ viewport: { width: 1400, height: 860 }, deviceScaleFactor: 1 });
      page.on('pageerror', (e) => pageErrors.push(e.message));
      // a generous timeout: the page loads MapLibre and pages through 3,231 outlines on a busy machine
      await page.goto(`${server.origin}/`, { waitUntil: 'domcontentloaded', timeout: 300_000 });
      await page.waitForFunction(() => ['ready', 'error'].includes(document.documentElement.dataset.state ?? ''), undefined, { timeout: 300_000, polling: 200 });
    }, 400_000);
    afterAll(async () => { await browser?.close(); await server?.stop(); });

    it('draws the imported variable\'s quantile choropleth over every county, in a view fitted to the counties', async () => {
      const ds = await page.evaluate(() => ({ ...document.documentElement.dataset }));
      expect(pageErrors).toEqual([]);
      expect(await page.locator('#errors .error').allTextContents()).toEqual([]);
      expect(ds).toMatchObject({ state: 'ready', metric: 'var:greenspace', view: 'values', year: '2019' });
      // wording from the store, not the demo's
      expect(await page.locator('#units-title').textContent()).toBe('Units (imported from counties.geojson)');
      expect(await page.locator('#city-search').getAttribute('placeholder')).toBe('Find a unit… Autauga');
      expect(await page.locator('.maplibregl-ctrl-attrib').textContent()).toContain('Outlines: imported from counties.geojson');
      expect(await page.content()).not.toContain('synthetic demo');

      const r = await gql<{ cities: { nodes: { code: string; lon: number; lat: number; metrics: { value: number | null }[] }[] } }>(
        '{ cities(first: 1000, filter: { bbox: [-104, 35, -92, 42] }) { nodes { code lon lat metrics(years: [2019]) { value(name: "greenspace") } } } }');
      const all = await gql<{ cities: { totalCount: number } }>('{ cities { totalCount } }');
      expect(all.data!.cities.totalCount).toBe(3231);
      // the classes over all 3,231 counties, as the page computes them (docs/map.md)
      const values: { code: string; v: number }[] = [];
      for (let after: string | null = null, more = true; more;) {
        const p: any = await gql(`{ cities(first: 1000${after ? `, after: "${after}"` : ''}) { pageInfo { hasNextPage endCursor } nodes { code metrics(years: [2019]) { value(name: "greenspace") } } } }`);
        for (const c of p.data.cities.nodes) if (c.metrics[0]?.value != null) values.push({ code: c.code, v: c.metrics[0].value });
        more = p.data.cities.pageInfo.hasNextPage; after = p.data.cities.pageInfo.endCursor;
      }
      const sorted = values.map((x) => x.v).sort((a, b) => a - b);
      const q = (pr: number) => { const h = (sorted.length - 1) * pr, lo = Math.floor(h); return sorted[lo] + (h - lo) * (sorted[Math.ceil(h)] - sorted[lo]); };
      const breaks = [0.2, 0.4, 0.6, 0.8].map(q);
      const legend = await page.$$eval('#legend li', (lis) => lis.map((li) => ({ ...(li as HTMLElement).dataset })));
      expect(legend.filter((x) => x.class !== 'missing').map((x) => Number(x.hi)).slice(0, 4)).toEqual(breaks.map((b) => expect.closeTo(b, 12)));
      expect(legend.find((x) => x.class === 'missing')).toMatchObject({ count: String(3231 - values.length) });
      expect(legend.filter((x) => x.class !== 'missing').reduce((s, x) => s + Number(x.count), 0)).toBe(values.length);

      // fitted: the view covers the counties' extent (across the antimeridian), and is not much larger
      const view = await page.evaluate(() => (window as any).__map.getBounds().toArray() as number[][]);
      const { data } = await gql<any>('{ dataset { extent } }');
      const [x0, y0, x1, y1] = data.dataset.extent;
      const shift = view[0][0] < x0 - 180 ? 360 : 0; // the same view may be reported one world copy over
      expect(view[0][0] + shift).toBeLessThanOrEqual(x0 + 0.5); expect(view[1][0] + shift).toBeGreaterThanOrEqual(x1 - 0.5);
      expect(view[0][1]).toBeLessThanOrEqual(y0 + 0.5); expect(view[1][1]).toBeGreaterThanOrEqual(y1 - 0.5);
      expect(view[1][0] - view[0][0]).toBeLessThan(2 * (x1 - x0));
      await page.screenshot({ path: `${OUT}/map-counties-${dbKind}-initial.png` });

      // pixels: at the initial zoom a county is a few pixels wide (mostly border line); zoomed on the Great Plains
      // (as a user would), every county's interior point shows its class colour
      await page.evaluate(() => new Promise((resolve) => { const m = (window as any).__map; m.fitBounds([[-104, 35], [-92, 42]], { animate: false }); m.once('idle', resolve); m.triggerRepaint(); }));
      // pixels: the lower-48 counties' interior points show their class colour
      const buf = await page.locator('#map canvas').screenshot();
      writeFileSync(`${OUT}/map-counties-${dbKind}.png`, buf);
      const png = PNG.sync.read(buf);
      const byCode = new Map(values.map((x) => [x.code, x.v]));
      const pts = await page.evaluate((cs) => {
        const map = (window as any).__map;
        const covers = [...document.querySelectorAll('.card, .maplibregl-ctrl, .error')].map((e) => e.getBoundingClientRect());
        const canvas = map.getCanvas().getBoundingClientRect();
        return cs.map((c) => { const p = map.project([c.lon, c.lat]); return [c.code, p.x, p.y, covers.some((r) => canvas.left + p.x >= r.left - 2 && canvas.left + p.x <= r.right + 2 && canvas.top + p.y >= r.top - 2 && canvas.top + p.y <= r.bottom + 2)] as [string, number, number, boolean]; });
      }, r.data!.cities.nodes.map((c) => ({ code: c.code, lon: c.lon, lat: c.lat })));
      let ok = 0, n = 0;
      for (const [code, x, y, covered] of pts) {
        const v = byCode.get(code);
        if (v === undefined || covered || x < 2 || y < 2 || x > png.width - 2 || y > png.height - 2) continue;
        n++;
        const k = breaks.findIndex((b) => v <= b);
        const want = RAMP[k < 0 ? 4 : k];
        const i = (png.width * Math.round(y) + Math.round(x)) * 4;
        const got = [png.data[i], png.data[i + 1], png.data[i + 2]];
        const w = [1, 3, 5].map((j) => parseInt(want.slice(j, j + 2), 16));
        if (got.every((g, j) => Math.abs(g - w[j]) <= 3)) ok++;
      }
      console.info(`counties: ${ok} of ${n} interior points show their class colour`);
      expect(n).toBeGreaterThan(300);
      expect(ok / n).toBeGreaterThan(0.9);
      expect(MISSING).toBe('#c3c7cc');
    }, 300_000);
  });
});
