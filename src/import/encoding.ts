// Text encodings of CSV files. Chinese-locale spreadsheets write GB18030 / GBK, everything else UTF-8 (with or
// without a BOM). Detection, streamed: ASCII passes through while undecided (it reads the same in both); the first
// 64 KB from the first non-ASCII byte decide — valid UTF-8 there means UTF-8, otherwise GB18030 (a superset of GBK
// and GB2312). A forced --encoding is any name iconv-lite knows.
import iconv from 'iconv-lite';

export class EncodingError extends Error {}

const WINDOW = 64 * 1024;

/** True when `b` is valid UTF-8, allowing a sequence cut off at the very end (more bytes follow). */
export function looksUtf8(b: Buffer, complete: boolean): boolean {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (!len) return false;
    if (i + len > b.length) {
      if (complete) return false;
      for (let k = i + 1; k < b.length; k++) if ((b[k] & 0xc0) !== 0x80) return false;
      return true;
    }
    for (let k = 1; k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) return false;
    // overlongs and surrogates
    if (len === 3 && ((c === 0xe0 && b[i + 1] < 0xa0) || (c === 0xed && b[i + 1] >= 0xa0))) return false;
    if (len === 4 && ((c === 0xf0 && b[i + 1] < 0x90) || (c === 0xf4 && b[i + 1] >= 0x90))) return false;
    i += len;
  }
  return true;
}

/** The canonical name of an encoding given by a user, or an EncodingError. */
export function checkEncoding(name: string): string {
  const n = name.trim().toLowerCase().replace(/^utf-?8$/, 'utf8');
  if (!iconv.encodingExists(n)) throw new EncodingError(`unknown encoding '${name}' (e.g. utf8, gb18030, gbk, big5, latin1, utf16le)`);
  return n;
}

interface Decoder { write(b: Buffer): string; end(): string | undefined }

function decoderFor(enc: string): Decoder {
  if (enc === 'utf8') {
    // strict: invalid bytes in a file read as UTF-8 are an error, never U+FFFD
    const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
    let offset = 0;
    const wrap = (f: () => string, n: number) => {
      try { const s = f(); offset += n; return s; } catch {
        throw new EncodingError(`the file is not valid UTF-8 (near byte ${offset}); give its encoding, e.g. --encoding gb18030`);
      }
    };
    return { write: (b) => wrap(() => td.decode(b, { stream: true }), b.length), end: () => wrap(() => td.decode(), 0) };
  }
  const d = iconv.getDecoder(enc, { stripBOM: true });
  return { write: (b) => d.write(b), end: () => d.end() };
}

/** What the reader used, for the report. */
export interface Decoded { encoding: string; detected: boolean }

/**
 * Decodes a byte stream to text chunks: `forced` (an iconv-lite name) or detected (BOMs: UTF-8, UTF-16 LE/BE;
 * else UTF-8 when the first 64 KB of non-ASCII text is valid UTF-8, else GB18030). `info.encoding` is set once known.
 */
export async function* decodeText(body: AsyncIterable<Buffer> | Iterable<Buffer>, forced: string | undefined, info: Partial<Decoded> = {}): AsyncGenerator<string> {
  let dec: Decoder | null = null;
  if (forced) { const e = checkEncoding(forced); dec = decoderFor(e); Object.assign(info, { encoding: e, detected: false }); }
  let pending: Buffer = Buffer.alloc(0);
  let first = true;
  const decide = (complete: boolean) => {
    let enc = 'gb18030';
    if (pending.length >= 3 && pending[0] === 0xef && pending[1] === 0xbb && pending[2] === 0xbf) enc = 'utf8';
    else if (pending.length >= 2 && pending[0] === 0xff && pending[1] === 0xfe) enc = 'utf16le';
    else if (pending.length >= 2 && pending[0] === 0xfe && pending[1] === 0xff) enc = 'utf16be';
    else if (looksUtf8(pending, complete)) enc = 'utf8';
    Object.assign(info, { encoding: enc, detected: true });
    return decoderFor(enc);
  };
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (dec) { const s = dec.write(b); if (s) yield stripBom(s, first); first = false; continue; }
    pending = pending.length ? Buffer.concat([pending, b]) : b;
    const bomLike = first && pending.length >= 2 && (pending[0] === 0xef || pending[0] === 0xff || pending[0] === 0xfe);
    if (!bomLike) {
      // ASCII before the first non-ASCII byte reads the same whatever the encoding turns out to be
      let i = 0;
      while (i < pending.length && pending[i] < 0x80) i++;
      if (i > 0) { yield pending.subarray(0, i).toString('latin1'); first = false; pending = pending.subarray(i); }
    }
    if (pending.length >= WINDOW) {
      dec = decide(false);
      const s = dec.write(pending);
      pending = Buffer.alloc(0);
      if (s) yield stripBom(s, first);
      first = false;
    }
  }
  if (!dec) {
    dec = pending.length ? decide(true) : decoderFor('utf8');
    if (!info.encoding) Object.assign(info, { encoding: 'utf8', detected: true });
    const s = pending.length ? dec.write(pending) : '';
    if (s) yield stripBom(s, first);
  }
  const tail = dec.end();
  if (tail) yield tail;
}

const stripBom = (s: string, first: boolean) => (first && s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);
