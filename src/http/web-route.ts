// The map page at `/`: static files from web/ and MapLibre GL JS from node_modules, all from this origin.
// Files are read once, kept in memory (gzipped too, brotli on first ask) and served only from fixed allow-lists: no path from the URL
// reaches the file system.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type http from 'node:http';
import type { Route } from './route.js';
import { sendBody, type Encoding } from './compress.js';

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
const MAPLIBRE_DIR = join(dirname(createRequire(import.meta.url).resolve('maplibre-gl/package.json')), 'dist');

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  map: 'application/json',
};

/**
 * The page may talk to its own origin only (MapLibre's worker is a same-origin module; it also makes blob: URLs
 * for images). This makes "no request leaves the origin" a property the browser enforces, not just a habit.
 */
const CSP = [
  "default-src 'self'", "img-src 'self' data: blob:", "worker-src 'self' blob:", "child-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'", "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'",
].join('; ');

interface Asset { type: string; body: Buffer; encoded: Partial<Record<Encoding, Buffer>>; cache: string }

function load(dir: string, accept: RegExp, cache: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  let names: string[];
  try { names = readdirSync(dir); } catch {
    console.warn(`[agglomera] map page: ${dir} is missing; / answers 404`);
    return out;
  }
  for (const name of names) {
    if (!accept.test(name)) continue;
    const body = readFileSync(join(dir, name));
    out.set(name, { type: TYPES[name.slice(name.lastIndexOf('.') + 1)], body, encoded: { gzip: gzipSync(body) }, cache });
  }
  return out;
}

let assets: { web: Map<string, Asset>; vendor: Map<string, Asset> } | undefined;
function getAssets() {
  // The page's own files change while developing: re-read them unless NODE_ENV=production.
  if (!assets || process.env.NODE_ENV !== 'production') {
    assets = {
      web: load(WEB_DIR, /^[\w-]+\.(html|js|css|svg)$/, 'no-cache'),
      vendor: assets?.vendor ?? load(MAPLIBRE_DIR, /^maplibre-gl(-worker)?\.(mjs|css)(\.map)?$|^LICENSE\.txt$/, 'public, max-age=86400'),
    };
  }
  return assets;
}

function serve(req: http.IncomingMessage, res: http.ServerResponse, a: Asset) {
  sendBody(req, res, 200, {
    'content-type': a.type ?? 'application/octet-stream',
    'cache-control': a.cache,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
  }, a.body, a.encoded); // gzip made when the file is read, brotli on the first ask, both kept with the file
}

export const webRoute: Route = async (req, res, { url }) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const p = url.pathname;
  let asset: Asset | undefined;
  if (p === '/' || p === '/index.html') asset = getAssets().web.get('index.html');
  else if (p.startsWith('/web/')) asset = getAssets().web.get(p.slice('/web/'.length));
  else if (p.startsWith('/vendor/maplibre-gl/')) asset = getAssets().vendor.get(p.slice('/vendor/maplibre-gl/'.length));
  else return false;
  if (!asset) return false;
  serve(req, res, asset);
  return true;
};
