import { afterAll, beforeAll } from 'vitest';
import { sql } from '../../src/db/sql.js';
// One migrated, demo-loaded store per test run: embedded in-memory PGlite, or DATABASE_URL when set (CI runs both).
import { graphql, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { buildGraphQLSchema, openStore } from '../../src/app.js';
import type { Db } from '../../src/db/db.js';
import { makeContext } from '../../src/resolvers/loaders.js';
import { stringifyResult } from '../../src/graphql/raw-json.js';
import type { Principal } from '../../src/auth/roles.js';

let store: Promise<{ db: Db; schema: GraphQLSchema }> | undefined;

export const dbKind = process.env.DATABASE_URL ? 'postgres' : 'embedded';

export function getStore() {
  store ??= (async () => {
    const db = await openStore({ databaseUrl: process.env.DATABASE_URL || undefined, demoSeed: 20260101 });
    return { db, schema: await buildGraphQLSchema() };
  })();
  return store;
}

/** In-process tests call as an admin; roles and limits are tested over HTTP (test/auth-*, test/limits-*). */
const TEST_PRINCIPAL: Principal = { role: 'admin', anonymousRole: 'reader', keyName: 'in-process test' };

/**
 * Runs a query with a fresh per-request context; returns the result with `data` as a client receives it (stored
 * GeoJSON travels as RawJson and is spliced into the response text) and the statements it issued. `plan: false`
 * resolves every nested field through its DataLoader (the reference the look-ahead planner is compared with).
 */
export async function gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, principal: Principal = TEST_PRINCIPAL,
  opts: { plan?: boolean } = {}) {
  const { db, schema } = await getStore();
  const before = db.statementCount;
  const result = (await graphql({ schema, source: query, variableValues: variables, contextValue: makeContext(db, { principal, plan: opts.plan }) })) as ExecutionResult<T>;
  const statements = db.statementCount - before;
  const data = result.data ? JSON.parse(stringifyResult(result.data)) as T : result.data;
  return { ...result, data, statements };
}

/**
 * For test files that import into the shared demo store: the store's description (dataset_meta, e.g. `synthetic`)
 * is put back after the file, so files that run later see the demo as the demo (their order is not fixed).
 */
export function keepDatasetMeta(): void {
  let saved: { key: string; value: string }[] = [];
  beforeAll(async () => {
    const { db } = await getStore();
    saved = await db.query<{ key: string; value: string }>(sql`SELECT key, value FROM dataset_meta WHERE key <> 'data_version'`);
  });
  afterAll(async () => {
    const { db } = await getStore();
    await db.transaction(async (tx) => {
      await tx.query(sql`DELETE FROM dataset_meta WHERE key <> 'data_version'`);
      for (const r of saved) await tx.query(sql`INSERT INTO dataset_meta (key, value) VALUES (${r.key}, ${r.value})`);
    });
  });
}
