// Builds the GraphQL schema; opens the database (migrated, demo data loaded when empty) through src/db/store.ts.
import 'reflect-metadata';
import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
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

export { openStore } from './db/store.js';

export async function buildGraphQLSchema(): Promise<GraphQLSchema> {
  return withSubscriptions(installDirectResolvers(await buildSchema({ resolvers: [QueryResolver, CityResolver, FirmResolver, SpatialResolver, LocalMoranResolver, ...ANALYSIS_RESOLVERS, ApiKeyResolver, ImportResolver, ...VARIABLE_RESOLVERS, CompositeResolver, FirmQueryResolver, AggregateResolver], validate: false })));
}

