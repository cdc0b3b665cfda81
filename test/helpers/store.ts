// One migrated, demo-loaded store per test run: embedded in-memory PGlite, or DATABASE_URL when set (CI runs both).
import { graphql, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { buildGraphQLSchema, openStore } from '../../src/app.js';
import type { Db } from '../../src/db/db.js';
import { makeContext } from '../../src/resolvers/loaders.js';

let store: Promise<{ db: Db; schema: GraphQLSchema }> | undefined;

export const dbKind = process.env.DATABASE_URL ? 'postgres' : 'embedded';

export function getStore() {
  store ??= (async () => {
    const db = await openStore({ databaseUrl: process.env.DATABASE_URL || undefined, demoSeed: 20260101 });
    return { db, schema: await buildGraphQLSchema() };
  })();
  return store;
}

/** Runs a query with a fresh per-request context; returns the result and the statements it issued. */
export async function gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>) {
  const { db, schema } = await getStore();
  const before = db.statementCount;
  const result = (await graphql({ schema, source: query, variableValues: variables, contextValue: makeContext(db) })) as ExecutionResult<T>;
  return { ...result, statements: db.statementCount - before };
}
