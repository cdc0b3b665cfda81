// The offline GraphQL IDE: a browser's GET /graphql (Accept prefers text/html) gets GraphiQL's page, and its files are
// served from /graphiql/* (bundled by graphiql-bundle.ts). Programs' GET/POST /graphql fall through to graphql-route.
import type http from 'node:http';
import { gzipSync } from 'node:zlib';
import { graphiqlAssets, type Asset } from './graphiql-bundle.js';
import { send, type Route } from './route.js';

export const GRAPHIQL_ASSETS = '/graphiql/';

/** Only this origin: the IDE can neither load nor send anything elsewhere. Monaco sets inline styles. */
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
  + "worker-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

/** q-value of the best Accept entry matching `type` (exactly, or also through type/* and * /* when `wildcards`). */
function quality(accept: string, type: string, wildcards: boolean): number {
  let best = 0;
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? 1);
    const matches = range === type || (wildcards && (range === `${type.split('/')[0]}/*` || range === '*/*'));
    if (matches && Number.isFinite(q)) best = Math.max(best, q);
  }
  return best;
}

/** A browser navigating: text/html named explicitly and liked at least as much as either GraphQL response type. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = quality(accept, 'text/html', false);
  return html > 0 && html >= quality(accept, 'application/graphql-response+json', true) && html >= quality(accept, 'application/json', true);
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function graphiqlPage(endpoint = '/graphql'): string {
  return `<!doctype html>
<html lang="en" data-endpoint="${escapeAttr(endpoint)}" data-assets="${GRAPHIQL_ASSETS}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Agglomera GraphQL IDE</title>
<link rel="stylesheet" href="${GRAPHIQL_ASSETS}graphiql.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading the GraphQL IDE…</div>
<script type="module" src="${GRAPHIQL_ASSETS}graphiql.js"></script>
</body>
</html>
`;
}

const gzipped = new WeakMap<Asset, Buffer>();

function sendAsset(req: http.IncomingMessage, res: http.ServerResponse, a: Asset) {
  const headers: Record<string, string> = { 'content-type': a.contentType, etag: a.etag, 'cache-control': 'no-cache', vary: 'accept-encoding' };
  if (req.headers['if-none-match'] === a.etag) { res.writeHead(304, headers); res.end(); return; }
  let body: Uint8Array = a.body;
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && a.body.length > 1024 && !a.contentType.startsWith('font/')) {
    if (!gzipped.has(a)) gzipped.set(a, gzipSync(a.body));
    body = gzipped.get(a)!;
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

export const graphiqlRoute: Route = async (req, res, { url }) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (url.pathname === '/graphql') {
    if (!prefersHtml(req.headers.accept)) return false;
    send(res, 200, 'text/html; charset=utf-8', req.method === 'HEAD' ? '' : graphiqlPage(url.pathname), { 'content-security-policy': CSP });
    return true;
  }
  if (!url.pathname.startsWith(GRAPHIQL_ASSETS)) return false;
  const a = (await graphiqlAssets()).get(url.pathname.slice(GRAPHIQL_ASSETS.length)); // names are plain ASCII
  if (!a) { send(res, 404, 'text/plain', 'no such IDE file\n'); return true; }
  sendAsset(req, res, a);
  return true;
};
