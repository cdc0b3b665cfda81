// The offline GraphQL IDE at /graphql: the page and every file it references load from this server with the right
// content types, programs still get GraphQL at the same URL, and a real browser (playwright-core driving the system's
// Chromium) renders GraphiQL, runs a typed query and shows the answer, sends the Headers tab's headers, and no request
// leaves the origin.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp, type RunningServer } from '../src/http.js';
import { prefersHtml } from '../src/http/graphiql-route.js';
import { dbKind, getStore } from './helpers/store.js';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Chromium (.ci/run) and must run the browser check; elsewhere it runs when Chromium is there.
const runBrowser = existsSync(CHROMIUM) || process.env.CI === 'true';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8'; // Chromium's

describe(`GraphQL IDE on ${dbKind}`, () => {
  let server: RunningServer;
  beforeAll(async () => { server = await startHttp((await getStore()).db, 0); });
  afterAll(async () => { await server?.stop(); });

  it('chooses the IDE only for browsers', () => {
    expect(prefersHtml(HTML)).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    for (const a of [undefined, '', '*/*', 'application/json', 'application/graphql-response+json, application/json;q=0.9',
      'application/json, text/html;q=0.5', 'text/html;q=0, */*', 'text/plain']) expect(prefersHtml(a), String(a)).toBe(false);
  });

  it('serves the page and every file it references from this origin, with their content types', async () => {
    const page = await fetch(server.url, { headers: { accept: HTML } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('<div id="graphiql">');
    const refs = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]).filter((r) => !r.startsWith('data:'));
    expect(refs.sort()).toEqual(['/graphiql/graphiql.css', '/graphiql/graphiql.js']);
    expect(html).not.toMatch(/https?:\/\//);

    const get = async (p: string, headers: Record<string, string> = {}) => {
      const r = await fetch(new URL(p, server.origin), { headers });
      return { status: r.status, type: r.headers.get('content-type'), etag: r.headers.get('etag'), text: await r.text() };
    };
    const js = await get('/graphiql/graphiql.js');
    expect(js.status).toBe(200);
    expect(js.type).toBe('text/javascript; charset=utf-8');
    expect(js.text.length).toBeGreaterThan(1_000_000); // React + GraphiQL + Monaco
    const css = await get('/graphiql/graphiql.css');
    expect(css.status).toBe(200);
    expect(css.type).toBe('text/css; charset=utf-8');
    // the CSS's own files (fonts): every url() is inline data or a file of ours
    const urls = [...css.text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map((m) => m[1]).filter((u) => !u.startsWith('data:'));
    expect(urls.length).toBeGreaterThan(0);
    for (const u of new Set(urls)) {
      expect(u).toMatch(/^\/graphiql\/assets\//);
      const f = await fetch(new URL(u, server.origin));
      expect(f.status, u).toBe(200);
      expect(f.headers.get('content-type'), u).toMatch(/^font\//);
    }
    // the Monaco workers the script starts by name
    for (const w of ['editor.worker.js', 'json.worker.js', 'graphql.worker.js']) {
      expect(js.text).toContain(w);
      const r = await get(`/graphiql/${w}`);
      expect(r.status, w).toBe(200);
      expect(r.type, w).toBe('text/javascript; charset=utf-8');
    }
    // revalidation, compression, unknown files
    expect((await fetch(new URL('/graphiql/graphiql.css', server.origin), { headers: { 'if-none-match': css.etag! } })).status).toBe(304);
    const gz = await fetch(new URL('/graphiql/graphiql.js', server.origin), { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(await gz.text()).toBe(js.text); // fetch inflates it
    expect((await get('/graphiql/nothing.js')).status).toBe(404);
    expect((await get('/graphiql/../package.json')).status).toBe(404);
    expect((await get('/graphiql/%E0%A4%A')).status).toBe(404); // malformed escape
  });

  it('still answers programs at the same URL', async () => {
    const query = '{ dataset { synthetic } }';
    const post = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    expect(post.status).toBe(200);
    expect(await post.json()).toEqual({ data: { dataset: { synthetic: true } } });
    const get = await fetch(`${server.url}?query=${encodeURIComponent(query)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(get.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await get.json()).toEqual({ data: { dataset: { synthetic: true } } });
  });

  it.runIf(runBrowser)('renders in Chromium, runs { dataset { synthetic } } and shows the answer, all from this origin', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking'] });
    try {
      const context = await browser.newContext();
      const requests: string[] = [];
      const foreign: string[] = [];
      const problems: string[] = [];
      // every request of the page and its workers passes here; anything not for this server is recorded and refused
      await context.route('**/*', (route) => {
        const u = route.request().url();
        requests.push(`${route.request().method()} ${u}`);
        if (new URL(u).origin !== server.origin) { foreign.push(u); return route.abort(); }
        return route.continue();
      });
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) problems.push(`console: ${m.text()}`); });
      page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });

      await page.goto(server.url, { waitUntil: 'load' });
      const text = async (l: typeof editor) => (await l.innerText()).replace(/\u00a0/g, ' '); // Monaco renders nbsp
      const editor = page.locator('.graphiql-query-editor .monaco-editor .view-lines');
      await editor.waitFor({ timeout: 90_000 });
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText('{ dataset { synthetic } }');
      await expect.poll(() => text(editor)).toBe('{ dataset { synthetic } }');

      const answered = page.waitForResponse((r) => r.url() === server.url && r.request().method() === 'POST'
        && (r.request().postData() ?? '').includes('synthetic'));
      await page.click('.graphiql-execute-button');
      const response = await answered;
      expect(response.status()).toBe(200);
      expect(await response.json()).toEqual({ data: { dataset: { synthetic: true } } });
      const shown = page.locator('.graphiql-response .view-lines');
      await expect.poll(() => text(shown), { timeout: 30_000 }).toMatch(/"synthetic":\s*true/);
      expect(JSON.parse(await text(shown))).toEqual({ data: { dataset: { synthetic: true } } });

      // headers typed in the Headers tab (e.g. an API key) go with the request
      await page.getByText('Headers', { exact: true }).click();
      await page.locator('.graphiql-editor-tool .view-lines').last().click();
      await page.keyboard.insertText('{"x-agglomera-test": "from the IDE"}');
      const withHeader = page.waitForRequest((r) => r.url() === server.url && r.method() === 'POST');
      await page.click('.graphiql-execute-button');
      expect((await withHeader).headers()['x-agglomera-test']).toBe('from the IDE');

      expect(foreign).toEqual([]);
      for (const f of ['graphiql.js', 'graphiql.css', 'graphql.worker.js']) expect(requests.some((r) => r.endsWith(`/graphiql/${f}`)), f).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);
});
