// `agglomera estimate --data FILE --spec SPEC.json [--format json|table]`: the CLI reads files, the library computes.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { estimate, validateSpec } from '../estimation/estimate.js';
import { EstimationInputError } from '../estimation/result.js';
import { weightsFromGeoJSON, type SpatialWeights } from '../estimation/spatial/index.js';
import { readDataFile, readText, parseGeoJSON, isGeoJSONPath } from './read.js';
import { formatTable } from './table.js';
import { UsageError } from './errors.js';
import { cliPath } from './io.js';

export const ESTIMATE_USAGE = `usage: agglomera estimate --data FILE --spec SPEC.json [--format json|table]

  --data FILE     CSV with a header row, or GeoJSON (feature properties become columns)
  --spec FILE     JSON model spec (see docs/estimation.md), e.g.
                  {"estimator": "fe", "formula": "inv ~ value + capital",
                   "panel": {"id": "firm", "time": "year"}, "vcov": {"cluster": ["firm"]}}
  --format        json (default: the result object exactly) or table (regression table)`;

const SPATIAL = new Set(['sar', 'sem', 'sdm', 'slx']);

async function resolveNear(file: string, specDir: string): Promise<string> {
  if (path.isAbsolute(file)) return file;
  const a = path.resolve(specDir, file);
  return existsSync(a) ? a : cliPath(file);
}

export async function runEstimate(argv: string[], out: (s: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { data: { type: 'string' }, spec: { type: 'string' }, format: { type: 'string', default: 'json' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${ESTIMATE_USAGE}`);
  }
  if (values.help) { out(ESTIMATE_USAGE); return 0; }
  if (!values.data) throw new UsageError(`missing --data FILE\n${ESTIMATE_USAGE}`);
  if (!values.spec) throw new UsageError(`missing --spec SPEC.json\n${ESTIMATE_USAGE}`);
  if (values.format !== 'json' && values.format !== 'table') throw new UsageError(`--format must be json or table, got '${values.format}'`);
  const specFile = await cliPath(values.spec), dataFile = await cliPath(values.data);
  const specText = readText(specFile, 'spec file', values.spec);
  let raw: unknown;
  try {
    raw = JSON.parse(specText);
  } catch (e) {
    throw new EstimationInputError(`${path.basename(values.spec)}: invalid JSON: ${(e as Error).message}`, 'spec');
  }
  const spec = validateSpec(raw);
  const frame = readDataFile(dataFile, values.data);
  let weights: SpatialWeights | undefined;
  if (SPATIAL.has(spec.estimator)) {
    const w = spec.weights;
    if (!w) throw new EstimationInputError(`estimator '${spec.estimator}' needs spec.weights {geojson, id, type}`, 'weights');
    if (!w.id) throw new EstimationInputError(`spec.weights.id must name the id property shared by the data and the GeoJSON`, 'weights.id');
    const geo = w.geojson ? await resolveNear(w.geojson, path.dirname(specFile)) : isGeoJSONPath(values.data) ? dataFile : undefined;
    if (!geo) throw new EstimationInputError(`spec.weights.geojson is required when --data is not GeoJSON`, 'weights.geojson');
    const fc = parseGeoJSON(readText(geo, 'weights.geojson'), path.basename(geo));
    weights = weightsFromGeoJSON(fc as never, w.id, { type: w.type, k: w.k, km: w.km, style: w.style ?? 'W' });
  }
  const result = estimate(spec, frame, { weights });
  out(values.format === 'json' ? JSON.stringify(result, null, 2) : formatTable(result, spec.formula ? `Formula: ${spec.formula}` : undefined));
  return 0;
}
