// OGC API - Features over HTTP: delegates to the framework-free src/ogc (GET and HEAD; CORS open, read-only data).
import { ogcResponse } from '../ogc/features.js';
import { send, type Route } from './route.js';

export const ogcRoute: Route = async (req, res, ctx) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const ogc = await ogcResponse(ctx.db, ctx.url, ctx.origin, req.headers.accept);
  if (!ogc) return false;
  const headers = { 'access-control-allow-origin': '*', vary: 'Accept', ...ogc.headers };
  if (req.method === 'HEAD') { res.writeHead(ogc.status, { 'content-type': ogc.contentType, ...headers }); res.end(); return true; }
  send(res, ogc.status, ogc.contentType, ogc.body, headers);
  return true;
};
