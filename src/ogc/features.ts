// A read-only OGC API - Features server (Part 1 Core + GeoJSON + HTML + OpenAPI 3.0; Part 3 filtering with CQL2
// text and queryables) over the stored cities and firms, for QGIS, GDAL ("OAPIF:") and web maps. Everything lives
// under /ogc; the old root paths (/conformance, /collections...) answer 308 to their /ogc twins. Framework free:
// returns the response to write, or null when the path is not ours. Details and choices: docs/ogc.md.
import type { Db } from '../db/db.js';
import { sql, type SqlFragment } from '../db/sql.js';
import { COLLECTIONS, type CollectionDef, type Prop } from './collections.js';
import { Cql2Error, parseCql2 } from './cql2.js';
import { compileFilter, FilterError, GEOMETRY_PROPERTY, GEOM_COL, propertyEquals, propIndex } from './filter.js';
import { a, esc, featuresTable, featureView, linkList, page, table, type Link } from './html.js';
import { featurePage, type Feature } from './items.js';
import { ogcSnapshot, type OgcSnapshot } from './measures.js';
import { openApi } from './openapi.js';
import { bboxParam, checkKnown, CRS84, crsParam, formatOf, intParam, ParamError, simplifyParam, yearParam, type Format } from './params.js';

export interface OgcResponse { status: number; contentType: string; body: string; headers?: Record<string, string> }

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 1000;
export const BASE = '/ogc';

const OGC_REL = 'http://www.opengis.net/def/rel/ogc/1.0';
export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables',
  'http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters',
  'http://www.opengis.net/spec/cql2/1.0/conf/cql2-text',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2',
  'http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators',
  'http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions',
  'http://www.opengis.net/spec/cql2/1.0/conf/property-property',
];

const GEOJSON = 'application/geo+json';
const JSON_T = 'application/json';
const HTML_T = 'text/html';
const OPENAPI_T = 'application/vnd.oai.openapi+json;version=3.0';
const ROOT_PATHS = /^\/(conformance|collections)(\/.*)?$/;
const STANDARD_ITEM_PARAMS = ['f', 'bbox', 'bbox-crs', 'crs', 'limit', 'offset', 'datetime', 'year', 'filter', 'filter-lang', 'filter-crs'];
const ONE_ITEM_PARAMS = ['f', 'crs', 'datetime', 'year'];

class NotFound extends Error {}

const jsonResp = (body: unknown, type = JSON_T, status = 200): OgcResponse => ({ status, contentType: type, body: JSON.stringify(body) });
const htmlResp = (html: string, status = 200): OgcResponse => ({ status, contentType: `${HTML_T}; charset=utf-8`, body: html });

/** Link to `path` (under /ogc) with the query `params` and f=json|html. */
function href(base: string, path: string, f: Format | null, params?: URLSearchParams): string {
  const p = new URLSearchParams(params);
  if (f) p.set('f', f); else p.delete('f');
  const q = p.toString();
  return `${base}${BASE}${path}${q ? `?${q}` : ''}`;
}

/** self + alternate links of a resource served as JSON (of `jsonType`) and HTML. */
function selfAlt(base: string, path: string, fmt: Format, jsonType: string, params?: URLSearchParams): Link[] {
  const json = { href: href(base, path, 'json', params), type: jsonType, title: 'as JSON' };
  const html = { href: href(base, path, 'html', params), type: HTML_T, title: 'as HTML' };
  return fmt === 'json' ? [{ ...json, rel: 'self' }, { ...html, rel: 'alternate' }] : [{ ...html, rel: 'self' }, { ...json, rel: 'alternate' }];
}

function landing(base: string, fmt: Format): OgcResponse {
  const links: Link[] = [
    ...selfAlt(base, '', fmt, JSON_T),
    { href: `${base}${BASE}/api`, rel: 'service-desc', type: OPENAPI_T, title: 'OpenAPI 3.0 description' },
    { href: href(base, '/conformance', 'json'), rel: 'conformance', type: JSON_T, title: 'conformance classes' },
    { href: href(base, '/conformance', 'json'), rel: `${OGC_REL}/conformance`, type: JSON_T, title: 'conformance classes' },
    { href: href(base, '/collections', 'json'), rel: 'data', type: JSON_T, title: 'collections' },
    { href: href(base, '/collections', 'json'), rel: `${OGC_REL}/data`, type: JSON_T, title: 'collections' },
  ];
  const doc = {
    title: 'Agglomera - OGC API - Features',
    description: 'Chinese prefecture-level cities (real outlines) with city-year metrics, NQP, RTA and firm counts, and the innovative firms (SYNTHETIC demo data). GraphQL at /graphql.',
    links,
  };
  if (fmt === 'json') return jsonResp(doc);
  return htmlResp(page(doc.title, `<p>${esc(doc.description)}</p>${linkList(links)}`
    + `<p>Collections: ${COLLECTIONS.map((c) => `<a href="${esc(href(base, `/collections/${c.id}`, 'html'))}">${esc(c.id)}</a>`).join(', ')}</p>`, links));
}

