// Builds the GraphQL schema and opens the database (migrated, demo data loaded when empty).
import 'reflect-metadata';
import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { openDb, openReplicaDb, type Db, type DbConfig } from './db/db.js';
import { routeReads } from './db/replicas.js';
import { migrate } from './db/migrate.js';
import { ensureDemoData } from './db/seed.js';
import { fillMissingOutlines } from './db/queries/outlines.js';
import { CityResolver, FirmResolver, installDirectResolvers } from './resolvers/city.js';
import { QueryResolver } from './resolvers/query.js';
import { LocalMoranResolver, SpatialResolver } from './resolvers/spatial.js';
import { ANALYSIS_RESOLVERS } from './resolvers/analysis.js';
import { ApiKeyResolver } from './auth/resolvers.js';
import { VARIABLE_RESOLVERS } from './resolvers/variables.js';
import { CompositeResolver } from './resolvers/composites.js';
import { ImportResolver } from './resolvers/imports.js';
import { withSubscriptions } from './graphql/subscriptions.js';
import { FirmQueryResolver } from './resolvers/firms.js';
import { AggregateResolver } from './resolvers/aggregates.js';

export async function buildGraphQLSchema(): Promise<GraphQLSchema> {
  return withSubscriptions(installDirectResolvers(await buildSchema({ resolvers: [QueryResolver, CityResolver, FirmResolver, SpatialResolver, LocalMoranResolver, ...ANALYSIS_RESOLVERS, ApiKeyResolver, ImportResolver, ...VARIABLE_RESOLVERS, CompositeResolver, FirmQueryResolver, AggregateResolver], validate: false })));
}

export async function openStore(cfg: DbConfig & { demoSeed?: number; loadDemo?: boolean; log?: (m: string) => void }): Promise<Db> {
  const db = await openDb(cfg);
  try {
    const applied = await migrate(db);
    if (applied.length) cfg.log?.(`applied migrations: ${applied.join(', ')}`);
    if (cfg.loadDemo !== false) await ensureDemoData(db, { seed: cfg.demoSeed, log: cfg.log });
    await fillMissingOutlines(db, cfg.log); // stores loaded before city_outline existed, units imported since
  } catch (e) {
    await db.close().catch(() => undefined); // and so the embedded folder's lock
    throw e;
  }
  // replicas only after migrating and seeding on the primary: a lagging standby must not answer the migrator
  if (cfg.databaseUrl && cfg.replicaUrls?.length) {
    const replicas = cfg.replicaUrls.map((url) => ({ label: replicaLabel(url), db: openReplicaDb(url, cfg) }));
    cfg.log?.(`read replicas: ${replicas.map((r) => r.label).join(', ')}`);
    return routeReads(db, replicas);
  }
  return db;
}

/** host:port/db of a replica URL (no credentials) for logs and metric labels. */
function replicaLabel(url: string): string {
  try { const u = new URL(url); return `${u.hostname}:${u.port || 5432}${u.pathname}`; } catch { return 'replica'; }
}
