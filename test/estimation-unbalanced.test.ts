import { describe, it, expect } from 'vitest';
import { estimate, type EstimationResult } from '../src/estimation/index.js';
import { readFixtureCsv, readExpected, expectRel } from './estimation-helpers.js';

// Grunfeld with 30 rows deleted (test/fixtures/grunfeld_unbalanced/make.R), oracle from R plm
const frame = readFixtureCsv('grunfeld_unbalanced/data.csv');
const ex = readExpected('grunfeld_unbalanced');
const base = { formula: ex.formula, panel: ex.panel };

function check(r: EstimationResult, coef: Record<string, number>, se: Record<string, number>) {
  expect(r.coefficients.map((c) => c.term)).toEqual(Object.keys(coef));
  for (const c of r.coefficients) {
    expectRel(c.estimate, coef[c.term], 1e-6, `coef ${c.term}`);
    expectRel(c.stdError, se[c.term], 1e-6, `se ${c.term}`);
  }
}

describe('unbalanced panel: plm oracle', () => {
  it('within, individual and two-way (iid and cluster plm HC1), df, R2 within', () => {
    expect(frame.nrows).toBe(ex.nobs);
    for (const [key, effects] of [['within_individual', 'individual'], ['within_twoways', 'twoways']] as const) {
      const w = ex[key];
      const r = estimate({ ...base, estimator: 'fe', effects }, frame);
      check(r, w.coef, w.se_iid);
      expect(r.dfResid).toBe(w.df_resid);
      expectRel(r.fit.r2Within!, w.r2_within, 1e-6, 'r2 within');
      check(estimate({ ...base, estimator: 'fe', effects, vcov: { cluster: ['firm'] } }, frame), w.coef, w.se_cluster_firm_plm_HC1);
    }
  });

  it('random effects Swamy-Arora: coefficients, SE, variance components, per-observation theta summary', () => {
    const re = ex.random_swar;
    const r = estimate({ ...base, estimator: 're' }, frame);
    check(r, re.coef, re.se);
    expectRel(r.params.sigma2Idios as number, re.sigma2.idios, 1e-6, 'sigma2 idios');
    expectRel(r.params.sigma2Id as number, re.sigma2.id, 1e-6, 'sigma2 id');
    expect(r.params.theta).toBeNull();
    const t = r.params.thetaSummary as Record<string, number>;
    const keys: [string, string][] = [['min', 'Min.'], ['q1', '1st Qu.'], ['median', 'Median'], ['mean', 'Mean'], ['q3', '3rd Qu.'], ['max', 'Max.']];
    for (const [ours, theirs] of keys) expectRel(t[ours], re.theta[theirs], 1e-6, `theta ${ours}`);
    expect(r.dfResid).toBe(re.df_resid);
    const h = ex.hausman_within_vs_random;
    expectRel(r.tests.hausman.statistic, h.statistic, 1e-6, 'hausman');
    expectRel(r.tests.hausman.pValue, h.pValue, 1e-6, 'hausman p');
  });

  it('between and pooled OLS with cluster plm HC1', () => {
    check(estimate({ ...base, estimator: 'between' }, frame), ex.between.coef, ex.between.se_iid);
    const p = ex.pooled_cluster_firm_plm_HC1;
    check(estimate({ ...base, estimator: 'ols', vcov: { cluster: ['firm'] } }, frame), p.coef, p.se);
  });

  it('first differences: plm bridges gaps (consecutive rows), Stata-style drops them', () => {
    const fd = ex.first_difference;
    const r = estimate({ ...base, estimator: 'fd' }, frame);
    check(r, fd.coef, fd.se_iid);
    expect(r.nobs).toBe(fd.nobs);
    expect(r.warnings.join(' ')).toMatch(/span a gap/);
    const s = estimate({ ...base, estimator: 'fd', fdGaps: 'stata' }, frame);
    expect(s.nobs).toBeLessThan(fd.nobs);
  });

  it('pooled OLS HC0, HC2, HC3 as sandwich::vcovHC', () => {
    const o = ex.ols_sandwich;
    for (const t of ['hc0', 'hc2', 'hc3'] as const) check(estimate({ estimator: 'ols', formula: ex.formula, vcov: t }, frame), o.coef, o[`se_${t}`]);
  });

  it('cluster by time and two-way (firm, year) clustering equal plm vcovHC(cluster = "time") and vcovDC(type = "HC1")', () => {
    const w = ex.within_individual, p = ex.pooled_cluster_firm_plm_HC1;
    check(estimate({ ...base, estimator: 'fe', vcov: { cluster: ['year'] } }, frame), w.coef, w.se_cluster_year_plm_HC1);
    const dc = estimate({ ...base, estimator: 'fe', vcov: { cluster: ['firm', 'year'] } }, frame);
    check(dc, w.coef, w.se_cluster_firm_year_vcovDC_HC1);
    expect(dc.vcovType).toBe('cluster(firm, year), plm HC1');
    check(estimate({ ...base, estimator: 'ols', vcov: { cluster: ['firm', 'year'] } }, frame), p.coef, p.se_cluster_firm_year_vcovDC_HC1);
  });
});
