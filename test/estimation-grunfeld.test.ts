import { describe, it, expect } from 'vitest';
import { estimate } from '../src/estimation/index.js';
import type { EstimationResult } from '../src/estimation/result.js';
import { readFixtureCsv, readExpected, expectRel } from './estimation-helpers.js';

const frame = readFixtureCsv('grunfeld/data.csv');
const ex = readExpected('grunfeld');
const base = { formula: ex.formula, panel: ex.panel };

function checkCoefs(r: EstimationResult, coef: Record<string, number>, se?: Record<string, number>) {
  expect(r.coefficients.map((c) => c.term)).toEqual(Object.keys(coef));
  for (const c of r.coefficients) {
    expectRel(c.estimate, coef[c.term], 1e-6, `coef ${c.term}`);
    if (se) expectRel(c.stdError, se[c.term], 1e-6, `se ${c.term}`);
    expectRel(c.statistic, c.estimate / c.stdError, 1e-12, 't');
  }
}

describe('Grunfeld: every number of the plm oracle', () => {
  it('pooled OLS: coefficients, iid and HC1 SE, R2', () => {
    const r = estimate({ ...base, estimator: 'ols' }, frame);
    checkCoefs(r, ex.pooled_ols.coef, ex.pooled_ols.se_iid);
    expectRel(r.fit.r2!, ex.pooled_ols.r2, 1e-6, 'r2');
    expect(r.nobs).toBe(200);
    expect(r.dfResid).toBe(197);
    const h = estimate({ ...base, estimator: 'ols', vcov: 'hc1' }, frame);
    checkCoefs(h, ex.pooled_ols.coef, ex.pooled_ols.se_hc1);
    expect(h.vcovType).toBe('HC1');
  });

  it('within (individual): iid, cluster plm HC1, cluster HC0, R2 within, df', () => {
    const w = ex.within_individual;
    const r = estimate({ ...base, estimator: 'fe', effects: 'individual' }, frame);
    checkCoefs(r, w.coef, w.se_iid);
    expectRel(r.fit.r2Within!, w.r2_within, 1e-6, 'r2 within');
    expect(r.dfResid).toBe(w.df_resid);
    expect(r.ngroups).toBe(10);
    const c = estimate({ ...base, estimator: 'fe', vcov: { cluster: ['firm'] } }, frame);
    checkCoefs(c, w.coef, w.se_cluster_firm_plm_HC1);
    expect(c.vcovType).toBe('cluster(firm), plm HC1');
    // t tests with dfResid = 188, as plm summary(fe, vcov = vcovHC(fe, type = "HC1")) prints
    expectRel(c.coefficients[0].pValue, 1.07633244906767e-12, 1e-6, 'p value');
    expectRel(c.coefficients[1].pValue, 3.57606438766312e-09, 1e-6, 'p capital');
    expectRel(r.tests.f.statistic, 309.01417516828076, 1e-9, 'F'); // plm: F = 309.01, df1 = 2, df2 = 188
    const c0 = estimate({ ...base, estimator: 'fe', vcov: { cluster: ['firm'], smallSample: 'none' } }, frame);
    checkCoefs(c0, w.coef, w.se_cluster_firm_HC0);
    // Stata: G/(G-1)*(N-1)/(N-K), K = 2 slopes + constant (firm FE nested in the cluster)
    const cs = estimate({ ...base, estimator: 'fe', vcov: { cluster: ['firm'], smallSample: 'stata' } }, frame);
    const f = Math.sqrt((10 / 9) * (199 / 197));
    cs.coefficients.forEach((row, j) => expectRel(row.stdError, c0.coefficients[j].stdError * f, 1e-10, 'stata factor'));
    expect(cs.vcovType).toMatch(/Stata/);
    // Stata `xtreg invest mvalue kstock, fe vce(cluster company)` on Grunfeld prints robust SE .0151945 and .0527518
    expect(cs.coefficients.map((c) => Number(c.stdError.toFixed(7)))).toEqual([0.0151945, 0.0527518]);
    // the same model through the fixest-style formula
    const a = estimate({ estimator: 'ols', formula: 'inv ~ value + capital | firm' }, frame);
    checkCoefs(a, w.coef, w.se_iid);
  });

  it('within (two-way): iid, cluster plm HC1, R2 within, df', () => {
    const w = ex.within_twoways;
    const r = estimate({ ...base, estimator: 'fe', effects: 'twoways' }, frame);
    checkCoefs(r, w.coef, w.se_iid);
    expectRel(r.fit.r2Within!, w.r2_within, 1e-6, 'r2 within');
    expect(r.dfResid).toBe(w.df_resid);
    const c = estimate({ ...base, estimator: 'fe', effects: 'twoways', vcov: { cluster: ['firm'] } }, frame);
    checkCoefs(c, w.coef, w.se_cluster_firm_plm_HC1);
    const a = estimate({ estimator: 'fe', formula: 'inv ~ value + capital | firm + year' }, frame);
    checkCoefs(a, w.coef, w.se_iid);
  });

  it('random effects (Swamy-Arora): coefficients, SE, theta, variance components, Hausman', () => {
    const re = ex.random_swar;
    const r = estimate({ ...base, estimator: 're' }, frame);
    checkCoefs(r, re.coef, re.se);
    expectRel(r.params.theta as number, re.theta, 1e-6, 'theta');
    expectRel(r.params.sigma2Idios as number, re.sigma2.idios, 1e-6, 'sigma2 idios');
    expectRel(r.params.sigma2Id as number, re.sigma2.id, 1e-6, 'sigma2 id');
    // plm 2.6.2 summary(): z tests for random effects and a Wald chi-square of the slopes (values printed by R)
    expectRel(r.coefficients[0].pValue, 4.53638870271599e-02, 1e-6, 'p (Intercept)');
    expectRel(r.coefficients[1].pValue, 1.28207497963029e-25, 1e-6, 'p value');
    expectRel(r.tests.wald.statistic, 657.673869825666, 1e-6, 'wald');
    const h = ex.hausman_within_vs_random;
    expectRel(r.tests.hausman.statistic, h.statistic, 1e-6, 'hausman');
    expect(r.tests.hausman.df).toBe(h.df);
    expectRel(r.tests.hausman.pValue, h.pValue, 1e-6, 'hausman p');
  });

  it('first differences and between', () => {
    const fd = estimate({ ...base, estimator: 'fd' }, frame);
    checkCoefs(fd, ex.first_difference.coef, ex.first_difference.se_iid);
    expect(fd.nobs).toBe(190);
    const b = estimate({ ...base, estimator: 'between' }, frame);
    checkCoefs(b, ex.between.coef, ex.between.se_iid);
    expect(b.nobs).toBe(10);
  });

  it('two-way cluster (CGM) = V_firm + V_year - V_firm#year, and panel estimators without a panel fail', () => {
    const v = (cl: string[]) => estimate({ ...base, estimator: 'ols', vcov: { cluster: cl, smallSample: 'none' } }, frame).coefficients.map((c) => c.stdError ** 2);
    const both = v(['firm', 'year']), f = v(['firm']), y = v(['year']);
    const white = estimate({ ...base, estimator: 'ols', vcov: 'hc0' }, frame).coefficients.map((c) => c.stdError ** 2);
    // firm#year cells hold one observation each, so V_firm#year = HC0
    both.forEach((b, j) => expectRel(b, f[j] + y[j] - white[j], 1e-9, 'cgm'));
    expect(() => estimate({ estimator: 're', formula: ex.formula }, frame)).toThrow(/needs panel/);
    expect(() => estimate({ ...base, estimator: 'fe', vcov: { cluster: ['nope'] } }, frame)).toThrow(/unknown column 'nope'/);
  });

  it('R2 and adjusted R2 of every model equal plm summary()$r.squared (plm 2.6.2, printed by R)', () => {
    const cases: [object, number, number][] = [
      [{ estimator: 're' }, 0.76950272267, 0.767162648788],
      [{ estimator: 'fe' }, 0.766757583748, 0.753110421095],
      [{ estimator: 'fe', effects: 'twoways' }, 0.720145212924, 0.670466848355],
      [{ estimator: 'fd' }, 0.408877350771, 0.402555183399],
      [{ estimator: 'between' }, 0.857768226361, 0.81713057675],
      [{ estimator: 'ols' }, 0.812408012545, 0.810503525362],
    ];
    for (const [s, r2, adj] of cases) {
      const r = estimate({ ...base, ...s } as never, frame);
      expectRel(r.fit.r2!, r2, 1e-9, `${JSON.stringify(s)} r2`);
      expectRel(r.fit.r2Adj!, adj, 1e-9, `${JSON.stringify(s)} adj r2`);
    }
  });
});
