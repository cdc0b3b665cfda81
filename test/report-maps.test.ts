// The report's maps (src/report/maps.ts, in replicate's report.html): one path per city with a value, classes as the
// legend says, LISA counts equal to the spatial library's local Moran on the stored QUEEN weights, nothing online.
import { beforeAll, describe, expect, it } from 'vitest';
import { storedWeights, withoutUnits } from '../src/db/queries/weights.js';
import { localMoran } from '../src/estimation/spatial/index.js';
import { albersFor, classify, projectUnits, quantileBreaks } from '../src/report/map-svg.js';
import { LISA_ALPHA, mapsHtml, QUADRANTS, reportMaps, type ReportMaps } from '../src/report/maps.js';
import { dbKind, getStore, gql } from './helpers/store.js';

interface SvgPath { code: string; cls?: number; fill?: string; d: string; title: string }

/** Paths of one group (class="units" or "no-value") of a map SVG. */
function paths(svg: string, group: 'units' | 'no-value'): SvgPath[] {
  const g = svg.match(new RegExp(`<g class="${group}"[^>]*>([\\s\\S]*?)</g>`))![1];
  return [...g.matchAll(/<path data-code="([^"]+)"(?: data-class="(\d+)")?(?: fill="([^"]+)")? d="([^"]+)"><title>([^<]*)<\/title><\/path>/g)]
    .map((m) => ({ code: m[1], cls: m[2] === undefined ? undefined : Number(m[2]), fill: m[3], d: m[4], title: m[5] }));
}

function legend(svg: string): { colour: string; label: string; count: number }[] {
  return [...svg.matchAll(/<g class="legend-class" data-count="(\d+)"[^>]*><rect [^>]*fill="([^"]+)"[^>]*\/><text [^>]*>([^<]*) \((\d+)\)<\/text><\/g>/g)]
    .map((m) => ({ count: Number(m[1]), colour: m[2], label: m[3], ...(Number(m[1]) === Number(m[4]) ? {} : { mismatch: true }) }));
}

