// Static maps as inline SVG (pure functions): lon/lat outlines projected with an Albers equal-area conic fitted to the
// data, simplified in screen space, coloured by class, with a title and a legend. No scripts, no external references:
// the SVG reads offline inside report.html or on its own.
import simplify from 'simplify-js';

/** Polygon rings of a (Multi)Polygon in lon/lat: polygons → rings → [lon, lat] points. */
export type Rings = number[][][][];

export interface MapUnit {
  code: string;
  name: string;
  rings: Rings;
}

export interface LegendClass {
  label: string;
  colour: string;
  /** units drawn in this class */
  count: number;
}

export interface MapSpec {
  id: string;
  title: string;
  subtitle?: string;
  units: MapUnit[];
  /** class index (into `classes`) per unit code; units absent here are drawn as "no value" */
  classOf: Map<string, number>;
  classes: { label: string; colour: string }[];
  /** tooltip text per unit code (default: the name) */
  tooltip?: Map<string, string>;
  noValueLabel?: string;
}

export const NO_VALUE_COLOUR = '#ffffff';
const WIDTH = 640;
const LEGEND_WIDTH = 260;
const TITLE_HEIGHT = 44;
const MARGIN = 8;
/** Douglas-Peucker tolerance in SVG pixels: below what the eye sees at this size. */
const TOLERANCE_PX = 0.6;

/** Sequential 5-class palettes (ColorBrewer, Cynthia Brewer, Apache-2.0). */
export const PALETTES = {
  YlOrRd: ['#ffffb2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026'],
  YlGnBu: ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'],
} as const;

/** Albers equal-area conic with standard parallels at 1/6 and 5/6 of the latitude span, centred on the data. */
export function albersFor(units: MapUnit[]): (lon: number, lat: number) => [number, number] {
  let minLon = Infinity, maxLon = -Infinity, minLat = Infinity, maxLat = -Infinity;
  for (const u of units) for (const poly of u.rings) for (const ring of poly) for (const [lon, lat] of ring) {
    if (lon < minLon) minLon = lon; if (lon > maxLon) maxLon = lon;
    if (lat < minLat) minLat = lat; if (lat > maxLat) maxLat = lat;
  }
  const rad = Math.PI / 180;
  const span = maxLat - minLat;
  const p1 = (minLat + span / 6) * rad, p2 = (maxLat - span / 6) * rad;
  const n = Math.abs(p1 - p2) < 1e-9 ? Math.sin(p1) || 1e-9 : (Math.sin(p1) + Math.sin(p2)) / 2;
  const C = Math.cos(p1) ** 2 + 2 * n * Math.sin(p1);
  const lon0 = (minLon + maxLon) / 2, lat0 = ((minLat + maxLat) / 2) * rad;
  const rho0 = Math.sqrt(C - 2 * n * Math.sin(lat0)) / n;
  return (lon, lat) => {
    const rho = Math.sqrt(Math.max(0, C - 2 * n * Math.sin(lat * rad))) / n;
    const theta = n * (lon - lon0) * rad;
    return [rho * Math.sin(theta), rho0 - rho * Math.cos(theta)];
  };
}

interface Projected { code: string; d: string }

/** Projects, fits into `width`, simplifies; returns one path `d` per unit (rings that shrink to nothing dropped). */
export function projectUnits(units: MapUnit[], width: number): { paths: Projected[]; height: number } {
  const project = albersFor(units);
  const xy = units.map((u) => u.rings.map((poly) => poly.map((ring) => ring.map(([lon, lat]) => project(lon, lat)))));
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const u of xy) for (const poly of u) for (const ring of poly) for (const [x, y] of ring) {
    if (x < minX) minX = x; if (x > maxX) maxX = x;
    if (y < minY) minY = y; if (y > maxY) maxY = y;
  }
  const scale = width / (maxX - minX || 1);
  const height = Math.ceil((maxY - minY) * scale);
  const paths = units.map((u, k) => {
    const parts: string[] = [];
    for (const poly of xy[k]) {
      for (const ring of poly) {
        const pts = ring.map(([x, y]) => ({ x: (x - minX) * scale, y: (maxY - y) * scale })); // north up
        const s = simplify(pts, TOLERANCE_PX, false);
        const r = s.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).filter((p, i, a) => i === 0 || p !== a[i - 1]);
        if (r.length >= 3) parts.push(`M${r.join('L')}Z`);
      }
    }
    if (parts.length === 0) { // a unit smaller than the tolerance still gets a dot where it is
      const [x, y] = [xy[k][0][0][0][0], xy[k][0][0][0][1]];
      const px = ((x - minX) * scale).toFixed(1), py = ((maxY - y) * scale).toFixed(1);
      parts.push(`M${px},${py}h1v1h-1Z`);
    }
    return { code: u.code, d: parts.join('') };
  });
  return { paths, height };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Renders a class map: units filled by class, "no value" units white, title on top, legend with counts on the right. */
