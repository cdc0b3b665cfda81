// Readiness: the database answers and every migration in prisma/migrations is applied (and the process is not
// shutting down). Liveness (/health) needs none of that.
import { readdir } from 'node:fs/promises';
import type { Db } from '../db/db.js';
import { migrationsDir } from '../db/migrate.js';
import { sql } from '../db/sql.js';

export interface Readiness { ready: boolean; reason?: string; migrations?: number }

export async function readiness(db: Db, o: { draining?: boolean; dir?: string } = {}): Promise<Readiness> {
  if (o.draining) return { ready: false, reason: 'shutting down' };
  let applied: Set<string>;
  try {
    applied = new Set((await db.query<{ migration_name: string }>(
      sql`SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)).map((r) => r.migration_name));
  } catch (e) {
    return { ready: false, reason: `database unreachable: ${(e as Error).message}` };
  }
  const names = (await readdir(o.dir ?? migrationsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const missing = names.filter((n) => !applied.has(n));
  if (missing.length) return { ready: false, reason: `migrations not applied: ${missing.join(', ')}` };
  return { ready: true, migrations: names.length };
}
