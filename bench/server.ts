// Starts `src/server.ts` as a child process for load and fault scripts; resolves when GraphQL answers.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ServerProc { url: string; origin: string; child: ChildProcess; log: string[]; stop(signal?: NodeJS.Signals): Promise<number | null> }

export interface ServerOptions {
  port: number; databaseUrl?: string; dataDir?: string; env?: Record<string, string>;
  /** modules loaded before the server (`node --import …`, e.g. bench/peers-count.mjs); the server then runs under `--import tsx` */
  preload?: string[];
  /** another TypeScript entry point than src/server.ts (e.g. bench/peers-postgraphile.ts) */
  script?: string;
  /** open an IPC channel (child.send / 'message') */
  ipc?: boolean;
  /** query whose 2xx answer means ready (default: `{ dataset { synthetic } }`) */
  probe?: string;
}

export async function startServer(opts: ServerOptions): Promise<ServerProc> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(opts.port), ...opts.env };
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl; else delete env.DATABASE_URL;
  if (opts.dataDir) env.AGGLOMERA_DATA_DIR = opts.dataDir;
  const script = opts.script ?? 'src/server.ts';
  // tsx's CLI runs the script in a child process of its own; `--import tsx` keeps it in this one (preloads, IPC)
  const args = opts.preload || opts.ipc ? ['--import', 'tsx', ...(opts.preload ?? []).flatMap((m) => ['--import', m]), script]
    : ['node_modules/tsx/dist/cli.mjs', script];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc ? ['ipc' as const] : [])] });
  const log: string[] = [];
  const keep = (b: Buffer) => { for (const l of b.toString().split('\n')) if (l) { log.push(l); if (log.length > 400) log.shift(); } };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const origin = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log.slice(-20).join('\n')}`);
    try {
      const r = await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: opts.probe ?? '{ dataset { synthetic } }' }) });
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error('server did not answer within 300 s'); }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url: `${origin}/graphql`, origin, child, log,
    stop(signal = 'SIGTERM') {
      return new Promise((resolve) => {
        if (child.exitCode !== null) { resolve(child.exitCode); return; }
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      });
    },
  };
}

export async function postQuery(url: string, query: string, variables?: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: r.status, body: await r.json() as { data?: any; errors?: { message: string; extensions?: any }[] } };
}
