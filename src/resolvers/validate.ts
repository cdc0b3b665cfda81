// Argument checks shared by resolvers; each failure names its argument.
import { badInput } from './errors.js';
import type { ValueOp } from '../db/queries/keyset.js';
import type { ValueFilterInput } from '../schema/query-inputs.js';
import { UNIT_CODE_RE } from '../domain/unit-code.js';
import { geoJsonShapeProblem } from '../geo/geojson.js';

export function checkLonLat(arg: string, lon: number, lat: number) {
  if (!Number.isFinite(lon) || lon < -180 || lon > 180) throw badInput(`${arg}.lon`, `longitude must be within [-180, 180], got ${lon}`);
  if (!Number.isFinite(lat) || lat < -90 || lat > 90) throw badInput(`${arg}.lat`, `latitude must be within [-90, 90], got ${lat}`);
}

export function checkBbox(arg: string, b: number[]): [number, number, number, number] {
  if (b.length !== 4) throw badInput(arg, `expects [minLon, minLat, maxLon, maxLat], got ${b.length} numbers`);
  const [x1, y1, x2, y2] = b;
  if (![x1, x2].every((x) => x >= -180 && x <= 180) || ![y1, y2].every((y) => y >= -90 && y <= 90)) {
    throw badInput(arg, `longitudes must lie within [-180, 180] and latitudes within [-90, 90], got [${b.join(', ')}]`);
  }
  if (x1 > x2 || y1 > y2) throw badInput(arg, 'min must not exceed max');
  return [x1, y1, x2, y2];
}

export function checkPositiveInt(arg: string, v: number, max: number) {
  if (!Number.isInteger(v) || v < 1 || v > max) throw badInput(arg, `must be an integer from 1 to ${max}, got ${v}`);
}

export function checkYear(arg: string, year: number) {
  if (!Number.isInteger(year) || year < 1900 || year > 2100) throw badInput(arg, `must be a year between 1900 and 2100, got ${year}`);
}

/** The comparisons of a ValueFilterInput (at least one; finite numbers), each as an operator and its operand. */
export function valueComparisons(arg: string, v: ValueFilterInput): { op: ValueOp; value: number | boolean }[] {
  const out: { op: ValueOp; value: number | boolean }[] = [];
  for (const op of ['gt', 'gte', 'lt', 'lte', 'eq'] as const) {
    const x = v[op];
    if (x === undefined || x === null) continue;
    if (!Number.isFinite(x)) throw badInput(`${arg}.${op}`, `must be a finite number, got ${x}`);
    out.push({ op, value: x });
  }
  if (v.isNull !== undefined && v.isNull !== null) out.push({ op: 'isNull', value: v.isNull });
  if (!out.length) throw badInput(arg, 'give at least one of gt, gte, lt, lte, eq, isNull');
  return out;
}

export function checkPositive(arg: string, v: number, max: number) {
  if (!Number.isFinite(v) || v <= 0 || v > max) throw badInput(arg, `must be a number above 0 and at most ${max}, got ${v}`);
}

export function checkGeoJSON(arg: string, g: unknown) {
  const problem = geoJsonShapeProblem(g);
  if (problem) throw badInput(arg, `malformed GeoJSON: ${problem}`);
}

export function checkCode(arg: string, code: string) {
  // any unit code the store accepts (the city.code CHECK of migration 20261201000000), e.g. GB/T 2260, FIPS, NUTS
  if (!UNIT_CODE_RE.test(code)) throw badInput(arg, `"${code}" is not a unit code (1-32 letters, digits or . _ : -)`);
}

const encode = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

export const cursor = {
  encode: (kind: string, key: string | number) => encode(`${kind}:${key}`),
  decode(arg: string, kind: string, c: string): string {
    const s = Buffer.from(c, 'base64url').toString('utf8');
    if (!s.startsWith(`${kind}:`)) throw badInput(arg, 'is not a cursor returned by this field');
    return s.slice(kind.length + 1);
  },
};
