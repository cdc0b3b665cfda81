// The map page at `/` in a real browser (Debian's chromium through playwright-core, WebGL on SwiftShader): the
// choropleth is checked by its PIXELS against classes computed here from GraphQL's values, the year slider recolours
// the map and the legend, a click on 南京市 fills the side panel with GraphQL's figures and outlines its queen
// neighbours, the LISA view follows GraphQL's local Moran, API errors are shown, and no request leaves the origin.
// Screenshots go to test-results/. Skipped when chromium is absent, unless CI=true (then it must run).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type RunningServer } from '../src/http.js';
import { dbKind, getStore, gql } from './helpers/store.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CI = /^(1|true)$/i.test(process.env.CI ?? '');
const RUN = existsSync(CHROMIUM) || CI;
const OUT = 'test-results';

// The page's colours (web/classes.js) — repeated here on purpose: the test states what the user must see.
const RAMP = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];
const MISSING = '#c3c7cc';
const LISA: Record<string, string> = { HH: '#d7191c', LL: '#2c7bb6', HL: '#fdae61', LH: '#abd9e9', NS: '#f1efe9', OUT: MISSING };
const NEIGHBOUR = '#7b2cbf';

type RGB = [number, number, number];
const rgb = (hex: string): RGB => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as RGB;
const near = (a: RGB, b: RGB, tol = 3) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

/** R type-7 quantile breaks at 20/40/60/80 %, repeated breaks and breaks at the maximum dropped (docs/map.md). */
function expectedBreaks(values: number[]) {
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number) => { const h = (v.length - 1) * p, lo = Math.floor(h); return v[lo] + (h - lo) * (v[Math.ceil(h)] - v[lo]); };
  const breaks: number[] = [];
  for (const p of [0.2, 0.4, 0.6, 0.8]) {
    const b = q(p);
    if (b < v[v.length - 1] && (!breaks.length || b > breaks[breaks.length - 1])) breaks.push(b);
  }
  return { breaks, min: v[0], max: v[v.length - 1] };
}
const classOf = (x: number, breaks: number[]) => { const i = breaks.findIndex((b) => x <= b); return i < 0 ? breaks.length : i; };

interface CityRef { code: string; name: string; lon: number; lat: number }

