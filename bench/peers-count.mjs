// Preloaded (`node --import ./bench/peers-count.mjs`) into a server process that bench/peers.ts starts: counts the
// SQL statements the process sends (pg clients, or the embedded PGlite) and reports the count over the IPC channel,
// so the benchmark can print statements per request for a server it does not run in process. Changes nothing else.
let statements = 0;
const wrap = (proto, name) => {
  const original = proto[name];
  proto[name] = function (...args) { statements++; return original.apply(this, args); };
};
if (process.env.DATABASE_URL) {
  const { default: pg } = await import('pg');
  wrap(pg.Client.prototype, 'query');
} else {
  const { PGlite } = await import('@electric-sql/pglite');
  wrap(PGlite.prototype, 'query');
  wrap(PGlite.prototype, 'exec');
}
if (process.send) {
  process.on('message', (m) => { if (m === 'statements?') process.send({ statements }); });
  process.channel?.unref(); // the server's own handles decide when it exits
}
