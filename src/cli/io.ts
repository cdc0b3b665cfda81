// Where a CLI command writes and which store it uses. A command may run in its own process (the usual case) or inside
// the running server on behalf of a CLI process (the local admin channel of the embedded store, where two processes
// must never open one folder). Commands therefore never touch process.stdout / process.stderr or open the store
// themselves: they write through cliOut / cliErr and get the store from openCliStore, which consult the context of
// the call (AsyncLocalStorage) and fall back to this process's streams and the configured store.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Db } from '../db/db.js';

export interface CliContext {
  out(s: string): void;
  err(s: string): void;
  /** stderr is a terminal (progress bars rewrite themselves) */
  errIsTTY: boolean;
  /** the store this call must use (the server's own handle); closing it is the owner's business */
  db?: Db;
  /** working directory of the calling process: relative paths in arguments resolve against it */
  cwd?: string;
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
 */
export async function openCliStore(opts: { loadDemo?: boolean; log?: (m: string) => void } = {}): Promise<Db> {
  const c = ctx.getStore();
  if (c?.db) return Object.assign(Object.create(c.db) as Db, { close: async () => undefined });
  const { openStore } = await import('../app.js');
  const { readConfig } = await import('../config.js');
  return openStore({ ...readConfig(), ...(opts.loadDemo === false ? { loadDemo: false } : {}), log: opts.log });
}