describe(`report maps on ${dbKind}`, () => {
  let maps: ReportMaps;
  let values: { code: string; name: string; rta: number | null; nqp: number | null }[];
  beforeAll(async () => {
    maps = await reportMaps((await getStore()).db);
    const r = await gql<{ cities: { nodes: typeof values } }>(`{ cities(first: 1000) { nodes { code name rta(year: ${maps.year}) nqp(year: ${maps.year}) } } }`);
    expect(r.errors).toBeUndefined();
    values = r.data!.cities.nodes;
  });

  it('maps the last year with NQP values', async () => {
    expect(maps.year).toBe(2019); // the demo panel's last year
    expect(maps.maps.map((m) => m.id)).toEqual(['map-rta', 'map-nqp', 'map-lisa-nqp']);
  });

  for (const [id, variable] of [['map-rta', 'rta'], ['map-nqp', 'nqp']] as const) {
    it(`${id}: one path per city with a ${variable.toUpperCase()} value, coloured by its quantile class as the legend says`, () => {
      const svg = maps.maps.find((m) => m.id === id)!.svg;
      const withValue = values.filter((c) => c[variable] !== null && Number.isFinite(c[variable]));
      expect(withValue.length).toBeGreaterThan(250);
      const drawn = paths(svg, 'units');
      expect(drawn.map((p) => p.code).sort()).toEqual(withValue.map((c) => c.code).sort()); // one each, no more
      expect(paths(svg, 'no-value').map((p) => p.code).sort()).toEqual(values.filter((c) => !withValue.includes(c)).map((c) => c.code).sort());
      for (const p of drawn) expect(p.d).toMatch(/^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){2,}Z/);

      const classes = legend(svg);
      expect(classes.filter((c) => c.label !== 'no value')).toHaveLength(5);
      expect(classes.some((c) => 'mismatch' in c)).toBe(false);
      const byCode = new Map(withValue.map((c) => [c.code, c[variable]!]));
      const members = classes.map(() => [] as number[]);
      for (const p of drawn) {
        expect(p.fill).toBe(classes[p.cls!].colour);
        members[p.cls!].push(byCode.get(p.code)!);
        expect(p.title.startsWith(values.find((c) => c.code === p.code)!.name)).toBe(true);
      }
      members.slice(0, 5).forEach((m, k) => expect(m.length, `class ${k}`).toBe(classes[k].count));
      for (let k = 0; k + 1 < 5; k++) expect(Math.max(...members[k])).toBeLessThan(Math.min(...members[k + 1])); // ordered classes
      // the labels' bounds enclose the members (3 significant digits)
      members.slice(0, 5).forEach((m, k) => {
        const [lo, hi] = classes[k].label.split(' – ').map(Number);
        expect(Math.min(...m)).toBeGreaterThanOrEqual(lo * (1 - 5e-3) - 1e-12);
        expect(Math.max(...m)).toBeLessThanOrEqual(hi * (1 + 5e-3) + 1e-12);
      });
      expect(svg).toMatch(new RegExp(`<text class="map-title"[^>]*>${variable.toUpperCase()} \\(`));
    });
  }

  it("LISA: counts equal the library's local Moran on the stored QUEEN weights and the GraphQL query's", async () => {
    const { db } = await getStore();
    const nqp = new Map(values.filter((c) => c.nqp !== null).map((c) => [c.code, c.nqp!]));
    const full = await storedWeights(db, { type: 'QUEEN', style: 'W' }, [...nqp.keys()].sort());
    const w = withoutUnits(full, full.islands ?? []);
    const local = localMoran(Float64Array.from(w.ids, (id) => nqp.get(id)!), w);
    const count = (sig: boolean) => Object.fromEntries(QUADRANTS.map((q) => [q, local.filter((r) => r.quadrant === q && (!sig || r.pValue < LISA_ALPHA)).length]));
    expect(maps.lisa.n).toBe(local.length);
    expect(maps.lisa.quadrants).toEqual(count(false));
    expect(maps.lisa.significant).toEqual(count(true));
    expect(maps.lisa.islands).toEqual(full.islands ?? []);

    const g = await gql<{ spatialAutocorrelation: { islands: string[]; local: { quadrant: string; pValue: number; city: { code: string } }[] } }>(
      `{ spatialAutocorrelation(variable: "NQP", year: ${maps.year}, weights: {type: QUEEN, style: W}) { islands local { quadrant pValue city { code } } } }`);
    expect(g.errors).toBeUndefined();
    const viaApi = Object.fromEntries(QUADRANTS.map((q) => [q, g.data!.spatialAutocorrelation.local.filter((r) => r.quadrant === q).length]));
    expect(maps.lisa.quadrants).toEqual(viaApi);

    // the map: significant cities in their quadrant's colour, the rest grey; the legend counts match
    const svg = maps.maps.find((m) => m.id === 'map-lisa-nqp')!.svg;
    const classes = legend(svg);
    expect(classes.slice(0, 4).map((c) => c.count)).toEqual(QUADRANTS.map((q) => maps.lisa.significant[q]));
    expect(classes[4].count).toBe(local.length - QUADRANTS.reduce((s, q) => s + maps.lisa.significant[q], 0));
    const drawn = paths(svg, 'units');
    expect(drawn).toHaveLength(local.length);
    const byCode = new Map(local.map((r) => [r.id, r]));
    for (const p of drawn) {
      const r = byCode.get(p.code)!;
      expect(p.cls).toBe(r.pValue < LISA_ALPHA ? QUADRANTS.indexOf(r.quadrant) : 4);
    }
    // and the report's count table says the same
    const html = mapsHtml(maps);
    for (const q of QUADRANTS) expect(html).toContain(`<tr><td>${q}</td><td>${maps.lisa.quadrants[q]}</td><td>${maps.lisa.significant[q]}</td></tr>`);
  });

  it('reads offline: inline SVG with titles and legends, no scripts, no links, no external references', () => {
    const html = mapsHtml(maps);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html.match(/<g class="legend" /g)).toHaveLength(3);
    expect(html.match(/<text class="map-title"/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|href=|url\(|@import/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:|\/\//);
    expect(html.length).toBeLessThan(1_500_000); // simplified outlines
  });
});

describe('map drawing (pure)', () => {
  it('quantile breaks and classes', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantileBreaks(v, 5)).toEqual([3, 5, 7, 9]);
    expect(v.map((x) => classify(x, [3, 5, 7, 9]))).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    expect(quantileBreaks([1, 1, 1, 1, 2], 5)).toEqual([2]); // ties merge: two classes
    expect(quantileBreaks([4, 4, 4], 5)).toEqual([]); // one class
  });

  it('projects north up and east right, fits the width, simplifies to fewer points but keeps every unit', () => {
    // a square and a finely sampled circle-ish ring, 1° apart
    const circle = Array.from({ length: 401 }, (_, i) => [110 + Math.cos((i / 400) * 2 * Math.PI), 30 + Math.sin((i / 400) * 2 * Math.PI)]);
    const units = [
      { code: 'a', name: 'A', rings: [[[[100, 20], [101, 20], [101, 21], [100, 21], [100, 20]]]] },
      { code: 'b', name: 'B', rings: [[circle]] },
    ];
    const p = albersFor(units);
    expect(p(105, 30)[1]).toBeLessThan(p(105, 31)[1]); // projected y grows northwards
    expect(p(106, 25)[0]).toBeGreaterThan(p(105, 25)[0]);
    const { paths: ps, height } = projectUnits(units, 400);
    expect(ps.map((x) => x.code)).toEqual(['a', 'b']);
    expect(height).toBeGreaterThan(100);
    const xs = ps.flatMap((x) => [...x.d.matchAll(/([\d.]+),([\d.]+)/g)].map((m) => Number(m[1])));
    expect(Math.min(...xs)).toBeCloseTo(0, 0);
    expect(Math.max(...xs)).toBeCloseTo(400, 0);
    const circlePoints = ps[1].d.split('L').length;
    expect(circlePoints).toBeLessThan(200);
    expect(circlePoints).toBeGreaterThan(20);
    // the square's north edge (lat 21) is drawn above its south edge: smaller SVG y
    const sq = [...ps[0].d.matchAll(/([\d.]+),([\d.]+)/g)].map((m) => Number(m[2]));
    expect(Math.min(...sq)).toBeLessThan(Math.max(...sq));
  });
});