export function renderMap(spec: MapSpec): string {
  const { paths, height } = projectUnits(spec.units, WIDTH);
  const names = new Map(spec.units.map((u) => [u.code, u.name]));
  const counts = spec.classes.map(() => 0);
  let noValue = 0;
  const valued: string[] = [], missing: string[] = [];
  for (const p of paths) {
    const k = spec.classOf.get(p.code);
    const tip = esc(spec.tooltip?.get(p.code) ?? names.get(p.code) ?? p.code);
    if (k === undefined) {
      noValue++;
      missing.push(`<path data-code="${esc(p.code)}" d="${p.d}"><title>${tip}</title></path>`);
    } else {
      counts[k]++;
      valued.push(`<path data-code="${esc(p.code)}" data-class="${k}" fill="${spec.classes[k].colour}" d="${p.d}"><title>${tip}</title></path>`);
    }
  }
  const legendRows: LegendClass[] = spec.classes.map((c, k) => ({ ...c, count: counts[k] }));
  if (noValue > 0) legendRows.push({ label: spec.noValueLabel ?? 'no value', colour: NO_VALUE_COLOUR, count: noValue });
  const W = WIDTH + LEGEND_WIDTH + 2 * MARGIN, H = Math.max(height, legendRows.length * 22 + 10) + TITLE_HEIGHT + MARGIN;
  const legend = legendRows.map((c, i) => `<g class="legend-class" data-count="${c.count}" transform="translate(0,${i * 22})">`
    + `<rect width="18" height="14" fill="${c.colour}" stroke="#555" stroke-width="0.5"/>`
    + `<text x="26" y="11.5">${esc(c.label)} (${c.count})</text></g>`).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" class="map" id="${esc(spec.id)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" style="max-width:100%;height:auto" font-family="sans-serif" font-size="12">
<title>${esc(spec.title)}</title>
<text class="map-title" x="${MARGIN}" y="18" font-size="15" font-weight="bold">${esc(spec.title)}</text>
${spec.subtitle ? `<text class="map-subtitle" x="${MARGIN}" y="35" fill="#555">${esc(spec.subtitle)}</text>\n` : ''}<g class="units" transform="translate(${MARGIN},${TITLE_HEIGHT})" stroke="#ffffff" stroke-width="0.35" stroke-linejoin="round">
${valued.join('\n')}
</g>
<g class="no-value" transform="translate(${MARGIN},${TITLE_HEIGHT})" fill="${NO_VALUE_COLOUR}" stroke="#999" stroke-width="0.35" stroke-linejoin="round">
${missing.join('\n')}
</g>
<g class="legend" transform="translate(${WIDTH + 2 * MARGIN},${TITLE_HEIGHT + 4})">
${legend}
</g>
</svg>`;
}

/** Quantile class breaks (k classes → k - 1 inner breaks), equal breaks merged; values must be finite. */
export function quantileBreaks(values: number[], k: number): number[] {
  const s = [...values].sort((a, b) => a - b);
  const breaks: number[] = [];
  for (let j = 1; j < k; j++) {
    const q = s[Math.min(s.length - 1, Math.floor((j * s.length) / k))];
    if (breaks.length === 0 || q > breaks[breaks.length - 1]) breaks.push(q);
  }
  return breaks.filter((b) => b > s[0]);
}

/** Class of `v` given inner breaks: class j holds breaks[j-1] <= v < breaks[j]. */
export function classify(v: number, breaks: number[]): number {
  let j = 0;
  while (j < breaks.length && v >= breaks[j]) j++;
  return j;
}
