// The Subscription root: jobUpdated(id) (status and progress as they change, the result when done) and dataChanged
// (the new data version after a write). The store is the source of truth — jobs may run in worker threads or other
// processes (BullMQ) — so both are read from it: one shared data-version poller per store, one poll per followed job.
// Added to the built schema with graphql-js (type-graphql's @Subscription insists on a pub/sub engine we don't need).
import {
  GraphQLID, GraphQLInt, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLFieldConfigMap,
} from 'graphql';
import { requireRole } from '../auth/roles.js';
import type { Db } from '../db/db.js';
import { dataVersion } from '../db/queries/domain.js';
import { jobManager } from '../jobs/manager.js';
import { toJob } from '../resolvers/analysis.js';
import { badInput } from '../resolvers/errors.js';
import type { Context } from '../resolvers/loaders.js';

const JOB_POLL_MS = Number(process.env.AGGLOMERA_SUBSCRIPTION_POLL_MS ?? 250);
const VERSION_POLL_MS = Number(process.env.AGGLOMERA_SUBSCRIPTION_POLL_MS ?? 500);
const TERMINAL = new Set(['DONE', 'FAILED', 'CANCELLED']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Yields the job each time its status or progress moves, starting with its current state; ends when it is over. */
async function* followJob(db: Db, id: string): AsyncGenerator<{ jobUpdated: unknown }> {
  const m = jobManager(db);
  let last = '';
  for (;;) {
    const j = await m.get(id);
    if (!j) throw badInput('id', `no job with id ${id}`);
    const key = `${j.status}|${j.progress}`;
    if (key !== last) { last = key; yield { jobUpdated: toJob(j) }; }
    if (TERMINAL.has(j.status)) return;
    await sleep(JOB_POLL_MS);
  }
}

// one poller per store, shared by every dataChanged subscriber of it
const watchers = new WeakMap<Db, { version: number; listeners: Set<(v: number) => void>; timer?: NodeJS.Timeout }>();

function watchVersion(db: Db, onChange: (v: number) => void): () => void {
  let w = watchers.get(db);
  if (!w) watchers.set(db, (w = { version: -1, listeners: new Set() }));
  const ww = w;
  ww.listeners.add(onChange);
  if (!ww.timer) {
    const bg = db.background();
    const tick = async () => {
      try {
        const v = await dataVersion(bg);
        if (ww.version !== -1 && v !== ww.version) for (const l of ww.listeners) l(v);
        ww.version = v;
      } catch { /* the database is away for a moment: try again at the next tick */ }
      if (ww.listeners.size) ww.timer = setTimeout(tick, VERSION_POLL_MS);
      else ww.timer = undefined;
    };
    ww.timer = setTimeout(tick, 0);
  }
  return () => { ww.listeners.delete(onChange); };
}

/** Yields { version } each time the data version moves (an import, a composite, a reclassification). */
async function* dataChanges(db: Db): AsyncGenerator<{ dataChanged: { version: number; at: string } }> {
  const queue: number[] = [];
  let wake: (() => void) | undefined;
  const stop = watchVersion(db, (v) => { queue.push(v); wake?.(); });
  try {
    for (;;) {
      while (queue.length) yield { dataChanged: { version: queue.shift()!, at: new Date().toISOString() } };
      await new Promise<void>((r) => { wake = r; });
      wake = undefined;
    }
  } finally {
    stop();
  }
}

/** The schema with the Subscription root added (Job is the schema's own type). */
export function withSubscriptions(schema: GraphQLSchema): GraphQLSchema {
  const job = schema.getType('Job') as GraphQLObjectType;
  const dataChange = new GraphQLObjectType({
    name: 'DataChange',
    description: 'The store changed: its new data version (caches keyed by the old one are stale).',
    fields: { version: { type: new GraphQLNonNull(GraphQLInt) }, at: { type: new GraphQLNonNull(GraphQLString), description: 'when this server saw it (ISO 8601)' } },
  });
  const fields: GraphQLFieldConfigMap<unknown, Context> = {
    jobUpdated: {
      type: new GraphQLNonNull(job),
      description: 'A background estimate as it moves (status, progress), ending with its result or error; analyst role.',
      args: { id: { type: new GraphQLNonNull(GraphQLID) } },
      subscribe: (_s, args: { id: string }, ctx: Context) => { requireRole(ctx.principal, 'analyst', 'jobUpdated'); return followJob(ctx.db, args.id); },
    },
    dataChanged: {
      type: new GraphQLNonNull(dataChange),
      description: 'The data version each time it moves; reader role.',
      subscribe: (_s, _a, ctx: Context) => { requireRole(ctx.principal, 'reader', 'dataChanged'); return dataChanges(ctx.db); },
    },
  };
  return new GraphQLSchema({ ...schema.toConfig(), subscription: new GraphQLObjectType({ name: 'Subscription', fields }) });
}
