// A fresh, empty store (no demo: AGGLOMERA_LOAD_DEMO=false semantics) for import tests: embedded in memory, or on
// PostgreSQL a database of its own beside DATABASE_URL's (`<name>_<suffix>`), dropped and recreated.
import pg from 'pg';
import { openStore } from '../../src/app.js';
import type { Db } from '../../src/db/db.js';

async function admin(sqlText: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try { for (const q of sqlText) await c.query(q); } finally { await c.end(); }
}

const nameOf = (suffix: string) => `${new URL(process.env.DATABASE_URL!).pathname.slice(1)}_${suffix}`;

export async function freshDatabaseUrl(suffix: string): Promise<string | undefined> {
  if (!process.env.DATABASE_URL) return undefined;
  const url = new URL(process.env.DATABASE_URL);
  const name = nameOf(suffix);
  await admin([`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`, `CREATE DATABASE "${name}"`]);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the database freshDatabaseUrl(suffix) made (nothing on the embedded engine). */
export async function dropFreshDatabase(suffix: string): Promise<void> {
  if (process.env.DATABASE_URL) await admin([`DROP DATABASE IF EXISTS "${nameOf(suffix)}" WITH (FORCE)`]);
}

export async function freshStore(suffix: string, dataDir?: string): Promise<Db> {
  return openStore({ databaseUrl: await freshDatabaseUrl(suffix), dataDir, loadDemo: false });
}
