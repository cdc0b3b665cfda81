// One writer per embedded store: every process that opens a PGlite folder first takes `<dir>/agglomera.lock`, a file
// that says who holds it (pid, command, since when; a server adds its port and the path of its admin channel).
// Two processes on one folder corrupt it (PGlite aborted on the next start), so this is refused, never waited out.
//
// Why not mtime staleness alone (proper-lockfile): PGlite runs in the main thread and a heavy import can block the
// event loop for longer than any heartbeat period, and a killed holder would then block every start for that period.
// Instead a lock is stale exactly when its holder is gone: same host and (pid not running, or the pid now belongs to
// another process — its start time in /proc differs, or it is this very process without holding the lock: pid 1
// again in a restarted container). Only a holder on another host (a shared volume) falls back to the heartbeat.
//
// Taking: the holder record is written to a temporary file and hard-linked to the lock name (atomic, fails if it
// exists), so a reader never sees half a record. Removing a stale lock happens under `<dir>/agglomera.lock.recover`
// (mkdir), re-checked there, so two starters that both found a dead holder cannot remove each other's fresh lock.
import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const LOCK_NAME = 'agglomera.lock';
const HEARTBEAT_MS = 15_000;
/** A holder on another host whose lock was not touched for this long is gone. */
const FOREIGN_STALE_MS = 120_000;
/** An unreadable record or a recovery left by a process killed in the middle, older than this, is debris. */
const DEBRIS_MS = 10_000;

export interface Holder {
  pid: number;
  host: string;
  /** start time of the process (Linux /proc/<pid>/stat field 22): tells a reused pid from the holder */
  procStart?: string;
  /** ISO time the lock was taken */
  since: string;
  /** what the process is, e.g. "agglomera server" or "agglomera import city-years --file g.csv" */
  command: string;
  /** a server: CLI commands go through its admin channel (and wait for it while the server opens the store) */
  server?: boolean;
  /** a server: its HTTP port */
  port?: number;
  /** a server: the Unix socket of its admin channel (CLI commands run through it) */
  socket?: string;
  /** tells this lock from a later one of the same pid */
  token: string;
}

/** The folder is held by another live process (or by another open handle of this one). */
export class StoreInUseError extends Error {
  readonly code = 'STORE_IN_USE';
  constructor(readonly dir: string, readonly holder: Holder) {
    super(`the store in ${dir} is in use by ${describeHolder(holder)}; wait for it or stop it (kill ${holder.pid}), or use another AGGLOMERA_DATA_DIR`);
  }
}

export function describeHolder(h: Holder): string {
  const what = [h.command, h.port !== undefined ? `port ${h.port}` : undefined].filter(Boolean).join(', ');
  return `pid ${h.pid}${h.host !== os.hostname() ? ` on ${h.host}` : ''} (${what}, since ${h.since.replace(/\.\d+Z$/, 'Z')})`;
}

let processCommand: string | undefined;
let processIsServer = false;
/** What this process is, as holders show it (the CLI sets "agglomera <argv>", the server "agglomera server" and
 *  server: true, so that CLI commands wait for its channel while it opens the store instead of being refused). */
export function setProcessCommand(c: string, opts: { server?: boolean } = {}): void {
  processCommand = c;
  processIsServer = Boolean(opts.server);
}
const defaultCommand = () => [path.basename(process.argv[1] ?? process.argv0), ...process.argv.slice(2)].join(' ').slice(0, 200);

export function procStartOf(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined; // not Linux, or no such process
  }
}

/** Locks this process holds, by lock file (a second open in this process is refused as well). */
const held = new Map<string, StoreLock>();

/** true: the holder runs; false: it is gone; undefined: cannot tell (another host; decide by the heartbeat). */
function holderAlive(h: Holder): boolean | undefined {
  if (h.host !== os.hostname()) return undefined;
  if (h.pid === process.pid) return [...held.values()].some((l) => l.holder.token === h.token);
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false; // EPERM: exists, another user's
  }
  const start = procStartOf(h.pid);
  return !(h.procStart && start && start !== h.procStart);
}

interface Found { holder?: Holder; mtimeMs: number }

