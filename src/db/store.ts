// Opens the configured store ready for use: migrated, the demo data loaded when empty, read replicas attached. Kept
// apart from the GraphQL schema (src/app.ts) so that commands which only need the store (imports, exports) start
// without loading every resolver.
import { openDb, openReplicaDb, type Db, type DbConfig } from './db.js';
import { routeReads } from './replicas.js';
import { migrate } from './migrate.js';
import { getMeta } from './queries/load.js';
import { fillMissingOutlines } from './queries/outlines.js';

export async function openStore(cfg: DbConfig & { demoSeed?: number; loadDemo?: boolean; log?: (m: string) => void }): Promise<Db> {
  const db = await openDb(cfg);
  try {
    const applied = await migrate(db);
    if (applied.length) cfg.log?.(`applied migrations: ${applied.join(', ')}`);
    // the demo generator (and the boundary data it reads) is loaded only for a store that lacks the data
    if (cfg.loadDemo !== false && (await getMeta(db)).loaded !== 'true') {
      const { ensureDemoData } = await import('./seed.js');
      await ensureDemoData(db, { seed: cfg.demoSeed, log: cfg.log });
    }
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