describe.skipIf(!RUN)(`map page in chromium on ${dbKind}`, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let cities: (CityRef & { metrics: { year: number }[] })[];
  let years: number[];
  const requests: string[] = [];
  const pageErrors: string[] = [];

  const state = () => page.evaluate(() => ({ ...document.documentElement.dataset }));
  /** Waits until the page has fetched, painted and drawn what its controls say (or shown an error). */
  async function settled(want: Record<string, string> = {}) {
    await page.waitForFunction((w) => {
      const d = document.documentElement.dataset;
      return (d.state === 'ready' || d.state === 'error') && Object.entries(w).every(([k, v]) => d[k] === v);
    }, want, { timeout: 110_000, polling: 100 });
    return state();
  }

  async function mapShot(name: string) {
    const canvas = page.locator('#map canvas');
    const buf = await canvas.screenshot();
    writeFileSync(`${OUT}/map-${dbKind}-${name}-canvas.png`, buf);
    await page.screenshot({ path: `${OUT}/map-${dbKind}-${name}.png` });
    const png = PNG.sync.read(buf);
    const at = (x: number, y: number): RGB => { const i = (png.width * Math.round(y) + Math.round(x)) * 4; return [png.data[i], png.data[i + 1], png.data[i + 2]]; };
    const count = (hex: string, tol = 3) => {
      const c = rgb(hex);
      let n = 0;
      for (let i = 0; i < png.data.length; i += 4) if (near([png.data[i], png.data[i + 1], png.data[i + 2]], c, tol)) n++;
      return n;
    };
    return { png, at, count };
  }

  /** Canvas pixel of every city's interior point, leaving out points under the page's floating cards. */
  async function projectCities(): Promise<Map<string, { x: number; y: number }>> {
    const pts = await page.evaluate((cs) => {
      const map = (window as any).__map;
      const canvas = map.getCanvas().getBoundingClientRect();
      const covers = [...document.querySelectorAll('.card, .maplibregl-ctrl, .error, .busy:not([hidden])')].map((e) => e.getBoundingClientRect());
      const out: [string, number, number][] = [];
      for (const c of cs) {
        const p = map.project([c.lon, c.lat]);
        const X = canvas.left + p.x, Y = canvas.top + p.y;
        if (p.x < 2 || p.y < 2 || p.x > canvas.width - 2 || p.y > canvas.height - 2) continue;
        if (covers.some((r) => X >= r.left - 2 && X <= r.right + 2 && Y >= r.top - 2 && Y <= r.bottom + 2)) continue;
        out.push([c.code, p.x, p.y]);
      }
      return out;
    }, cities);
    return new Map(pts.map(([code, x, y]) => [code, { x, y }]));
  }

  /** How many cities show the expected colour at their interior point (a tiny city may sit under a border line). */
  function matches(shot: Awaited<ReturnType<typeof mapShot>>, pts: Map<string, { x: number; y: number }>, expected: Map<string, string>) {
    let ok = 0, n = 0;
    const wrong: string[] = [];
    for (const [code, p] of pts) {
      const want = expected.get(code);
      if (!want) continue;
      n++;
      if (near(shot.at(p.x, p.y), rgb(want))) ok++;
      else wrong.push(`${code}: ${shot.at(p.x, p.y).join(',')} ≠ ${want}`);
    }
    console.info(`pixels: ${ok} of ${n} cities show the expected colour at their interior point`);
    return { ok, n, wrong };
  }

  type LegendRow = { class?: string; cluster?: string; lo?: string; hi?: string; count?: string; color?: string; text: string | null };
  async function legendRows(): Promise<LegendRow[]> {
    return page.$$eval('#legend li', (lis) => lis.map((li) => ({ ...(li as HTMLElement).dataset, text: li.textContent })));
  }

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    const { db } = await getStore();
    server = await startHttp(db, 0);
    const r = await gql<{ cities: { nodes: (CityRef & { metrics: { year: number }[] })[] } }>(
      '{ cities(first: 1000) { nodes { code name lon lat metrics { year } } } }');
    expect(r.errors).toBeUndefined();
    cities = r.data!.cities.nodes;
    years = [...new Set(cities.flatMap((c) => c.metrics.map((m) => m.year)))].sort((a, b) => a - b);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 860 }, deviceScaleFactor: 1 });
    page.on('request', (req) => requests.push(req.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.origin}/`);
    await settled();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('serves the page and MapLibre from this origin only (and nothing outside its allow-lists)', async () => {
    const home = await fetch(`${server.origin}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toContain('text/html');
    expect(home.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(await home.text()).toContain('/vendor/maplibre-gl/maplibre-gl.css');
    expect(await (await fetch(`${server.origin}/web/app.js`)).text()).toContain("from '/vendor/maplibre-gl/maplibre-gl.mjs'");
    for (const p of ['/vendor/maplibre-gl/maplibre-gl.mjs', '/vendor/maplibre-gl/maplibre-gl-worker.mjs', '/vendor/maplibre-gl/maplibre-gl.css', '/web/app.js']) {
      const r = await fetch(`${server.origin}${p}`);
      expect(r.status, p).toBe(200);
      expect((await r.arrayBuffer()).byteLength, p).toBeGreaterThan(1000);
    }
    // raw paths (fetch would normalise the dots away)
    const raw = (path: string) => new Promise<number>((resolve, reject) => {
      http.get(`${server.origin}${path}`, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject);
    });
    for (const p of ['/web/../package.json', '/web/%2e%2e/package.json', '/vendor/maplibre-gl/package.json', '/vendor/maplibre-gl/../../package.json', '/web/nope.js']) {
      expect(await raw(p), p).toBe(404);
    }
    expect((await fetch(`${server.origin}/`, { method: 'POST' })).status).toBe(404);
  });

  it('draws the quantile choropleth of RTA in the latest year: legend and pixels match GraphQL', async () => {
    const ds = await state();
    const year = years[years.length - 1];
    expect(ds).toMatchObject({ state: 'ready', metric: 'RTA', view: 'values', year: String(year) });
    expect(pageErrors).toEqual([]);
    expect(await page.locator('#errors .error').count()).toBe(0);

    const r = await gql<{ cities: { nodes: { code: string; rta: number | null }[] } }>(`{ cities(first: 1000) { nodes { code rta(year: ${year}) } } }`);
    const vals = r.data!.cities.nodes.filter((c) => c.rta !== null) as { code: string; rta: number }[];
    expect(vals.length).toBeGreaterThan(300);
    const { breaks, min, max } = expectedBreaks(vals.map((c) => c.rta));
    const rows = await legendRows();
    const classes = rows.filter((x) => x.class !== 'missing');
    expect(classes.length).toBe(breaks.length + 1);
    expect(classes.map((x) => Number(x.lo))).toEqual([min, ...breaks].map((b) => expect.closeTo(b, 12)));
    expect(classes.map((x) => Number(x.hi))).toEqual([...breaks, max].map((b) => expect.closeTo(b, 12)));
    const counts = classes.map(() => 0);
    for (const c of vals) counts[classOf(c.rta, breaks)]++;
    expect(classes.map((x) => Number(x.count))).toEqual(counts);
    expect(rows.find((x) => x.class === 'missing')).toMatchObject({ count: String(cities.length - vals.length), color: MISSING });
    expect(classes.map((x) => x.color)).toEqual(breaks.length === 4 ? RAMP : expect.any(Array));

    const expected = new Map(vals.map((c) => [c.code, classes[classOf(c.rta, breaks)].color!]));
    const shot = await mapShot('rta-latest');
    const pts = await projectCities();
    const m = matches(shot, pts, expected);
    expect(m.n).toBeGreaterThan(250);
    expect(m.ok / m.n, m.wrong.slice(0, 10).join('; ')).toBeGreaterThan(0.9);
    // every class colour covers a visible area of the map; nothing is outlined as selected yet
    for (const c of classes) expect(shot.count(c.color!), c.color).toBeGreaterThan(200);
    expect(shot.count(NEIGHBOUR)).toBe(0);
  });

  it('moves to an earlier year with the slider: colours, legend and URL follow that year', async () => {
    const before = await legendRows();
    const last = years[years.length - 1], first = years[Math.floor(years.length / 2)];
    const beforeShot = await mapShot('before-year-change');
    await page.locator('#year').focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < years.indexOf(first); i++) await page.keyboard.press('ArrowRight');
    const ds = await settled({ year: String(first) });
    expect(ds.state).toBe('ready');
    expect(await page.locator('#year-label').textContent()).toBe(String(first));
    expect(new URL(page.url()).searchParams.get('year')).toBe(String(first));

    const r = await gql<{ cities: { nodes: { code: string; a: number | null; b: number | null }[] } }>(
      `{ cities(first: 1000) { nodes { code a: rta(year: ${first}) b: rta(year: ${last}) } } }`);
    const vals = r.data!.cities.nodes.filter((c) => c.a !== null) as { code: string; a: number; b: number | null }[];
    const { breaks, min, max } = expectedBreaks(vals.map((c) => c.a));
    const rows = (await legendRows()).filter((x) => x.class !== 'missing');
    expect(rows.map((x) => Number(x.lo))).toEqual([min, ...breaks].map((b) => expect.closeTo(b, 12)));
    expect(rows.map((x) => Number(x.hi))).toEqual([...breaks, max].map((b) => expect.closeTo(b, 12)));
    expect(rows.map((x) => x.text)).not.toEqual(before.filter((x) => x.class !== 'missing').map((x) => x.text));

    const expected = new Map(vals.map((c) => [c.code, rows[classOf(c.a, breaks)].color!]));
    const shot = await mapShot('rta-earlier-year');
    const pts = await projectCities();
    const m = matches(shot, pts, expected);
    expect(m.ok / m.n, m.wrong.slice(0, 10).join('; ')).toBeGreaterThan(0.9);
    // cities whose class changed between the years changed colour on screen
    let changed = 0;
    for (const [, p] of pts) if (!near(shot.at(p.x, p.y), beforeShot.at(p.x, p.y))) changed++;
    expect(changed).toBeGreaterThan(20);
  });

  it('clicking 南京市 shows its figures and firm counts as GraphQL has them, and outlines its queen neighbours', async () => {
    const year = Number((await state()).year);
    const nj = cities.find((c) => c.code === '320100')!;
    expect(nj.name).toBe('南京市');
    const box = (await page.locator('#map canvas').boundingBox())!;
    const p = await page.evaluate(([lon, lat]) => (window as any).__map.project([lon, lat]), [nj.lon, nj.lat]);
    await page.mouse.click(box.x + p.x, box.y + p.y);
    await page.waitForFunction(() => document.getElementById('city-name')?.textContent === '南京市', null, { timeout: 30_000 });
    await settled();

    const r = await gql(`{ city(code: "320100") {
      name province rta(year: ${year}) nqp(year: ${year})
      metrics(years: [${year}]) { gdp population urbanShare fiscalSpending fiscalRevenue tertiaryShare educationShare loans dfu rid pc }
      f: firms(kind: FLEDGLING, year: ${year}) { totalCount } g: firms(kind: GAZELLE, year: ${year}) { totalCount }
      u: firms(kind: UNICORN, year: ${year}) { totalCount }
      neighbours(type: QUEEN) { city { code name } }
    } }`);
    expect(r.errors).toBeUndefined();
    const c = r.data!.city;
    const figures = await page.$$eval('#city-figures tr, #city-firms .firm-row', (rows) =>
      Object.fromEntries(rows.map((tr) => [(tr as HTMLElement).dataset.field, { value: (tr as HTMLElement).dataset.value, text: tr.lastElementChild!.textContent }])));
    const want: Record<string, number> = {
      RTA: c.rta, NQP: c.nqp, ...c.metrics[0],
      q1: c.f.totalCount, q2: c.g.totalCount, q3: c.u.totalCount, firms: c.f.totalCount + c.g.totalCount + c.u.totalCount,
    };
    expect(Object.keys(figures).sort()).toEqual(Object.keys(want).sort());
    for (const [field, v] of Object.entries(want)) {
      expect(Number(figures[field].value), field).toBe(v);
      const shown = Number(figures[field].text!.replace(/,/g, ''));
      expect(Math.abs(shown - v) / Math.max(Math.abs(v), 1e-9), `${field} shown as ${figures[field].text}`).toBeLessThan(1e-3);
    }
    expect(await page.locator('#city-meta').textContent()).toContain(c.province);
    const chips = await page.$$eval('#city-neighbours .chip', (bs) => bs.map((b) => b.textContent).sort());
    expect(chips).toEqual(c.neighbours.map((n: { city: { name: string } }) => n.city.name).sort());
    expect(chips).toContain('扬州市');
    expect(new URL(page.url()).searchParams.get('city')).toBe('320100');

    const shot = await mapShot('nanjing-selected');
    expect(shot.count(NEIGHBOUR, 8)).toBeGreaterThan(100);
    // the violet outlines are around the neighbours: near each neighbour's interior point, not across the map
    const pts = await page.evaluate((cs) => cs.map((x) => (window as any).__map.project([x.lon, x.lat])), cities.filter((x) => c.neighbours.some((n: { city: { code: string } }) => n.city.code === x.code)));
    const xs = pts.map((q: { x: number }) => q.x), ys = pts.map((q: { y: number }) => q.y);
    let inside = 0, all = 0;
    for (let y = 0; y < shot.png.height; y++) for (let x = 0; x < shot.png.width; x++) {
      if (!near(shot.at(x, y), rgb(NEIGHBOUR), 8)) continue;
      all++;
      if (x > Math.min(...xs) - 60 && x < Math.max(...xs) + 60 && y > Math.min(...ys) - 60 && y < Math.max(...ys) + 60) inside++;
    }
    expect(inside / all).toBeGreaterThan(0.95);
  });

  it('colours LISA clusters as GraphQL\'s local Moran says, with counts in the legend', async () => {
    const year = Number((await state()).year);
    await page.locator('#view-lisa').click();
    const ds = await settled({ view: 'lisa' });
    expect(ds.state).toBe('ready');
    const r = await gql(`{ spatialAutocorrelation(variable: "RTA", year: ${year}, weights: { type: QUEEN, style: W }) {
      local { city { code } quadrant pValue } } }`);
    expect(r.errors).toBeUndefined();
    const local = new Map<string, { quadrant: string; pValue: number }>(r.data!.spatialAutocorrelation.local.map((l: any) => [l.city.code, l]));
    const expected = new Map<string, string>();
    const counts: Record<string, number> = { HH: 0, LL: 0, HL: 0, LH: 0, NS: 0, OUT: 0 };
    for (const c of cities) {
      const l = local.get(c.code);
      const k = !l ? 'OUT' : l.pValue < 0.05 ? l.quadrant : 'NS';
      counts[k]++;
      expected.set(c.code, LISA[k]);
    }
    expect(counts.OUT).toBeGreaterThanOrEqual(4); // the Hainan islands have no queen neighbours
    expect(counts.HH + counts.LL + counts.HL + counts.LH).toBeGreaterThan(0);
    const rows = await legendRows();
    expect(Object.fromEntries(rows.map((x) => [x.cluster, Number(x.count)]))).toEqual(counts);
    expect(Object.fromEntries(rows.map((x) => [x.cluster, x.color]))).toEqual(LISA);
    expect(await page.locator('#city-lisa').getAttribute('data-cluster')).toBe((() => {
      const l = local.get('320100');
      return !l ? 'OUT' : l.pValue < 0.05 ? l.quadrant : 'NS';
    })());

    const shot = await mapShot('lisa');
    const m = matches(shot, await projectCities(), expected);
    expect(m.n).toBeGreaterThan(250);
    expect(m.ok / m.n, m.wrong.slice(0, 10).join('; ')).toBeGreaterThan(0.9);
    for (const k of Object.keys(counts)) if (counts[k] >= 3 && k !== 'OUT') expect(shot.count(LISA[k]), k).toBeGreaterThan(20);
  });

  it('shows the server\'s error for bad weights, and clears it when the next request succeeds', async () => {
    await page.locator('#weights').selectOption('KNN');
    await settled({ view: 'lisa' });
    await page.locator('#knn-k').fill('500');
    await page.locator('#knn-k').press('Enter');
    await page.locator('#knn-k').blur();
    const ds = await settled({ state: 'error' });
    expect(ds.state).toBe('error');
    const text = await page.locator('#errors .error').first().textContent();
    expect(text).toContain('weights.k');
    expect(text).toContain('BAD_USER_INPUT');
    await mapShot('error');
    await page.locator('#knn-k').fill('6');
    await page.locator('#knn-k').blur();
    expect((await settled({ state: 'ready' })).state).toBe('ready');
    expect(await page.locator('#errors .error').count()).toBe(0);
    expect(await page.locator('#legend .legend-sub').textContent()).toContain('6 nearest neighbours');
  });

  it('lists imported variables only when the server has them (and does not break when it does not)', async () => {
    const r = await gql('{ cityVariables { name kind } }');
    const vars = r.errors ? [] : (r.data!.cityVariables as { name: string; kind: string }[]);
    const shown = await page.$$eval('#metric optgroup[label="Imported variables"] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(shown).toEqual(vars.filter((v) => v.kind === 'stored').map((v) => `var:${v.name}`));
    // composites get their own group; the built-in NQP keeps its built-in entry
    const comps = await page.$$eval('#metric optgroup[label="Composites"] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(comps).toEqual(vars.filter((v) => v.kind === 'composite' && v.name !== 'NQP').map((v) => `var:${v.name}`));
    const builtIn = await page.$$eval('#metric option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(builtIn).toEqual(expect.arrayContaining(['RTA', 'NQP', 'firms', 'q1', 'q2', 'q3', 'gdp', 'population']));
  });

  it('made no request outside its own origin', async () => {
    expect(requests.length).toBeGreaterThan(5);
    const foreign = requests.filter((u) => !u.startsWith(`${server.origin}/`) && !u.startsWith('data:') && !u.startsWith('blob:'));
    expect(foreign).toEqual([]);
    expect(requests.filter((u) => u === `${server.origin}/graphql`).length).toBeGreaterThanOrEqual(4);
    expect(pageErrors).toEqual([]);
  });
});
