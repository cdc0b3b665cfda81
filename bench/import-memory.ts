// Memory probe of one import (issue 20): RSS, VmHWM, the WebAssembly heap of the embedded database and the JS heap,
// printed at each statement of the import that moved the high-water mark (or grew the WebAssembly heap), through runImport
// on the configured store. Usage: AGGLOMERA_DATA_DIR=<store> npx tsx bench/import-memory.ts firm-years <file.csv>
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
const MB = (n: number) => Math.round(n / 1048576);
const status = () => { const s = readFileSync('/proc/self/status', 'utf8'); const g = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)![1]) * 1024; return { rss: g('VmRSS'), hwm: g('VmHWM') }; };
let pglRef: any;
const wasm = () => pglRef?.mod?.HEAPU8?.byteLength ?? 0;
let lastHwm = 0, lastWasm = 0;
const t0 = performance.now();
function mark(label: string, force = false) {
  const s = status(), m = process.memoryUsage(), w = wasm();
  if (!force && s.hwm - lastHwm < 8 << 20 && w === lastWasm) return;
  lastHwm = s.hwm; lastWasm = w;
  console.log(`${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s rss=${MB(s.rss)} hwm=${MB(s.hwm)} wasm=${MB(w)} jsHeap=${MB(m.heapUsed)}/${MB(m.heapTotal)} ext=${MB(m.external)} ab=${MB(m.arrayBuffers)}  ${label}`);
}
mark('start', true);
const [kind, file] = process.argv.slice(2);
const { readConfig } = await import('../src/config.js');
const { openStore } = await import('../src/app.js');
const { sql } = await import('../src/db/sql.js');
const db: any = await openStore({ ...readConfig() });
mark('store open (migrations, demo check)', true);
pglRef = db.pgl ?? db.primary?.pgl;
mark('store open (wasm known)', true);
for (const k of ['query', 'exec']) {
  const orig = pglRef[k].bind(pglRef);
  pglRef[k] = async (...a: any[]) => { const label = String(a[0]).replace(/\s+/g, ' ').slice(0, 110); mark(`before: ${label}`); const r = await orig(...a); mark(`after: ${label}`); return r; };
}
const settings = await db.query(sql([`SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers','work_mem','maintenance_work_mem','temp_buffers','wal_buffers','effective_cache_size','max_connections')`])).catch(() => null);
if (settings) console.log(JSON.stringify(settings));
const { runImport } = await import('../src/import/core.js');
const r = await runImport(db, kind as any, { fileName: path.basename(file), body: createReadStream(file, { highWaterMark: 1 << 20 }) }, {}, () => mark('progress'), { via: 'cli' });
mark('import done', true);
console.log(r.status, r.rowsRead, JSON.stringify(r.counts), r.derived);
await db.close();
mark('closed', true);
console.log(`maxRSS(resourceUsage)=${MB(process.resourceUsage().maxRSS * 1024)} MB total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
