// Migrations recorded as Prisma records them; imports all-or-nothing; tagged SQL stays parameterised.
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, migrationsDir } from '../src/db/migrate.js';
import { insertCities } from '../src/db/queries/load.js';
import { join, render, sql } from '../src/db/sql.js';
import { dbKind, getStore } from './helpers/store.js';

describe('tagged SQL', () => {
  it('turns values into numbered parameters and splices fragments', () => {
    const evil = "x'; DROP TABLE city; --";
    const q = render(sql`SELECT 1 FROM city WHERE ${join([sql`name = ${evil}`, sql`code = ANY(${['1', '2']})`], sql` AND `)} LIMIT ${5}`);
    expect(q.text).toBe('SELECT 1 FROM city WHERE name = $1 AND code = ANY($2) LIMIT $3');
    expect(q.values).toEqual([evil, ['1', '2'], 5]);
  });
});

describe(`store on ${dbKind}`, () => {
  it("records each migration in Prisma's _prisma_migrations with its sha256 checksum, once", async () => {
    const { db } = await getStore();
    const rows = await db.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      sql`SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`);
    const file = await readFile(path.join(migrationsDir, rows[0].migration_name, 'migration.sql'));
    expect(rows[0].checksum).toBe(createHash('sha256').update(file).digest('hex'));
    expect(rows[0].finished_at).not.toBeNull();
    expect(rows[0].applied_steps_count).toBe(1);
    expect(await migrate(db)).toEqual([]);
  });

  it('refuses a migration edited after it was applied', async () => {
    const { db } = await getStore();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agglomera-mig-'));
    await cp(migrationsDir, dir, { recursive: true });
    const [name] = (await db.query<{ migration_name: string }>(sql`SELECT migration_name FROM "_prisma_migrations"`)).map((r) => r.migration_name);
    await writeFile(path.join(dir, name, 'migration.sql'), '-- edited\n', { flag: 'a' });
    await expect(migrate(db, dir)).rejects.toThrow(/modified after it was applied/);
  });

  it('rolls a failed import back completely', async () => {
    const { db } = await getStore();
    const [{ n: before }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city`);
    const square = { type: 'Polygon', coordinates: [[[100, 30], [100.1, 30], [100.1, 30.1], [100, 30.1], [100, 30]]] };
    const rows = [
      { code: '710100', name: '甲', province: '测试', provinceCode: '710000', region: 'East' as const, geometry: square },
      { code: '710200', name: '乙', province: '测试', provinceCode: '710000', region: 'East' as const, geometry: { type: 'Polygon', coordinates: [[[1, 2]]] } },
    ];
    await expect(db.transaction((tx) => insertCities(tx, rows))).rejects.toThrow();
    const [{ n: after }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM city`);
    expect(after).toBe(before);
  });
});
