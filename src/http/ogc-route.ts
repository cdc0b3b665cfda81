// OGC API - Features over HTTP: delegates to the framework-free src/ogc (GET and HEAD; CORS open, read-only data;
// compressed by Accept-Encoding).
import { ogcResponse } from '../ogc/features.js';
import type { Route } from './route.js';
import { sendBody } from './compress.js';

export const ogcRoute: Route = async (req, res, ctx) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const ogc = await ogcResponse(ctx.db, ctx.url, ctx.origin, req.headers.accept);
  if (!ogc) return false;
  const headers = { 'access-control-allow-origin': '*', vary: 'Accept', ...ogc.headers };
  sendBody(req, res, ogc.status, { 'content-type': ogc.contentType, ...headers }, ogc.body);
  return true;
};
