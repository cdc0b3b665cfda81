import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { estimate, frameFromRecords, frameFromColumns, validateSpec, type DataFrame } from '../src/estimation/index.js';
import { weightsFromGeoJSON } from '../src/estimation/spatial/index.js';
import { readFixtureCsv, readExpected, expectRel, fixture } from './estimation-helpers.js';

const coefMap = (r: { coefficients: { term: string; estimate: number }[] }) => Object.fromEntries(r.coefficients.map((c) => [c.term, c.estimate]));

/** the same frame with rows in reverse order */
function reversed(f: DataFrame): DataFrame {
  const cols: Record<string, Float64Array | (string | null)[]> = {};
  for (const [k, c] of Object.entries(f.columns)) cols[k] = c instanceof Float64Array ? Float64Array.from(c).reverse() : [...c].reverse();
  return frameFromColumns(cols);
}

describe('estimate() dispatch: GMM glue', () => {
  const cig = readFixtureCsv('cigar_gmm/data.csv');
  const ex = readExpected('cigar_gmm');
  const panel = { id: 'state', time: 'year' };

  it('formula instrument part and spec.gmm.instruments give the same model; two-step collapse matches plm (1e-4)', () => {
    const a = estimate({ estimator: 'diff_gmm', formula: ex.formula, panel, gmm: { steps: 2, collapse: true } }, cig);
    const b = estimate({ estimator: 'diff_gmm', formula: 'log(sales) ~ lag(log(sales),1) + log(price) + log(ndi)', panel,
      gmm: { instruments: ['lag(log(sales),2:99)'], steps: 2, collapse: true } }, reversed(cig));
    const ca = coefMap(a), cb = coefMap(b);
    for (const [term, v] of Object.entries(ex.twosteps_collapse.coef as Record<string, number>)) {
      expectRel(ca[term], v, 1e-4, term);
      expectRel(cb[term], ca[term], 1e-9, term);
    }
  });

  it('GMM errors: no instruments, no panel', () => {
    expect(() => estimate({ estimator: 'diff_gmm', formula: 'log(sales) ~ lag(log(sales), 1)', panel }, cig)).toThrow(/instruments/);
    expect(() => estimate({ estimator: 'sys_gmm', formula: ex.formula }, cig)).toThrow(/needs panel/);
  });
});

describe('estimate() dispatch: spatial glue', () => {
  const fc = JSON.parse(readFileSync(fixture('columbus/data.geojson'), 'utf8'));
  const W = weightsFromGeoJSON(fc, 'POLYID', { type: 'queen', style: 'W' });
  const frame = frameFromRecords(fc.features.map((f: { properties: Record<string, unknown> }) => f.properties));
  const spec = { estimator: 'sem', formula: 'CRIME ~ INC + HOVAL', weights: { id: 'POLYID', type: 'queen' } } as const;
  const ex = readExpected('columbus');

  it('rows are aligned to the weights by id, whatever their order', () => {
    const a = estimate(spec, frame, { weights: W }), b = estimate(spec, reversed(frame), { weights: W });
    expectRel(a.params.lambda as number, ex.sem.lambda, 1e-4, 'lambda');
    expect(coefMap(b)).toEqual(coefMap(a));
  });

  it('ids missing on either side, no weights, no id column are named errors', () => {
    const cut = frameFromColumns(Object.fromEntries(Object.entries(frame.columns).map(([k, c]) => [k, c.slice(0, 40)])) as never);
    expect(() => estimate(spec, cut, { weights: W })).toThrow(/ids in the weights with no complete data row \(POLYID\): 41, 42/);
    expect(() => estimate(spec, frame)).toThrow(/needs spatial weights/);
    expect(() => estimate({ ...spec, weights: { type: 'queen' } }, frame, { weights: W })).toThrow(/weights\.id/);
  });

  it('spec.logdet picks the log-determinant (same fit with eigenvalues and the sparse Cholesky); unknown ones are errors', () => {
    const e = estimate({ ...spec, logdet: 'eigen' }, frame, { weights: W }), m = estimate({ ...spec, logdet: 'Matrix' }, frame, { weights: W });
    expect([e.params.logdet, m.params.logdet, estimate(spec, frame, { weights: W }).params.logdet]).toEqual(['eigen', 'Matrix', 'eigen']);
    expectRel(m.params.lambda as number, e.params.lambda as number, 1e-7, 'lambda');
    expect(() => estimate({ ...spec, logdet: 'cholesky' }, frame, { weights: W })).toThrow(/logdet/);
  });
});

describe('estimate() dispatch: spec validation and samples', () => {
  const g = readFixtureCsv('grunfeld/data.csv');
  it('invalid specs name the zod path', () => {
    expect(() => validateSpec({ estimator: 'ols', formula: 'y ~ x', vcov: { cluster: ['a', 'b', 'c'] } })).toThrow(/'vcov\.cluster'/);
    expect(() => validateSpec({ estimator: 'ols', formula: 'y ~ x', mediation: { treatment: 1 } })).toThrow(/'mediation\.treatment'/);
    expect(() => validateSpec({ formula: 'y ~ x' })).toThrow(/'estimator'/);
  });
  it('sample.where restricts the sample; row order does not matter', () => {
    const a = estimate({ estimator: 'fe', formula: 'inv ~ value + capital', panel: { id: 'firm', time: 'year' }, sample: { where: 'year >= 1945' } }, g);
    expect(a.nobs).toBe(100);
    expect(a.nobsDropped).toBe(0);
    const b = estimate({ estimator: 'fe', formula: 'inv ~ value + capital', panel: { id: 'firm', time: 'year' }, sample: { where: 'year >= 1945' } }, reversed(g));
    a.coefficients.forEach((c, j) => expectRel(b.coefficients[j].estimate, c.estimate, 1e-10, c.term));
  });
  it('lagged regressors drop the first year of each firm and report it', () => {
    const r = estimate({ estimator: 'fe', formula: 'inv ~ lag(inv, 1:2) + value', panel: { id: 'firm', time: 'year' } }, g);
    expect(r.coefficients.map((c) => c.term)).toEqual(['lag(inv, 1)', 'lag(inv, 2)', 'value']);
    expect(r.nobs).toBe(180);
    expect(r.nobsDropped).toBe(20);
  });
});
