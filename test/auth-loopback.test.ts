// The loopback role (AGGLOMERA_LOOPBACK_ROLE, default analyst): a caller on this machine without a key may run
// estimates; a network client without a key stays a reader, whatever it puts in its headers. Requests that look
// remote are made for real: over a non-loopback interface address of this machine when it has one, and from
// loopback with proxy, Host (DNS rebinding) and Origin (a foreign web page) headers.
import http from 'node:http';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackAddress, isLoopbackHost, notLocalBecause } from '../src/auth/loopback.js';
import { startHttp, type RunningServer } from '../src/http.js';
import { readLimits, setLimits } from '../src/limits/settings.js';
import { accessLine } from '../src/limits/startup.js';
import { dbKind, getStore } from './helpers/store.js';

const ESTIMATE = '{ estimate(spec: { estimator: "ols", formula: "NQP ~ RTA" }) { nobs coefficients { term } } }';
const PING = '{ dataset { cities } }';

interface Reply { status: number; json: any; text: string }

/** POST /graphql with exactly these headers (node:http: Host and Origin are ours to set), to host:port. */
function post(host: string, port: number, query: string, headers: Record<string, string> = {}, path = '/graphql'): Promise<Reply> {
  const body = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => { text += c; }).on('end', () => {
        let json: any = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode!, json, text });
      });
    });
    req.on('error', reject).end(body);
  });
}

const defaults = readLimits({});
let server: RunningServer;
let port: number;
beforeAll(async () => {
  setLimits(defaults);
  server = await startHttp((await getStore()).db, 0);
  port = Number(new URL(server.origin).port);
});
afterAll(async () => { await server?.stop(); setLimits(defaults); });

const expectEstimate = (r: Reply) => {
  expect(r.json.errors).toBeUndefined();
  expect(r.json.data.estimate.nobs).toBeGreaterThan(1000);
  expect(r.json.data.estimate.coefficients.map((c: any) => c.term)).toEqual(['(Intercept)', 'RTA']);
};
const expectRefused = (r: Reply, needed = 'analyst') => {
  expect(r.status).toBe(401);
  expect(r.json.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', requiredRole: needed });
};

describe('which requests are local', () => {
  it('classifies peer addresses and host names', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['192.0.2.2', '::ffff:192.0.2.2', '10.0.0.1', 'fd00::2', '::', '0.0.0.0', '128.0.0.1', '', undefined]) expect(isLoopbackAddress(a), String(a)).toBe(false);
    for (const h of ['localhost', 'localhost:4000', 'LOCALHOST.', 'app.localhost:8080', '127.0.0.1:4000', '[::1]:4000', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['evil.example', 'evil.example:4000', 'localhost.evil.example', '192.0.2.2:4000', '[fd00::2]:4000', '127.0.0.1.nip.io', '', undefined]) expect(isLoopbackHost(h), String(h)).toBe(false);
  });

  it('needs a loopback peer, no proxy header, a loopback Host and Origin', () => {
    const req = (remoteAddress: string, headers: Record<string, string>) => ({ socket: { remoteAddress }, headers });
    expect(notLocalBecause(req('127.0.0.1', { host: 'localhost:4000' }))).toBeNull();
    expect(notLocalBecause(req('::1', { host: '[::1]:4000', origin: 'http://localhost:4000' }))).toBeNull();
    expect(notLocalBecause(req('192.0.2.2', { host: 'localhost:4000' }))).toBe('peer 192.0.2.2 is not a loopback address');
    for (const h of ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via']) {
      expect(notLocalBecause(req('127.0.0.1', { host: 'localhost', [h]: '127.0.0.1' }))).toBe(`it carries a proxy header (${h})`);
    }
    expect(notLocalBecause(req('127.0.0.1', { host: 'rebound.evil.example:4000' }))).toBe('Host rebound.evil.example:4000 is not a loopback name');
    expect(notLocalBecause(req('127.0.0.1', {}))).toBe('Host (none) is not a loopback name');
    expect(notLocalBecause(req('127.0.0.1', { host: 'localhost', origin: 'https://evil.example' }))).toBe('Origin https://evil.example is not a loopback origin');
    expect(notLocalBecause(req('127.0.0.1', { host: 'localhost', origin: 'null' }))).toBe('Origin null is not a loopback origin');
  });

  it('says the policy at start-up', () => {
    expect(accessLine()).toContain('callers on this machine (loopback, no proxy headers) act as analyst without a key (AGGLOMERA_LOOPBACK_ROLE=analyst');
  });
});

