// Builds the offline GraphQL IDE (GraphiQL 5 + React + Monaco and its workers) with esbuild into memory, once per
// install: the files are cached in node_modules/.cache/agglomera-graphiql/<key>, the key hashing the versions of
// the bundled packages, esbuild and the browser entry, so later starts only read them. The same inputs give the same
// bytes (no timestamps, content-hashed asset names). `npm start` warms it after listening; tests build on demand.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset { contentType: string; body: Uint8Array; etag: string }

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ENTRY = path.join(here, 'graphiql-browser.ts');
const OUT = path.join(here, '.graphiql-out'); // esbuild's notional output folder: nothing is written there
const BUNDLED = ['graphiql', '@graphiql/react', 'react', 'react-dom', 'monaco-editor', 'monaco-graphql', 'graphql', 'esbuild'];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const asset = (name: string, body: Uint8Array): Asset => ({
  contentType: TYPES[path.extname(name)] ?? 'application/octet-stream',
  body,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
});

/** Resolves a package that graphiql depends on (it may sit below graphiql's own node_modules). */
function resolveFrom(spec: string): string {
  return require.resolve(spec, { paths: [path.dirname(require.resolve('graphiql')), here] });
}

/** Version of the package `name` as graphiql sees it (package.json found by Node's lookup, "exports" or not). */
function packageVersion(name: string): string {
  const dirs = [...(require.resolve.paths(name) ?? [])];
  dirs.unshift(path.join(path.dirname(path.dirname(require.resolve('graphiql'))), 'node_modules'));
  for (const d of dirs) {
    try { return (require(path.join(d, name, 'package.json')) as { version: string }).version; } catch { /* next */ }
  }
  throw new Error(`package ${name} not found`);
}

/** Bundles the IDE; keys are file names relative to the assets folder (e.g. "graphiql.js", "assets/codicon-….ttf"). */
async function build(): Promise<Map<string, Asset>> {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: {
      graphiql: ENTRY,
      'editor.worker': resolveFrom('monaco-editor/esm/vs/editor/editor.worker.js'),
      'json.worker': resolveFrom('monaco-editor/esm/vs/language/json/json.worker.js'),
      'graphql.worker': resolveFrom('monaco-graphql/esm/graphql.worker.js'),
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    write: false,
    outdir: OUT,
    assetNames: 'assets/[name]-[hash]',
    publicPath: '/graphiql/',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const assets = new Map<string, Asset>();
  for (const f of r.outputFiles) {
    const name = path.relative(OUT, f.path).split(path.sep).join('/');
    assets.set(name, asset(name, f.contents));
  }
  return assets;
}

async function cacheKey(): Promise<string> {
  const h = createHash('sha256');
  for (const name of BUNDLED) h.update(`${name}@${packageVersion(name)}\n`);
  h.update(await readFile(ENTRY));
  h.update(await readFile(fileURLToPath(import.meta.url))); // the build options
  return h.digest('hex').slice(0, 16);
}

async function readCache(dir: string): Promise<Map<string, Asset> | undefined> {
  try {
    const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile())
      .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'));
    if (!names.includes('graphiql.js')) return undefined;
    const assets = new Map<string, Asset>();
    for (const name of names.sort()) assets.set(name, asset(name, await readFile(path.join(dir, name))));
    return assets;
  } catch { return undefined; }
}

async function writeCache(dir: string, assets: Map<string, Asset>): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    for (const [name, a] of assets) {
      await mkdir(path.dirname(path.join(tmp, name)), { recursive: true });
      await writeFile(path.join(tmp, name), a.body);
    }
    await rename(tmp, dir); // atomic: a concurrent reader sees all files or none
  } catch {
    await rm(tmp, { recursive: true, force: true }); // read-only install or a concurrent writer: memory is enough
  }
}

async function load(): Promise<Map<string, Asset>> {
  const dir = path.join(path.dirname(path.dirname(require.resolve('esbuild/package.json'))), '.cache', 'agglomera-graphiql', await cacheKey());
  const cached = await readCache(dir);
  if (cached) return cached;
  const assets = await build();
  await writeCache(dir, assets);
  return assets;
}

let built: Promise<Map<string, Asset>> | undefined;

/** The bundled IDE files (read from the cache or built on first call; a failed build is retried on the next call). */
export function graphiqlAssets(): Promise<Map<string, Asset>> {
  built ??= load().catch((e) => { built = undefined; throw e; });
  return built;
}
