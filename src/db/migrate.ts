// Applies prisma/migrations/*/migration.sql in order, recording them in Prisma's `_prisma_migrations` table
// (same columns and sha256 checksums as `prisma migrate deploy`), so either tool sees the same history.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';
import { sql } from './sql.js';

export const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../prisma/migrations');

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
);`;

export async function migrate(db: Db, dir = migrationsDir): Promise<string[]> {
  await db.execScript(MIGRATIONS_TABLE);
  const done = new Map(
    (await db.query<{ migration_name: string; checksum: string }>(
      sql`SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    )).map((r) => [r.migration_name, r.checksum]),
  );
  const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const applied: string[] = [];
  for (const name of names) {
    const script = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
    const checksum = createHash('sha256').update(script).digest('hex');
    const previous = done.get(name);
    if (previous) {
      if (previous !== checksum) throw new Error(`migration ${name} was modified after it was applied (checksum differs)`);
      continue;
    }
    await db.transaction(async (tx) => {
      const id = randomUUID();
      await tx.query(sql`INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES (${id}, ${checksum}, ${name})`);
      await tx.execScript(script);
      await tx.query(sql`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = ${id}`);
    });
    applied.push(name);
  }
  return applied;
}
