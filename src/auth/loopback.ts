// Is a request from a user of this machine? Such callers get AGGLOMERA_LOOPBACK_ROLE without a key (default analyst),
// so that a newcomer runs every README example against `npm start` without stopping it to make a key.
// A request counts as local only when ALL of these hold; anything doubtful is treated as a network request:
// - the TCP peer is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x): the socket, never a header, says so;
// - it carries no proxy header (Forwarded, X-Forwarded-*, X-Real-IP, Via): a reverse proxy on this machine connects
//   from loopback on behalf of remote clients, so its requests are remote whatever the socket says;
// - its Host names a loopback host (localhost, 127.x, [::1]): a DNS-rebinding page reaches 127.0.0.1 under its own name;
// - its Origin, when present, is a loopback origin too: a web page from elsewhere open in the local browser may send
//   requests to localhost (CORS is open by default), but it is not the local user.
import type http from 'node:http';
import { isIP } from 'node:net';

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'];

/** A loopback IP address as Node reports a socket's peer (IPv4, IPv6, IPv4-mapped IPv6). */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1' || a === '0:0:0:0:0:0:0:1';
}

/** localhost, *.localhost (RFC 6761), or a loopback IP; `host` as in a Host header or URL host (port and [] allowed). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  let h = host.trim().toLowerCase();
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  if (v6) return isLoopbackAddress(v6[1]);
  h = h.replace(/:\d+$/, '').replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackAddress(h);
}

function isLoopbackOrigin(origin: string): boolean {
  try { return isLoopbackHost(new URL(origin).host); } catch { return false; } // "null" (sandboxed, file:) included
}

/** Why a request is not local (for logs and tests), or null when it is. */
export function notLocalBecause(req: Pick<http.IncomingMessage, 'headers'> & { socket: { remoteAddress?: string } }): string | null {
  if (!isLoopbackAddress(req.socket.remoteAddress)) return `peer ${req.socket.remoteAddress ?? '(unknown)'} is not a loopback address`;
  const proxy = PROXY_HEADERS.find((h) => req.headers[h] !== undefined);
  if (proxy) return `it carries a proxy header (${proxy})`;
  if (!isLoopbackHost(req.headers.host)) return `Host ${req.headers.host ?? '(none)'} is not a loopback name`;
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) return `Origin ${origin} is not a loopback origin`;
  return null;
}

export const isLocalRequest = (req: Parameters<typeof notLocalBecause>[0]) => notLocalBecause(req) === null;
