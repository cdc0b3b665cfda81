// prisma/schema.prisma documents the tables the SQL migrations create: Prisma's own validator accepts it, and every
// model field maps to a column of the migrated database (and every column to a field).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sql } from '../src/db/sql.js';
import { dbKind, getStore } from './helpers/store.js';

const schema = readFileSync('prisma/schema.prisma', 'utf8');

function models(): Map<string, Set<string>> {
  const names = new Set([...schema.matchAll(/^model (\w+) \{/gm)].map((m) => m[1]));
  const out = new Map<string, Set<string>>();
  for (const m of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const body = m[2];
    const table = /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? m[1];
    const cols = new Set<string>();
    for (const line of body.split('\n')) {
      const f = /^\s+(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!f || line.trim().startsWith('@@') || line.trim().startsWith('//')) continue;
      if (names.has(f[2])) continue; // relation field, no column
      cols.add(/@map\("([^"]+)"\)/.exec(f[5])?.[1] ?? f[1]);
    }
    out.set(table, cols);
  }
  return out;
}

describe('prisma schema', () => {
  it("passes Prisma's validator", () => {
    // validate runs in WebAssembly; the CLI only insists that a schema-engine path exists (it cannot be downloaded here).
    const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
    const r = spawnSync(process.execPath, ['node_modules/prisma/build/index.js', 'validate', '--schema', 'prisma/schema.prisma'], { encoding: 'utf8', env });
    expect(r.stdout + r.stderr).toContain('is valid');
    expect(r.status).toBe(0);
  });

  it(`matches the migrated tables column for column on ${dbKind}`, async () => {
    const { db } = await getStore();
    const expected = models();
    expect(expected.size).toBeGreaterThanOrEqual(7);
    const rows = await db.query<{ table_name: string; column_name: string }>(sql`
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ANY(${[...expected.keys()]}::text[])`);
    const actual = new Map<string, Set<string>>();
    for (const r of rows) (actual.get(r.table_name) ?? actual.set(r.table_name, new Set()).get(r.table_name)!).add(r.column_name);
    for (const [table, cols] of expected) {
      expect([...(actual.get(table) ?? [])].sort(), table).toEqual([...cols].sort());
    }
  });
});
