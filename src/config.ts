// Settings, read once from the environment. PORT and DATABASE_URL are the two everyone needs.
import path from 'node:path';

export interface Config {
  port: number;
  databaseUrl?: string;
  /** Embedded database folder (ignored when DATABASE_URL is set). */
  dataDir: string;
  /** Seed for the synthetic demo panel. */
  demoSeed: number;
  /** Load demo data into an empty database at start-up. */
  loadDemo: boolean;
  /** PostgreSQL statement_timeout of every pooled connection, ms (AGGLOMERA_STATEMENT_TIMEOUT_MS; 0 = none). */
  statementTimeoutMs: number;
  /** Streaming replicas for reads (DATABASE_REPLICA_URLS, comma-separated; PostgreSQL only). */
  replicaUrls: string[];
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be an integer 0-65535, got "${env.PORT}"`);
  const demoSeed = Number(env.AGGLOMERA_DEMO_SEED ?? 20260101);
  if (!Number.isInteger(demoSeed)) throw new Error(`AGGLOMERA_DEMO_SEED must be an integer, got "${env.AGGLOMERA_DEMO_SEED}"`);
  const statementTimeoutMs = Number(env.AGGLOMERA_STATEMENT_TIMEOUT_MS ?? 60_000);
  if (!Number.isInteger(statementTimeoutMs) || statementTimeoutMs < 0) throw new Error(`AGGLOMERA_STATEMENT_TIMEOUT_MS must be an integer >= 0, got "${env.AGGLOMERA_STATEMENT_TIMEOUT_MS}"`);
  return {
    port,
    statementTimeoutMs,
    databaseUrl: env.DATABASE_URL || undefined,
    replicaUrls: (env.DATABASE_REPLICA_URLS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    dataDir: path.resolve(env.AGGLOMERA_DATA_DIR ?? '.data/pglite'),
    demoSeed,
    loadDemo: (env.AGGLOMERA_LOAD_DEMO ?? 'true') !== 'false',
  };
}
