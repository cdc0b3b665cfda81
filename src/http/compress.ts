// Response compression by Accept-Encoding (brotli, gzip) for GraphQL, OGC API, tiles and web assets. Bodies are
// compressed synchronously at moderate settings (cheap on the fly); callers that keep an answer (tiles, web assets,
// the response cache) pass its variants object in `kept`, which sendBody fills, so a kept body is never compressed twice. AGGLOMERA_COMPRESSION=false: identity.
import type http from 'node:http';
import zlib from 'node:zlib';
import Negotiator from 'negotiator';
import { limits } from '../limits/settings.js';

export type Encoding = 'br' | 'gzip' | 'identity';

/** Bodies smaller than this go out as they are: the headers and the CPU would cost more than the bytes saved. */
export const MIN_COMPRESS_BYTES = 1024;
const OFFERED: Encoding[] = ['br', 'gzip', 'identity'];

/** The encoding to answer with: q-values honoured, br before gzip at equal q; identity when nothing else is acceptable
 *  (also for `identity;q=0` with no acceptable coding — RFC 9110 allows identity rather than a 406). */
export function negotiateEncoding(acceptEncoding: string | string[] | undefined): Encoding {
  if (acceptEncoding === undefined) return 'identity';
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(', ') : acceptEncoding;
  if (!header.trim()) return 'identity';
  const [best] = new Negotiator({ headers: { 'accept-encoding': header } }).encodings(OFFERED, { preferred: OFFERED });
  return (best as Encoding | undefined) ?? 'identity';
}

/** `body` in `enc`: brotli quality 5 with a size hint, gzip level 6; identity returns `body` itself. */
export function encodeBody(body: Buffer, enc: Encoding): Buffer {
  if (enc === 'br') {
    return zlib.brotliCompressSync(body, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: 5,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    });
  }
  if (enc === 'gzip') return zlib.gzipSync(body, { level: 6 });
  return body;
}

/** Adds Accept-Encoding to a Vary value (case-insensitive, once). */
function withVary(vary: string | undefined): string {
  if (!vary) return 'Accept-Encoding';
  if (vary.split(',').some((v) => { const t = v.trim().toLowerCase(); return t === 'accept-encoding' || t === '*'; })) return vary;
  return `${vary}, Accept-Encoding`;
}

/**
 * Writes a whole response: the encoding picked from the request's Accept-Encoding, the variant from `kept` when it is
 * there (one made here is stored in `kept`), Content-Encoding / Vary / Content-Length set; no compression under MIN_COMPRESS_BYTES, for 204 / 304,
 * or when AGGLOMERA_COMPRESSION=false. HEAD gets the headers of the GET answer and no body.
 */
export function sendBody(
  req: http.IncomingMessage, res: http.ServerResponse, status: number, headers: Record<string, string>,
  body: Buffer | string, kept?: Partial<Record<Encoding, Buffer>>,
): void {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  if (status === 204 || status === 304) {
    delete out['content-length'];
    res.writeHead(status, out);
    res.end();
    return;
  }
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let bytes = raw;
  if (limits().compression) {
    // the answer differs by Accept-Encoding whenever it could be compressed: caches must key on it
    const setVary = res.getHeader('vary');
    out.vary = withVary(out.vary ?? (typeof setVary === 'string' ? setVary : undefined));
    const enc = raw.length >= MIN_COMPRESS_BYTES && !out['content-encoding'] ? negotiateEncoding(req.headers['accept-encoding']) : 'identity';
    if (enc !== 'identity') {
      bytes = kept ? (kept[enc] ??= encodeBody(raw, enc)) : encodeBody(raw, enc);
      out['content-encoding'] = enc;
    }
  }
  out['content-length'] = String(bytes.length);
  res.writeHead(status, out);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}
