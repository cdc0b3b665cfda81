// The local admin channel of a server on the embedded store: a Unix socket inside the data folder (mode 0600: only
// the folder's owner reaches it, as PostgreSQL's peer authentication or Docker's socket; no API key). A CLI process
// whose store is held by the server sends its whole command line there; the server runs it with its own store handle
// (runCli under withCliContext) and streams stdout / stderr back, then the exit code. So there is one writer, and
// whatever the command writes (keys, imports, and commands yet to come) is the running server's data at once.
//
// Frames are JSON lines. CLI → server, once: {"t":"run","v":1,"argv":[...],"cwd":"/abs","errIsTTY":false}.
// Server → CLI: {"t":"out","d":"text"} / {"t":"err","d":"text"} ..., then {"t":"exit","code":0}.
// A CLI that goes away (Ctrl-C) does not stop the command: an import is one transaction and finishes (or rolls back)
// in the server, which logs the outcome.
import { chmod, mkdtemp, rm, unlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '../db/db.js';
import { describeHolder, heldLock, liveHolder, type Holder } from '../db/lock.js';

export const SOCKET_NAME = 'agglomera.sock';
const PROTOCOL = 1;
/** sun_path holds 108 bytes on Linux, 104 on macOS, with the terminating NUL */
const MAX_SOCKET_PATH = 100;

type Frame = { t: 'out' | 'err'; d: string } | { t: 'exit'; code: number };
interface RunRequest { t: 'run'; v: number; argv: string[]; cwd: string; errIsTTY?: boolean }

function parseRequest(line: string): RunRequest | string {
  let r: Partial<RunRequest>;
  try { r = JSON.parse(line) as Partial<RunRequest>; } catch { return 'the request is not JSON'; }
  if (r.t !== 'run') return 'expected a "run" request';
  if (r.v !== PROTOCOL) return `this server speaks channel protocol ${PROTOCOL}, the CLI ${String(r.v)}: use the CLI of the server's installation`;
  if (!Array.isArray(r.argv) || r.argv.length > 10_000 || !r.argv.every((a) => typeof a === 'string')) return 'argv must be a list of strings';
  if (typeof r.cwd !== 'string' || !path.isAbsolute(r.cwd)) return 'cwd must be an absolute path';
  return r as RunRequest;
}

export interface AdminChannel {
  /** path of the socket (inside the data folder, or a private folder under the temp dir when that path is too long) */
  readonly socket: string;
  /** commands running now */
  readonly running: number;
  /** Stops accepting, waits up to waitMs for running commands; resolves with how many were still running. */
  close(waitMs: number): Promise<{ left: number }>;
}

export interface ChannelLog {
  info(o: Record<string, unknown>, msg: string): void;
  warn(o: Record<string, unknown>, msg: string): void;
}

/** Listens on `<dataDir>/agglomera.sock` and records it in the folder's lock (which this process must hold). */
export async function startAdminChannel(db: Db, dataDir: string, log: ChannelLog): Promise<AdminChannel> {
  const lock = heldLock(dataDir);
  if (!lock) throw new Error(`the admin channel needs this process to hold the store in ${dataDir}`);
  let socket = path.join(lock.dir, SOCKET_NAME);
  let privateDir: string | undefined;
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    privateDir = await mkdtemp(path.join(os.tmpdir(), 'agglomera-')); // mode 0700
    socket = path.join(privateDir, SOCKET_NAME);
  }
  await unlink(socket).catch(() => undefined); // left by a killed server: we hold the lock, so it is no one's
  const { runCli } = await import('./run.js');
  const { withCliContext } = await import('./io.js');
  const inFlight = new Set<Promise<unknown>>();

  const server = net.createServer((sock) => {
    let buf = '';
    let started = false;
    let gone = false;
    sock.setEncoding('utf8');
    sock.on('error', () => { gone = true; });
    sock.on('close', () => { gone = true; });
    const send = (f: Frame) => { if (!gone && !sock.destroyed) sock.write(`${JSON.stringify(f)}\n`); };
    sock.on('data', (chunk: string) => {
      if (started) return; // one request per connection
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) { if (buf.length > 1 << 20) sock.destroy(); return; }
      started = true;
      const req = parseRequest(buf.slice(0, nl));
      if (typeof req === 'string') {
        send({ t: 'err', d: `agglomera: ${req}\n` });
        send({ t: 'exit', code: 2 });
        sock.end();
        return;
      }
      const cmd = ['agglomera', ...req.argv].join(' ');
      const t0 = Date.now();
      log.info({ argv: req.argv, cwd: req.cwd }, `admin channel: ${cmd}`);
      const run = withCliContext(
        { out: (d) => send({ t: 'out', d }), err: (d) => send({ t: 'err', d }), errIsTTY: Boolean(req.errIsTTY), db, cwd: req.cwd },
        () => runCli(req.argv),
      ).catch((e: unknown) => {
        send({ t: 'err', d: `agglomera: internal error: ${e instanceof Error ? e.stack : String(e)}\n` });
        return 1;
      }).then((code) => {
        log.info({ argv: req.argv, code, ms: Date.now() - t0, clientLeft: gone }, `admin channel: ${cmd} → exit ${code}${gone ? ' (the CLI had gone; the command ran to its end)' : ''}`);
        send({ t: 'exit', code });
        sock.end();
      });
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => { server.off('error', reject); resolve(); });
  });
  await chmod(socket, 0o600);
  await lock.update({ socket });

  return {
    socket,
    get running() { return inFlight.size; },
    async close(waitMs: number) {
      await new Promise<void>((r) => server.close(() => r()));
      if (inFlight.size) {
        log.warn({ running: inFlight.size }, 'admin channel: waiting for running commands');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => { timer = setTimeout(r, waitMs); })]);
        clearTimeout(timer);
      }
      await unlink(socket).catch(() => undefined);
      if (privateDir) await rm(privateDir, { recursive: true, force: true });
      await lock.update({ socket: undefined });
      return { left: inFlight.size };
    },
  };
}

