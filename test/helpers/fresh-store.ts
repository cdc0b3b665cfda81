// A fresh, empty store (no demo: AGGLOMERA_LOAD_DEMO=false semantics) for import tests: embedded in memory, or on
// PostgreSQL a database of its own beside DATABASE_URL's (`<name>_<suffix>`), dropped and recreated.
import pg from 'pg';
import { openStore } from '../../src/app.js';
import type { Db } from '../../src/db/db.js';

export async function freshDatabaseUrl(suffix: string): Promise<string | undefined> {
  const base = process.env.DATABASE_URL;
  if (!base) return undefined;
  const url = new URL(base);
  const name = `${url.pathname.slice(1)}_${suffix}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally { await admin.end(); }
  url.pathname = `/${name}`;
  return url.toString();
}

export async function freshStore(suffix: string, dataDir?: string): Promise<Db> {
  return openStore({ databaseUrl: await freshDatabaseUrl(suffix), dataDir, loadDemo: false });
}
