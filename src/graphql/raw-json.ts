// JSON text that is already serialised (precomputed GeoJSON outlines, stored documents) travels through execution
// as a RawJson and is spliced into the response text as is, instead of being parsed and re-serialised.
// stringifyResult() splices; any other JSON.stringify (Apollo, tests, logs) gets the parsed value via toJSON().
import { randomBytes } from 'node:crypto';

// a per-process random nonce (never sent) plus a call counter: no random bytes per response
const NONCE = randomBytes(6).toString('hex');
let calls = 0;
let collector: { texts: string[]; token: string } | null = null;

export class RawJson {
  constructor(readonly text: string) {}
  /** Inside stringifyResult: a placeholder token; elsewhere: the parsed value (correct, just slower). */
  toJSON(): unknown {
    if (collector) return `${collector.token}${collector.texts.push(this.text) - 1}`;
    return JSON.parse(this.text);
  }
}

/** JSON.stringify(value) with every RawJson's text spliced in verbatim. */
export function stringifyResult(value: unknown): string {
  // U+E000 (private use) is never escaped by JSON.stringify; the secret nonce keeps user strings from matching
  const c = { texts: [] as string[], token: `\uE000${NONCE}${++calls}:` };
  const prev = collector;
  collector = c;
  let s: string;
  try { s = JSON.stringify(value); } finally { collector = prev; }
  if (!c.texts.length) return s;
  const re = new RegExp(`"${c.token}(\\d+)"`, 'g');
  return s.replace(re, (_m, i: string) => c.texts[Number(i)]);
}