export interface ChannelIo {
  out(s: string): void;
  err(s: string): void;
  /** the caller's stderr is a terminal (progress bars rewrite themselves) */
  errIsTTY?: boolean;
  /** relative paths in argv resolve against this (default: process.cwd()) */
  cwd?: string;
}

/** The server holding `dataDir` has no reachable channel (not running, still starting, another user's). */
export class ChannelUnavailable extends Error {}

/**
 * Runs `agglomera <argv>` inside the server that holds the embedded store in `dataDir`, streaming its output to `io`
 * (default: this process's stdout / stderr) and resolving with its exit code. Throws ChannelUnavailable when no
 * server with a channel holds the folder.
 */
export async function runThroughServer(dataDir: string, argv: string[], io?: ChannelIo, holder?: Holder): Promise<number> {
  const h = holder ?? await liveHolder(dataDir);
  if (!h?.socket) throw new ChannelUnavailable(h ? `the store in ${dataDir} is held by ${describeHolder(h)}, which has no admin channel` : `no server holds the store in ${dataDir}`);
  const own = !io;
  const sink: ChannelIo = io ?? { out: (s) => { process.stdout.write(s); }, err: (s) => { process.stderr.write(s); }, errIsTTY: Boolean(process.stderr.isTTY) };
  const sock = net.createConnection(h.socket);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (e: NodeJS.ErrnoException) => reject(new ChannelUnavailable(e.code === 'EACCES'
      ? `cannot reach the admin channel ${h.socket} of the server ${describeHolder(h)}: permission denied (run as the user who owns ${dataDir})`
      : `cannot reach the admin channel ${h.socket} of the server ${describeHolder(h)}: ${e.code ?? e.message} (is it stopping?)`)));
  });
  sock.write(`${JSON.stringify({ t: 'run', v: PROTOCOL, argv, cwd: path.resolve(sink.cwd ?? process.cwd()), errIsTTY: Boolean(sink.errIsTTY) } satisfies RunRequest)}\n`);
  // Ctrl-C leaves the command to the server (an import is all or nothing there), so say so rather than seem to stop it
  const onInt = () => {
    process.stderr.write(`\nagglomera: interrupted; the server ${describeHolder(h)} runs '${argv.join(' ')}' to its end (an import is one transaction) and logs the outcome\n`);
    process.exit(130);
  };
  if (own) process.once('SIGINT', onInt);
  try {
    return await new Promise<number>((resolve) => {
      let buf = '';
      let code: number | undefined;
      sock.setEncoding('utf8');
      sock.on('data', (chunk: string) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let f: Frame;
          try { f = JSON.parse(line) as Frame; } catch { continue; }
          if (f.t === 'out') sink.out(f.d);
          else if (f.t === 'err') sink.err(f.d);
          else if (f.t === 'exit') code = f.code;
        }
      });
      sock.on('error', () => undefined); // 'close' follows
      sock.on('close', () => {
        if (code === undefined) {
          sink.err(`agglomera: the server ${describeHolder(h)} closed the admin channel before '${argv.join(' ')}' ended (did it stop?)\n`);
          resolve(1);
        } else resolve(code);
      });
    });
  } finally {
    if (own) process.removeListener('SIGINT', onInt);
  }
}