describe(`loopback role over HTTP on ${dbKind}`, () => {
  it('a local caller without a key runs estimates; admin operations still need a key', async () => {
    expectEstimate(await post('127.0.0.1', port, ESTIMATE, { host: `localhost:${port}` }));
    expectEstimate(await post('127.0.0.1', port, ESTIMATE, { host: `127.0.0.1:${port}`, origin: `http://localhost:${port}` })); // the IDE, the map page
    expectRefused(await post('127.0.0.1', port, '{ apiKeys { id } }', { host: `localhost:${port}` }), 'admin');
    const imp = await post('127.0.0.1', port, '{}', { host: `localhost:${port}` }, '/api/import/boundaries?code=ID');
    expect(imp.status).toBe(401);
    expect(imp.text).toContain('import needs an API key with the admin role');
  });

  it('a request that looks remote gets what a network client gets: reads, no estimates', async () => {
    const looksRemote: Record<string, string>[] = [
      { host: `localhost:${port}`, 'x-forwarded-for': '203.0.113.9' }, // relayed by a reverse proxy on this machine
      { host: `localhost:${port}`, forwarded: 'for=203.0.113.9' },
      { host: `rebound.evil.example:${port}` }, // DNS rebinding
      { host: `localhost:${port}`, origin: 'https://evil.example' }, // a foreign page in the local browser
    ];
    for (const headers of looksRemote) {
      expectRefused(await post('127.0.0.1', port, ESTIMATE, headers));
      const read = await post('127.0.0.1', port, PING, headers);
      expect(read.status).toBe(200);
      expect(read.json.data.dataset.cities).toBeGreaterThan(300);
    }
  });

  // The real thing: a connection to one of this machine's non-loopback addresses has a non-loopback peer address.
  const external = Object.values(os.networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
  it.skipIf(!external)(`a client connecting over a network interface (${external ?? 'none on this machine'}) is not local`, async () => {
    expectRefused(await post(external!, port, ESTIMATE, { host: `localhost:${port}` }));
    expect((await post(external!, port, PING, { host: `${external}:${port}` })).json.data.dataset.cities).toBeGreaterThan(300);
  });

  it('AGGLOMERA_LOOPBACK_ROLE=none: local callers are anonymous; with the anonymous role none they need a key for reads too', async () => {
    const { db } = await getStore();
    setLimits({ ...defaults, loopbackRole: null });
    const off = await startHttp(db, 0);
    setLimits({ ...defaults, anonymousRole: null });
    const closed = await startHttp(db, 0);
    try {
      const offPort = Number(new URL(off.origin).port), closedPort = Number(new URL(closed.origin).port);
      expectRefused(await post('127.0.0.1', offPort, ESTIMATE, { host: `localhost:${offPort}` }));
      // anonymous none, loopback analyst: the local user still works without a key; a remote-looking request reads nothing
      expectEstimate(await post('127.0.0.1', closedPort, ESTIMATE, { host: `localhost:${closedPort}` }));
      expectRefused(await post('127.0.0.1', closedPort, PING, { host: `localhost:${closedPort}`, 'x-real-ip': '203.0.113.9' }), 'reader');
    } finally { await off.stop(); await closed.stop(); setLimits(defaults); }
  });
});
