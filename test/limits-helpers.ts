// HTTP helpers for the limits and auth tests: a server on the shared test store, JSON posts, raw (chunked) posts.
import http from 'node:http';
import type { RunningServer } from '../src/http.js';

export interface Reply { status: number; headers: Headers; text: string; json: any }

export async function post(server: RunningServer, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json };
}

export const query = (server: RunningServer, q: string, headers: Record<string, string> = {}, variables?: Record<string, unknown>) =>
  post(server, { query: q, variables }, headers);

export async function get(server: RunningServer, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const r = await fetch(server.origin + path, { headers });
  const text = await r.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json };
}

/** Posts `total` bytes in chunks without a Content-Length (Transfer-Encoding: chunked). */
export function postChunked(server: RunningServer, chunk: string, count: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let status = 0, text = '';
    const req = http.request(server.url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      status = res.statusCode!;
      res.setEncoding('utf8').on('data', (c) => { text += c; }).on('end', () => resolve({ status, text }));
    });
    // The server may close the connection after refusing: an error after the answer is expected.
    req.on('error', (e) => (status ? resolve({ status, text }) : reject(e)));
    let i = 0;
    const write = () => {
      while (i < count) {
        i++;
        if (!req.write(chunk)) { req.once('drain', write); return; }
      }
      req.end();
    };
    write();
  });
}

/** The cheapest read: proves the server answers. */
export const PING = '{ dataset { cities } }';
