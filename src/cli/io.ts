// Where a CLI command writes and which store it uses. A command may run in its own process (the usual case) or inside
// the running server on behalf of a CLI process (the local admin channel of the embedded store, where two processes
// must never open one folder). Commands therefore never touch process.stdout / process.stderr or open the store
// themselves: they write through cliOut / cliErr and get the store from openCliStore, which consult the context of
// the call (AsyncLocalStorage) and fall back to this process's streams and the configured store.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from '../db/db.js';
import type { Holder } from '../db/lock.js';

export interface CliContext {
  out(s: string): void;
  err(s: string): void;
  /** stderr is a terminal (progress bars rewrite themselves) */
  errIsTTY: boolean;
  /** the store this call must use (the server's own handle); closing it is the owner's business */
  db?: Db;
  /** working directory of the calling process: relative paths in arguments resolve against it */
  cwd?: string;
  /** a CLI process (src/cli/run.ts): a store held by a running server makes openCliStore throw ForwardToServer, and
   *  the command is then run again, whole, inside that server */
  forwardable?: boolean;
  /** called once the command has its own store (the CLI process shows output held back until then) */
  storeOpened?(): void;
}

/** The embedded store is held by a running server: the command must run inside it (src/cli/channel.ts). */
export class ForwardToServer extends Error {
  constructor(readonly dataDir: string, readonly holder: Holder) { super(`the store in ${dataDir} is held by the server pid ${holder.pid}`); }
}

const ctx = new AsyncLocalStorage<CliContext>();

/** Runs fn with the given context (the server's side of the local channel; tests). */
export const withCliContext = <T>(c: CliContext, fn: () => Promise<T>): Promise<T> => ctx.run(c, fn);

export const cliContext = (): CliContext | undefined => ctx.getStore();

/** Writes a line (or text ending in a newline) to the command's stdout. */
export function cliOut(s: string): void {
  const c = ctx.getStore();
  if (c) c.out(s);
  else process.stdout.write(s);
}

/** Writes to the command's stderr (progress, diagnostics). */
export function cliErr(s: string): void {
  const c = ctx.getStore();
  if (c) c.err(s);
  else process.stderr.write(s);
}

export const cliErrIsTTY = (): boolean => ctx.getStore()?.errIsTTY ?? Boolean(process.stderr.isTTY);

/** A path argument resolved against the caller's working directory. */
export async function cliPath(p: string): Promise<string> {
  const { resolve } = await import('node:path');
  return resolve(ctx.getStore()?.cwd ?? process.cwd(), p);
}

/**
 * The store a command works on: the server's handle when the command runs inside the server (its close() does
 * nothing), otherwise the configured store (DATABASE_URL or the embedded folder), migrated; `loadDemo` as openStore.
 * In a CLI process, an embedded folder held by a running server throws ForwardToServer (run.ts hands the command to
 * the server); held by any other process, StoreInUseError naming it. While a server is still opening the store, this
 * waits for its channel.
 */
export async function openCliStore(opts: { loadDemo?: boolean; log?: (m: string) => void } = {}): Promise<Db> {
  const c = ctx.getStore();
  if (c?.db) return Object.assign(Object.create(c.db) as Db, { close: async () => undefined });
  const { readConfig } = await import('../config.js');
  const cfg = readConfig();
  const { liveHolder, StoreInUseError, describeHolder } = await import('../db/lock.js');
  let told = false;
  for (;;) {
    if (!cfg.databaseUrl && c?.forwardable) {
      const h = await liveHolder(cfg.dataDir);
      if (h?.socket) throw new ForwardToServer(cfg.dataDir, h);
      if (h?.server) {
        // the server is opening the store (migrations, demo data); its channel comes right after
        if (!told) process.stderr.write(`agglomera: waiting for the server ${describeHolder(h)} to open (or let go of) the store in ${cfg.dataDir}\n`);
        told = true;
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      if (h) throw new StoreInUseError(cfg.dataDir, h); // another CLI process: refuse at once
    }
    try {
      const { openStore } = await import('../db/store.js');
      const db = await openStore({ ...cfg, ...(opts.loadDemo === false ? { loadDemo: false } : {}), log: opts.log });
      c?.storeOpened?.();
      return db;
    } catch (e) {
      // a server took the folder between the look and the open: go through it
      if (e instanceof StoreInUseError && c?.forwardable && e.holder.server) continue;
      throw e;
    }
  }
}
