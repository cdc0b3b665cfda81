// `npm start`: GraphQL on PORT (default 4000) over the embedded database, or DATABASE_URL when set; estimate jobs in
// this process's worker threads, or through the BullMQ queue shared by every process when REDIS_URL is set. With
// AGGLOMERA_RUN_JOBS=false it runs no job at all (it stores and queues them): `agglomera worker` processes do.
// SIGTERM / SIGINT: stop accepting, drain in-flight requests (AGGLOMERA_DRAIN_SECONDS), stop the job workers, close
// the database, exit 0.
import { openStore } from './app.js';
import { startAdminChannel, type AdminChannel } from './cli/channel.js';
import { heldLock, setProcessCommand, StoreInUseError } from './db/lock.js';
import { readConfig } from './config.js';
import { startHttp } from './http.js';
import { accessLine } from './limits/startup.js';
import { graphiqlAssets } from './http/graphiql-bundle.js';
import { jobCounts } from './jobs/jobstore.js';
import { jobManager } from './jobs/manager.js';
import { sharedPool } from './jobs/pool.js';
import { logger } from './ops/log.js';
import { startupBanner } from './ops/banner.js';
import { limits } from './limits/settings.js';
import { setJobSource } from './ops/metrics.js';

const cfg = readConfig();
const drainSeconds = Number(process.env.AGGLOMERA_DRAIN_SECONDS ?? 25);
if (!(drainSeconds >= 0)) throw new Error(`AGGLOMERA_DRAIN_SECONDS must be a number of seconds >= 0, got "${process.env.AGGLOMERA_DRAIN_SECONDS}"`);
const log = (m: string) => logger.info(m);
log(cfg.databaseUrl ? 'database: PostgreSQL from DATABASE_URL' : `database: embedded PGlite + PostGIS in ${cfg.dataDir}`);
// the embedded folder has one writer: this server; CLI commands run inside it over the admin channel (src/cli/channel.ts)
setProcessCommand('agglomera server', { server: true });
const db = await openStore({ ...cfg, log }).catch((e: unknown) => {
  if (!(e instanceof StoreInUseError)) throw e;
  logger.fatal(e.message);
  process.stderr.write(`agglomera: ${e.message}\n`);
  process.exit(2);
});
let channel: AdminChannel | undefined;
if (!cfg.databaseUrl) {
  channel = await startAdminChannel(db, cfg.dataDir, logger);
  log(`admin channel: ${channel.socket} (CLI commands on this store run in this server)`);
}
const jobs = jobManager(db);
await jobs.start(); // with AGGLOMERA_RUN_JOBS=false: only the queue to add to (Redis), no worker, sweep or polling
if (!jobs.runsJobs) {
  if (cfg.databaseUrl) log(`estimate jobs: none run here (AGGLOMERA_RUN_JOBS=false); submitted ones wait for an 'agglomera worker' (${jobs.mode === 'redis' ? 'BullMQ queue' : 'table polling'})`);
  else logger.warn('estimate jobs: none run here (AGGLOMERA_RUN_JOBS=false), and on the embedded database no other process can run them: submitted jobs stay QUEUED until a start without that setting');
}
setJobSource(async () => ({ store: await jobCounts(db), local: jobs.load }));
const server = await startHttp(db, cfg.port);
await heldLock(cfg.dataDir)?.update({ port: Number(new URL(server.url).port) });
log(accessLine());
const banner = startupBanner(cfg, server.origin, limits());
logger.info({ url: server.url, ...banner.fields, jobs: jobs.mode, runJobs: jobs.runsJobs, worker: jobs.worker }, banner.message);
// the IDE's bundle (cached per install) is made ready in the background, so the first browser visit is quick
graphiqlAssets().then(() => log(`GraphQL IDE ready at ${server.url} (open it in a browser)`), (e) => log(`GraphQL IDE unavailable: ${(e as Error).message}`));

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    try {
      const draining = server.drain(drainSeconds * 1000); // closes the listening socket before it returns
      const channelClosing = channel?.close(drainSeconds * 1000); // CLI commands in hand run to their end
      logger.info({ signal: sig }, 'draining: no new connections');
      const d = await draining;
      logger.info(d, d.drained ? 'in-flight requests finished' : `drain wait over: ${d.left} request(s) cut`);
      const c = await channelClosing;
      if (c?.left) logger.warn(c, `drain wait over: ${c.left} CLI command(s) still running`);
      await server.stop();
      await jobs.close();
      await sharedPool().close();
      await db.close();
      logger.info('stopped');
      process.exit(0);
    } catch (e) {
      logger.error({ err: e }, 'shutdown failed');
      process.exit(1);
    }
  });
}