function conformance(base: string, fmt: Format): OgcResponse {
  const links = selfAlt(base, '/conformance', fmt, JSON_T);
  if (fmt === 'json') return jsonResp({ conformsTo: CONFORMANCE, links });
  return htmlResp(page('Conformance', `<ul>${CONFORMANCE.map((c) => `<li><code>${esc(c)}</code></li>`).join('')}</ul>`, links));
}

function collectionDoc(base: string, c: CollectionDef, snap: OgcSnapshot, fmt: Format) {
  const bbox = c.bbox(snap);
  const years = c.years(snap);
  return {
    id: c.id,
    title: c.title,
    description: c.description,
    itemType: 'feature',
    crs: [CRS84],
    storageCrs: CRS84,
    extent: {
      ...(bbox ? { spatial: { bbox: [bbox], crs: CRS84 } } : {}),
      ...(years.length ? { temporal: { interval: [[`${years[0]}-01-01T00:00:00Z`, `${years[years.length - 1]}-12-31T23:59:59Z`]], trs: 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian' } } : {}),
    },
    links: [
      ...selfAlt(base, `/collections/${c.id}`, fmt, JSON_T),
      { href: href(base, `/collections/${c.id}/items`, 'json'), rel: 'items', type: GEOJSON, title: `${c.id} as GeoJSON` },
      { href: href(base, `/collections/${c.id}/items`, 'html'), rel: 'items', type: HTML_T, title: `${c.id} as HTML` },
      { href: href(base, `/collections/${c.id}/queryables`, 'json'), rel: `${OGC_REL}/queryables`, type: 'application/schema+json', title: 'queryables' },
    ] as Link[],
  };
}

function collections(base: string, snap: OgcSnapshot, fmt: Format): OgcResponse {
  const links = selfAlt(base, '/collections', fmt, JSON_T);
  const docs = COLLECTIONS.map((c) => collectionDoc(base, c, snap, 'json'));
  if (fmt === 'json') return jsonResp({ links, collections: docs });
  return htmlResp(page('Collections', table(['collection', 'description', 'items'], COLLECTIONS.map((c) => [
    a(href(base, `/collections/${c.id}`, 'html'), c.title), c.description, a(href(base, `/collections/${c.id}/items`, 'html'), 'items'),
  ])), links));
}

function collection(base: string, c: CollectionDef, snap: OgcSnapshot, fmt: Format): OgcResponse {
  const doc = collectionDoc(base, c, snap, fmt);
  if (fmt === 'json') return jsonResp(doc);
  const years = c.years(snap);
  return htmlResp(page(c.title, `<p>${esc(c.description)}</p>`
    + `<p>Extent: ${esc(JSON.stringify(c.bbox(snap)))}; years ${esc(years.length ? `${years[0]}-${years[years.length - 1]}` : 'none')}</p>`
    + linkList(doc.links), doc.links));
}

const schemaOf = (p: Prop) => ({
  title: p.title,
  ...(p.type === 'date' ? { type: 'string', format: 'date' } : { type: p.type }),
  ...(p.enum ? { enum: p.enum } : {}),
});

function queryables(base: string, c: CollectionDef, snap: OgcSnapshot, fmt: Format): OgcResponse {
  const props = c.props(snap).filter((p) => p.queryable);
  const geometry = { title: 'geometry', format: `geometry-${c.geometryType.toLowerCase()}`, $ref: `https://geojson.org/schema/${c.geometryType}.json` };
  const doc = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: href(base, `/collections/${c.id}/queryables`, null),
    type: 'object',
    title: c.title,
    properties: { [GEOMETRY_PROPERTY]: geometry, ...Object.fromEntries(props.map((p) => [p.name, schemaOf(p)])) },
    additionalProperties: false,
  };
  if (fmt === 'json') return jsonResp(doc, 'application/schema+json');
  const links = selfAlt(base, `/collections/${c.id}/queryables`, fmt, 'application/schema+json');
  return htmlResp(page(`Queryables of ${c.id}`, table(['name', 'type', 'title'], [
    [GEOMETRY_PROPERTY, c.geometryType, 'geometry (S_INTERSECTS, S_DISJOINT, S_WITHIN, S_CONTAINS)'],
    ...props.map((p) => [p.name, p.type, p.title]),
  ]), links));
}

/** bbox, filter and ?property=value of an items request as SQL conditions over the base rows. */
function conditions(sp: URLSearchParams, props: readonly Prop[], standard: ReadonlySet<string>): SqlFragment[] {
  const ix = propIndex(props);
  const where: SqlFragment[] = [];
  crsParam(sp, 'bbox-crs');
  crsParam(sp, 'filter-crs');
  crsParam(sp, 'crs');
  const bbox = bboxParam(sp);
  if (bbox) where.push(sql`COALESCE(ST_Intersects(${GEOM_COL}, ST_MakeEnvelope(${bbox[0]}::float8, ${bbox[1]}::float8, ${bbox[2]}::float8, ${bbox[3]}::float8, 4326)), FALSE)`);
  const lang = sp.get('filter-lang');
  // GDAL and older clients say cql-text for the same text encoding
  if (lang !== null && lang !== 'cql2-text' && lang !== 'cql-text') throw new ParamError('filter-lang', `only cql2-text is supported, got "${lang}"`);
  const filter = sp.get('filter');
  if (filter !== null) {
    try {
      where.push(compileFilter(parseCql2(filter), ix));
    } catch (e) {
      if (e instanceof Cql2Error || e instanceof FilterError) throw new ParamError('filter', e.message);
      throw e;
    }
  } else if (lang !== null) {
    throw new ParamError('filter-lang', 'given without filter');
  }
  for (const [name, raw] of sp) {
    if (standard.has(name)) continue;
    try {
      where.push(propertyEquals(ix, name, raw));
    } catch (e) {
      if (e instanceof FilterError) throw new ParamError(name, e.message);
      throw e;
    }
  }
  return where;
}

async function items(db: Db, base: string, c: CollectionDef, sp: URLSearchParams, fmt: Format, featureId?: string): Promise<OgcResponse> {
  const snap = await ogcSnapshot(db);
  const props = c.props(snap);
  const one = featureId !== undefined;
  const standard = new Set([...(one ? ONE_ITEM_PARAMS : STANDARD_ITEM_PARAMS), ...c.extraParams]);
  const queryableNames = props.filter((p) => p.queryable).map((p) => p.name).filter((n) => !standard.has(n));
  checkKnown(sp, one ? standard : new Set([...standard, ...queryableNames]), one ? '' : ' (and the queryables as ?name=value)');
  const year = yearParam(sp, c.years(snap));
  const simplify = c.extraParams.includes('simplify') ? simplifyParam(sp) : 0;
  const ctx = { year, measures: snap.byYear.get(year), snap };
  if (one) {
    crsParam(sp, 'crs');
    if (!c.idPattern.test(featureId)) throw new NotFound(`"${featureId}" is not a feature id of ${c.id}`);
    const r = await featurePage(db, c, { ctx, props, where: [], limit: 1, offset: 0, simplify, id: featureId });
    if (!r.features.length) throw new NotFound(`no feature ${featureId} in ${c.id}${c.id === 'firms' ? ` with a firm-year in ${year}` : ''}`);
    const f = r.features[0];
    const links = [
      ...selfAlt(base, `/collections/${c.id}/items/${encodeURIComponent(featureId)}`, fmt, GEOJSON, sp),
      { href: href(base, `/collections/${c.id}`, 'json'), rel: 'collection', type: JSON_T, title: c.title },
    ];
    if (fmt === 'json') return jsonResp({ ...f, links }, GEOJSON);
    return htmlResp(page(`${c.id} ${f.id} (${year})`, featureView(f), links));
  }
  const where = conditions(sp, props, standard);
  // Part 1: a limit above the maximum is not an error, the maximum is used
  const limit = Math.min(intParam(sp, 'limit', DEFAULT_LIMIT, 1, Number.MAX_SAFE_INTEGER), MAX_LIMIT);
  const offset = intParam(sp, 'offset', 0, 0, 10_000_000);
  const r = await featurePage(db, c, { ctx, props, where, limit, offset, simplify });
  const path = `/collections/${c.id}/items`;
  const at = (o: number) => { const p = new URLSearchParams(sp); p.set('limit', String(limit)); p.set('offset', String(o)); return p; };
  const links: Link[] = selfAlt(base, path, fmt, GEOJSON, at(offset));
  const ft = fmt === 'json' ? GEOJSON : HTML_T;
  if (offset + r.features.length < r.matched) links.push({ href: href(base, path, fmt, at(offset + limit)), rel: 'next', type: ft, title: 'next page' });
  if (offset > 0) links.push({ href: href(base, path, fmt, at(Math.max(0, offset - limit))), rel: 'prev', type: ft, title: 'previous page' });
  links.push({ href: href(base, `/collections/${c.id}`, 'json'), rel: 'collection', type: JSON_T, title: c.title });
  if (fmt === 'json') {
    return jsonResp({
      type: 'FeatureCollection', numberMatched: r.matched, numberReturned: r.features.length, timeStamp: new Date().toISOString(),
      features: r.features, links,
    }, GEOJSON);
  }
  const itemHref = (id: Feature['id']) => href(base, `${path}/${encodeURIComponent(String(id))}`, 'html', sp.has('datetime') || sp.has('year') ? new URLSearchParams({ datetime: String(year) }) : undefined);
  return htmlResp(page(`${c.title} (${year})`, `<p>${r.matched} matched, ${r.features.length} shown from ${offset + 1}.</p>${featuresTable(r.features, itemHref)}`, links));
}

function exception(status: number, code: string, description: string, parameter?: string): OgcResponse {
  return jsonResp({ code, description, ...(parameter ? { parameter } : {}) }, JSON_T, status);
}

/**
 * Answers an OGC API - Features request (`base`: the server origin, e.g. http://localhost:4000), or null when the
 * path is not ours. `accept` is the request's Accept header (HTML for browsers).
 */
export async function ogcResponse(db: Db, url: URL, base: string, accept?: string): Promise<OgcResponse | null> {
  const raw = url.pathname.replace(/\/+$/, '') || '/';
  if (ROOT_PATHS.test(raw)) return { status: 308, contentType: 'text/plain', body: `moved to ${BASE}${url.pathname}\n`, headers: { location: `${base}${BASE}${url.pathname}${url.search}` } };
  if (raw !== BASE && !raw.startsWith(`${BASE}/`)) return null;
  const path = raw.slice(BASE.length) || '/';
  const sp = url.searchParams;
  try {
    if (path === '/api') {
      checkKnown(sp, new Set(['f']));
      if (sp.get('f') !== null && sp.get('f') !== 'json') throw new ParamError('f', 'the OpenAPI description is served as json only');
      const snap = await ogcSnapshot(db);
      return jsonResp(openApi(base, COLLECTIONS.map((c) => ({ id: c.id, queryables: c.props(snap).filter((p) => p.queryable) }))), OPENAPI_T);
    }
    const fmt = formatOf(sp, accept);
    const parts = path.split('/').slice(1).map(decodeURIComponent);
    if (path === '/') { checkKnown(sp, new Set(['f'])); return landing(base, fmt); }
    if (path === '/conformance') { checkKnown(sp, new Set(['f'])); return conformance(base, fmt); }
    if (parts[0] !== 'collections') throw new NotFound(`no resource ${BASE}${path}; see ${BASE}`);
    if (parts.length === 1) { checkKnown(sp, new Set(['f'])); return collections(base, await ogcSnapshot(db), fmt); }
    const c = COLLECTIONS.find((x) => x.id === parts[1]);
    if (!c) throw new NotFound(`no collection "${parts[1]}"; collections: ${COLLECTIONS.map((x) => x.id).join(', ')}`);
    if (parts.length === 2) { checkKnown(sp, new Set(['f'])); return collection(base, c, await ogcSnapshot(db), fmt); }
    if (parts.length === 3 && parts[2] === 'queryables') { checkKnown(sp, new Set(['f'])); return queryables(base, c, await ogcSnapshot(db), fmt); }
    if (parts[2] === 'items' && parts.length <= 4) return await items(db, base, c, sp, fmt, parts[3]);
    throw new NotFound(`no resource ${BASE}${path}`);
  } catch (e) {
    if (e instanceof ParamError) return exception(e.status, e.status === 404 ? 'NotFound' : 'InvalidParameterValue', e.message, e.param);
    if (e instanceof NotFound) return exception(404, 'NotFound', e.message);
    if (e instanceof URIError) return exception(404, 'NotFound', 'malformed path');
    throw e;
  }
}
