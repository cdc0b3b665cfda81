// Vector tiles over HTTP: /tiles (listing), /tiles/{layer}.json (TileJSON 3.0.0), /tiles/{layer}/{z}/{x}/{y}.mvt?year=.
// Any origin may read them (web maps); 304 on If-None-Match, 204 for a tile without features; gzip / brotli by
// Accept-Encoding, a cached tile's compressed bytes kept with it (src/tiles/service.ts).
import { LAYERS, isLayer } from '../tiles/layers.js';
import { getTile, parseTile, resolveYear, storeExtent, TileError, yearParam } from '../tiles/service.js';
import { MVT_TYPE, tileJson, tileListing } from '../tiles/tilejson.js';
import { send, type Route } from './route.js';
import { sendBody } from './compress.js';

const TILE_PATH = /^\/tiles\/([^/]+)\/([^/]+)\/([^/]+)\/([^/]+)\.(?:mvt|pbf)$/;
const JSON_PATH = /^\/tiles\/([^/]+)\.json$/;
const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'etag' };
const CACHE_CONTROL = 'public, max-age=60';

export const tilesRoute: Route = async (req, res, { db, url, origin }) => {
  const p = url.pathname;
  if (p !== '/tiles' && p !== '/tiles/' && !p.startsWith('/tiles/')) return false;
  if (req.method === 'OPTIONS') {
    res.writeHead(204, { ...CORS, 'access-control-allow-methods': 'GET, HEAD, OPTIONS', 'access-control-allow-headers': 'if-none-match', 'access-control-max-age': '86400' });
    res.end();
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain', 'tiles are read with GET\n', { ...CORS, allow: 'GET, HEAD, OPTIONS' });
    return true;
  }
  const json = (status: number, body: unknown) => sendBody(req, res, status, { 'content-type': 'application/json', ...CORS }, JSON.stringify(body));
  try {
    if (p === '/tiles' || p === '/tiles/') {
      json(200, tileListing(origin));
      return true;
    }
    const j = JSON_PATH.exec(p);
    if (j) {
      if (!isLayer(j[1])) throw new TileError(404, `no tile layer "${j[1]}"; layers: ${Object.keys(LAYERS).join(', ')}`);
      const requested = yearParam(url.searchParams);
      const { years } = await resolveYear(db, requested);
      json(200, tileJson(origin, LAYERS[j[1]], { bounds: await storeExtent(db), years, year: requested }));
      return true;
    }
    const m = TILE_PATH.exec(p);
    if (!m) throw new TileError(404, 'tile paths are /tiles/{layer}/{z}/{x}/{y}.mvt; see /tiles');
    const { layer, tile } = parseTile(m[1], m[2], m[3], m[4]);
    const t = await getTile(db, { layer, tile, year: yearParam(url.searchParams) }, { ifNoneMatch: req.headers['if-none-match'] });
    const headers = { ...CORS, etag: t.etag, 'cache-control': CACHE_CONTROL, 'x-tile-year': String(t.year) };
    if (t.notModified || !t.body.length) { sendBody(req, res, t.notModified ? 304 : 204, headers, ''); return true; }
    sendBody(req, res, 200, { ...headers, 'content-type': MVT_TYPE }, t.body, t.encoded);
    return true;
  } catch (e) {
    if (!(e instanceof TileError)) throw e;
    json(e.status, { status: e.status, error: e.message });
    return true;
  }
};
