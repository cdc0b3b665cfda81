// Plain HTML views of the OGC resources (f=html or a browser's Accept header): self-contained pages, no scripts or
// external assets, every value escaped.
import type { Feature } from './items.js';

export interface Link { href: string; rel: string; type?: string; title?: string }

export const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = 'body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:.9em}'
  + 'td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}th{background:#f3f3f3}'
  + 'code{background:#f6f6f6}nav a{margin-right:1em}.num{text-align:right}';

export function page(title: string, body: string, links: readonly Link[] = []): string {
  const nav = links.filter((l) => ['next', 'prev', 'collection', 'data', 'items', 'conformance', 'service-desc', 'queryables', 'http://www.opengis.net/def/rel/ogc/1.0/queryables'].includes(l.rel) || (l.rel === 'alternate'));
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>`
    + `<p><a href="${esc(homeOf(links))}">OGC API home</a></p><h1>${esc(title)}</h1>`
    + (nav.length ? `<nav>${nav.map((l) => `<a href="${esc(l.href)}" rel="${esc(l.rel)}">${esc(l.title ?? l.rel)}</a>`).join('')}</nav>` : '')
    + body + '</body></html>';
}

function homeOf(links: readonly Link[]): string {
  const any = links[0]?.href ?? '/ogc';
  const i = any.indexOf('/ogc');
  return i >= 0 ? any.slice(0, i + 4) : '/ogc';
}

export const linkList = (links: readonly Link[]) =>
  `<ul>${links.map((l) => `<li><a href="${esc(l.href)}">${esc(l.title ?? l.href)}</a> <small>(${esc(l.rel)}${l.type ? `, ${esc(l.type)}` : ''})</small></li>`).join('')}</ul>`;

export function table(head: readonly string[], rows: readonly unknown[][]): string {
  const cell = (v: unknown) => (typeof v === 'number' ? `<td class="num">${esc(v)}</td>` : `<td>${v instanceof Html ? v.s : esc(v)}</td>`);
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</table>`;
}

/** Already-escaped markup for a table cell. */
export class Html { constructor(readonly s: string) {} }
export const a = (href: string, text: string) => new Html(`<a href="${esc(href)}">${esc(text)}</a>`);

function geometrySummary(g: Feature['geometry']): string {
  if (!g) return 'none';
  const geom = g as { type: string; coordinates: unknown };
  const n = JSON.stringify(geom.coordinates).match(/\[-?[\d.e+-]+,-?[\d.e+-]+\]/gi)?.length ?? 0;
  return geom.type === 'Point' ? `Point ${JSON.stringify(geom.coordinates)}` : `${geom.type}, ${n} vertices`;
}

export function featuresTable(features: readonly Feature[], itemHref: (id: string | number) => string): string {
  if (!features.length) return '<p>No features.</p>';
  const names = Object.keys(features[0].properties);
  return table(['id', 'geometry', ...names], features.map((f) => [a(itemHref(f.id), String(f.id)), geometrySummary(f.geometry), ...names.map((n) => f.properties[n])]));
}

export function featureView(f: Feature): string {
  return `<p>Geometry: ${esc(geometrySummary(f.geometry))}</p>`
    + table(['property', 'value'], Object.entries(f.properties).map(([k, v]) => [k, v]));
}
