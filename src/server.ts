// `npm start`: GraphQL on PORT (default 4000) over the embedded database, or DATABASE_URL when set.
import { openStore } from './app.js';
import { readConfig } from './config.js';
import { startHttp } from './http.js';
import { accessLine } from './limits/startup.js';
import { graphiqlAssets } from './http/graphiql-bundle.js';

const cfg = readConfig();
const log = (m: string) => console.log(`[agglomera] ${m}`);
log(cfg.databaseUrl ? 'database: PostgreSQL from DATABASE_URL' : `database: embedded PGlite + PostGIS in ${cfg.dataDir}`);
const db = await openStore({ ...cfg, log });
const server = await startHttp(db, cfg.port);
log(`GraphQL ready at ${server.url}`);
log(accessLine());
// the IDE's bundle (cached per install) is made ready in the background, so the first browser visit is quick
graphiqlAssets().then(() => log(`GraphQL IDE ready at ${server.url} (open it in a browser)`), (e) => log(`GraphQL IDE unavailable: ${(e as Error).message}`));

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, async () => {
    await server.stop();
    await db.close();
    process.exit(0);
  });
}
