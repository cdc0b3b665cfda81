// OGC API - Features over HTTP: delegates to the framework-free src/ogc.
import { ogcResponse } from '../ogc/features.js';
import { send, type Route } from './route.js';

export const ogcRoute: Route = async (req, res, ctx) => {
  if (req.method !== 'GET') return false;
  const ogc = await ogcResponse(ctx.db, ctx.url, ctx.origin);
  if (!ogc) return false;
  send(res, ogc.status, ogc.contentType, ogc.body, { 'access-control-allow-origin': '*' });
  return true;
};
