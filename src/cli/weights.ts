// `agglomera weights`: neighbour lists from a GeoJSON file, printed as JSON { id: [neighbour ids] }.
import { readFileSync } from 'node:fs';
import { EstimationInputError } from '../estimation/result.js';
import { weightsFromGeoJSON, type WeightsOptions } from '../estimation/spatial/index.js';
import { cliErr, cliOut, cliPath } from './io.js';

const USAGE = `usage: agglomera weights --geojson FILE --id FIELD --type queen|rook|knn|distance
         [--k N] [--km D] [--band D] [--style W|B] [--snap TOL] [--rook-rule edge|spdep]
         [--longlat | --planar] [--inverse-distance] [--with-weights] --format json`;

class UsageError extends Error {}

function parse(argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  const flags = new Set(['longlat', 'planar', 'inverse-distance', 'with-weights', 'help']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (flags.has(k)) { out[k] = true; continue; }
    const v = inline ?? argv[++i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`--${k} needs a value`);
    out[k] = v;
  }
  return out;
}

const num = (o: Record<string, string | true>, k: string): number | undefined => {
  if (o[k] === undefined) return undefined;
  const v = Number(o[k]);
  if (!Number.isFinite(v)) throw new UsageError(`--${k} must be a number, got "${String(o[k])}"`);
  return v;
};

export async function runWeights(argv: string[]): Promise<number> {
  try {
    const o = parse(argv);
    if (o.help) { cliOut(USAGE + '\n'); return 0; }
    for (const k of Object.keys(o)) {
      if (!['geojson', 'id', 'type', 'k', 'km', 'band', 'style', 'snap', 'rook-rule', 'longlat', 'planar', 'inverse-distance', 'with-weights', 'format'].includes(k)) {
        throw new UsageError(`unknown option --${k}`);
      }
    }
    if (typeof o.geojson !== 'string') throw new UsageError('--geojson FILE is required');
    if (typeof o.id !== 'string') throw new UsageError('--id FIELD is required');
    const type = o.type;
    if (type !== 'queen' && type !== 'rook' && type !== 'knn' && type !== 'distance') throw new UsageError(`--type must be queen, rook, knn or distance, got "${String(type)}"`);
    if (o.format !== undefined && o.format !== 'json') throw new UsageError(`--format must be json, got "${String(o.format)}"`);
    const style = o.style ?? 'W';
    if (style !== 'W' && style !== 'B') throw new UsageError(`--style must be W or B, got "${String(style)}"`);
    const rr = o['rook-rule'];
    if (rr !== undefined && rr !== 'edge' && rr !== 'spdep') throw new UsageError(`--rook-rule must be edge or spdep, got "${String(rr)}"`);
    if (o.longlat && o.planar) throw new UsageError('--longlat and --planar exclude each other');
    let text: string;
    try { text = readFileSync(await cliPath(o.geojson), 'utf8'); } catch (e) { throw new UsageError(`cannot read --geojson ${o.geojson}: ${(e as Error).message}`); }
    let fc: unknown;
    try { fc = JSON.parse(text); } catch (e) { throw new UsageError(`${o.geojson} is not valid JSON: ${(e as Error).message}`); }
    const opts: WeightsOptions = {
      type, style, k: num(o, 'k'), km: num(o, 'km'), band: num(o, 'band'), snap: num(o, 'snap'),
      rookRule: rr as WeightsOptions['rookRule'], inverseDistance: o['inverse-distance'] === true,
      longlat: o.longlat ? true : o.planar ? false : undefined,
    };
    if (type === 'knn' && opts.k === undefined) throw new UsageError('--type knn needs --k N');
    if (type === 'distance' && opts.km === undefined && opts.band === undefined) throw new UsageError('--type distance needs --km D (or --band D in coordinate units)');
    const w = weightsFromGeoJSON(fc as Parameters<typeof weightsFromGeoJSON>[0], o.id, opts);
    const out: Record<string, string[] | Record<string, number>> = {};
    w.ids.forEach((id, i) => {
      out[id] = o['with-weights']
        ? Object.fromEntries(Array.from(w.neighbours[i], (j, k) => [w.ids[j], w.weights[i][k]]))
        : Array.from(w.neighbours[i], (j) => w.ids[j]);
    });
    cliOut(JSON.stringify(out) + '\n');
    if (w.islands && w.islands.length) cliErr(`warning: ${w.islands.length} unit(s) without neighbours: ${w.islands.slice(0, 20).join(', ')}${w.islands.length > 20 ? ', ...' : ''}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) { cliErr(`agglomera weights: ${e.message}\n${USAGE}\n`); return 2; }
    if (e instanceof EstimationInputError) { cliErr(`agglomera weights: ${e.message}\n`); return 1; }
    throw e;
  }
}