async function readLock(file: string): Promise<Found | null> {
  try {
    const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    let holder: Holder | undefined;
    try {
      const h = JSON.parse(text) as Holder;
      if (Number.isInteger(h.pid) && typeof h.token === 'string') holder = h;
    } catch { /* being written without link(2) support, or debris */ }
    return { holder, mtimeMs: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

const isLive = (f: Found) => (f.holder ? (holderAlive(f.holder) ?? Date.now() - f.mtimeMs < FOREIGN_STALE_MS) : Date.now() - f.mtimeMs < DEBRIS_MS);

/** Who holds the folder now, if a live process does (for the CLI: go through a server, or refuse). */
export async function liveHolder(dir: string): Promise<Holder | null> {
  const f = await readLock(path.join(dir, LOCK_NAME));
  return f?.holder && isLive(f) ? f.holder : null;
}

/** Removes a lock judged stale, under the recovery mutex, only if it is still the same stale lock. */
async function removeStale(dir: string, seen: Found): Promise<void> {
  const file = path.join(dir, LOCK_NAME), mutex = `${file}.recover`;
  try {
    await mkdir(mutex);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const st = await stat(mutex).catch(() => null);
    if (st && Date.now() - st.mtimeMs > DEBRIS_MS) await rmdir(mutex).catch(() => undefined); // its owner died in there
    await new Promise((r) => setTimeout(r, 50));
    return;
  }
  try {
    const now = await readLock(file);
    if (now && now.holder?.token === seen.holder?.token && now.mtimeMs === seen.mtimeMs && !isLive(now)) await unlink(file).catch(() => undefined);
  } finally {
    await rmdir(mutex).catch(() => undefined);
  }
}

export class StoreLock {
  private heartbeat?: NodeJS.Timeout;
  private released = false;
  constructor(readonly dir: string, readonly file: string, public holder: Holder) {}

  /** Adds what a server knows later (its port, its channel) to the record. */
  async update(patch: Partial<Pick<Holder, 'port' | 'socket' | 'command' | 'server'>>): Promise<void> {
    if (this.released) return;
    this.holder = { ...this.holder, ...patch };
    const tmp = `${this.file}.${this.holder.token}.tmp`;
    await writeFile(tmp, JSON.stringify(this.holder));
    await rename(tmp, this.file); // atomic replace: readers see the old or the new record
  }

  /** @internal */
  start(): void {
    held.set(this.file, this);
    this.heartbeat = setInterval(() => { const t = new Date(); utimes(this.file, t, t).catch(() => undefined); }, HEARTBEAT_MS);
    this.heartbeat.unref();
    process.once('exit', this.onExit);
  }

  private readonly onExit = () => {
    // synchronous: the process is going; only our own record is removed
    try {
      const h = JSON.parse(readFileSync(this.file, 'utf8')) as Holder;
      if (h.token === this.holder.token) unlinkSync(this.file);
    } catch { /* already gone */ }
  };

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.heartbeat);
    process.removeListener('exit', this.onExit);
    held.delete(this.file);
    const f = await readLock(this.file).catch(() => null);
    if (f?.holder?.token === this.holder.token) await unlink(this.file).catch(() => undefined);
  }
}

/** Takes the folder's lock or throws StoreInUseError naming the live holder; a dead holder's lock is taken over. */
export async function lockStore(dir: string, opts: { command?: string } = {}): Promise<StoreLock> {
  const abs = path.resolve(dir);
  await mkdir(abs, { recursive: true });
  const file = path.join(abs, LOCK_NAME);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const holder: Holder = {
      pid: process.pid, host: os.hostname(), procStart: procStartOf(process.pid), since: new Date().toISOString(),
      command: opts.command ?? processCommand ?? defaultCommand(), token: randomUUID(), ...(processIsServer ? { server: true } : {}),
    };
    const tmp = `${file}.${holder.token}.tmp`;
    await writeFile(tmp, JSON.stringify(holder));
    let taken = false;
    try {
      await link(tmp, file);
      taken = true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
        // a file system without hard links: exclusive create, then the record (readers wait for it, see readLock)
        try {
          await writeFile(file, JSON.stringify(holder), { flag: 'wx' });
          taken = true;
        } catch (e2) { if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw e2; }
      }
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    if (taken) {
      const lock = new StoreLock(abs, file, holder);
      lock.start();
      return lock;
    }
    const found = await readLock(file);
    if (!found) continue; // released meanwhile
    if (isLive(found)) {
      if (found.holder) throw new StoreInUseError(abs, found.holder);
      // a record being written (no link(2)): give it a moment
    } else {
      await removeStale(abs, found);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`cannot take the lock ${file}: it holds no readable record; remove it if no agglomera process uses ${abs}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The lock this process holds on `dir`, if any (the server adds its port and channel to it). */
export function heldLock(dir: string): StoreLock | undefined {
  return held.get(path.join(path.resolve(dir), LOCK_NAME));
}
