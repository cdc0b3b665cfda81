// Arellano-Bond / Blundell-Bond GMM against R plm::pgmm: the Cigar oracle (test/fixtures/cigar_gmm) and plm's own
// EmplUK regression outputs (test/fixtures/emplUK_gmm), plus simulation recovery, gaps, and bad input.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitGmm, lagWithin, type GmmInput } from '../src/estimation/gmm/index.js';
import { EstimationInputError } from '../src/estimation/result.js';

function readCsv(path: string) {
  const lines = readFileSync(new URL(path, import.meta.url), 'utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',').map((s) => s.replace(/"/g, ''));
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  return (name: string) => Float64Array.from(rows, (r) => r[header.indexOf(name)]);
}
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

// ---------------------------------------------------------------- Cigar oracle (plm::pgmm, fixture expected.json)
const cigar = readCsv('./fixtures/cigar_gmm/data.csv');
const cigarExp = JSON.parse(readFileSync(new URL('./fixtures/cigar_gmm/expected.json', import.meta.url), 'utf8'));
const cid = cigar('state'), ctime = cigar('year');
const lsales = cigar('sales').map(Math.log), lprice = cigar('price').map(Math.log), lndi = cigar('ndi').map(Math.log);

function cigarInput(over: Partial<GmmInput> = {}): GmmInput {
  return {
    id: cid, time: ctime, y: lsales, yName: 'log(sales)',
    regressors: [
      { name: 'lag(log(sales), 1)', values: lagWithin(cid, ctime, lsales, 1) },
      { name: 'log(price)', values: lprice },
      { name: 'log(ndi)', values: lndi },
    ],
    gmmInstruments: [{ name: 'log(sales)', values: lsales, minLag: 2, maxLag: 99 }],
    // plm's default normal instruments: regressors that are not GMM variables (log(price), log(ndi))
    ivInstruments: [{ name: 'log(price)', values: lprice }, { name: 'log(ndi)', values: lndi }],
    transformation: 'd', steps: 1, collapse: false, timeDummies: true,
    ...over,
  };
}

describe('difference GMM reproduces plm::pgmm on Cigar 1986-1992', () => {
  const blocks = [
    { key: 'onestep', steps: 1, collapse: false, tol: 1e-6 },
    { key: 'onestep_collapse', steps: 1, collapse: true, tol: 1e-6 },
    { key: 'twosteps', steps: 2, collapse: false, tol: 1e-4 },
    { key: 'twosteps_collapse', steps: 2, collapse: true, tol: 1e-4 },
  ] as const;
  for (const b of blocks) {
    it(`${b.key}: coefficients, robust SE, Sargan, AR(1), AR(2)`, () => {
      const res = fitGmm(cigarInput({ steps: b.steps, collapse: b.collapse }));
      const exp = cigarExp[b.key];
      const slopes = res.coefficients.slice(0, 3);
      expect(slopes.map((c) => c.term)).toEqual(Object.keys(exp.coef));
      let worst = 0;
      for (const c of slopes) {
        worst = Math.max(worst, relErr(c.estimate, exp.coef[c.term]), relErr(c.stdError, exp.se_robust[c.term]));
      }
      for (const t of ['sargan', 'ar1', 'ar2'] as const) {
        worst = Math.max(worst, relErr(res.tests[t].statistic, exp[t].statistic), relErr(res.tests[t].pValue, exp[t].pValue));
      }
      expect(worst).toBeLessThan(b.tol);
      expect(res.tests.sargan.df).toBe(exp.sargan.df);
      expect(res.tests.hansen.statistic).toBe(res.tests.sargan.statistic);
      expect(res.nobs).toBe(46 * 5);
      expect(res.ngroups).toBe(46);
      expect(res.params.instruments).toBe(b.collapse ? 12 : 22);
      expect(res.params.timeDummyTerms).toEqual(['88', '89', '90', '91', '92']);
      expect(res.coefficients.map((c) => c.term).slice(3)).toEqual(['88', '89', '90', '91', '92']);
      expect(res.vcovType).toBe(b.steps === 1 ? 'robust (one-step)' : 'Windmeijer (two-step)');
      expect(res.estimator).toBe('diff_gmm');
      expect(res.warnings).toEqual([]);
    });
  }

  it('defaults the IV instruments to the regressors that are not GMM variables, as plm does', () => {
    const explicit = fitGmm(cigarInput());
    const dflt = fitGmm(cigarInput({ ivInstruments: undefined }));
    expect(dflt.params.ivInstruments).toEqual(['log(price)', 'log(ndi)']);
    dflt.coefficients.forEach((c, i) => expect(c.estimate).toBe(explicit.coefficients[i].estimate));
  });

  it('does not depend on the order of the rows', () => {
    const n = cid.length, perm = Array.from({ length: n }, (_, i) => (i * 37) % n);
    const pick = (a: Float64Array) => Float64Array.from(perm, (i) => a[i]);
    const base = fitGmm(cigarInput({ steps: 2 }));
    const inp = cigarInput({ steps: 2 });
    const shuffled = fitGmm({
      ...inp, id: pick(cid), time: pick(ctime), y: pick(lsales),
      regressors: inp.regressors.map((r) => ({ name: r.name, values: pick(r.values) })),
      gmmInstruments: inp.gmmInstruments.map((z) => ({ ...z, values: pick(z.values) })),
      ivInstruments: inp.ivInstruments!.map((z) => ({ ...z, values: pick(z.values) })),
    });
    shuffled.coefficients.forEach((c, i) => expect(relErr(c.estimate, base.coefficients[i].estimate)).toBeLessThan(1e-10));
  });

  it('treats a missing year as a gap: lags across it are missing', () => {
    // drop state 1's 1989 row: differenced rows 1989 (absent), 1990 (needs 1989) and 1991 (its lag needs 1989) go
    const keep = Array.from(cid.keys()).filter((i) => !(cid[i] === 1 && ctime[i] === 89));
    const sub = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
    const id = sub(cid), time = sub(ctime), ls = sub(lsales);
    const lag1 = lagWithin(id, time, ls, 1);
    expect(Number.isNaN(lag1[keep.findIndex((i) => cid[i] === 1 && ctime[i] === 90)])).toBe(true);
    const res = fitGmm({
      ...cigarInput(), id, time, y: ls,
      regressors: [{ name: 'lag(log(sales), 1)', values: lag1 }, { name: 'log(price)', values: sub(lprice) }, { name: 'log(ndi)', values: sub(lndi) }],
      gmmInstruments: [{ name: 'log(sales)', values: ls, minLag: 2, maxLag: 99 }],
      ivInstruments: undefined,
    });
    expect(res.nobs).toBe(230 - 3);
    expect(res.tests.sargan.df).toBe(14);
  });

  it('warns when instruments outnumber groups', () => {
    const keep = Array.from(cid.keys()).filter((i) => cid[i] <= 10);
    const sub = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
    const id = sub(cid), time = sub(ctime), ls = sub(lsales);
    const res = fitGmm({
      ...cigarInput(), id, time, y: ls,
      regressors: [{ name: 'lag(log(sales), 1)', values: lagWithin(id, time, ls, 1) }, { name: 'log(price)', values: sub(lprice) }, { name: 'log(ndi)', values: sub(lndi) }],
      gmmInstruments: [{ name: 'log(sales)', values: ls, minLag: 2, maxLag: 99 }],
      ivInstruments: undefined,
    });
    expect(res.params.instruments).toBe(22);
    expect(res.ngroups).toBe(new Set(id).size);
    expect(res.warnings).toContain(`too many instruments: 22 instruments for ${res.ngroups} groups; the Hansen/Sargan test is weak and two-step estimates are biased (consider collapse)`);
    // fewer groups than instruments make sum Z_i'e_i e_i'Z_i singular: plm's g-inverse, with its warning
    expect(res.warnings).toContain('the second-step matrix is singular, a general inverse is used');
  });
});

// ---------------------------------------------------------------- EmplUK: full-precision plm references
// (test/fixtures/emplUK_gmm/make_expected.R; the same models as plm's own inst/tests/test_pgmm.R)
const empl = readCsv('./fixtures/emplUK_gmm/data.csv');
const emplExp = JSON.parse(readFileSync(new URL('./fixtures/emplUK_gmm/expected.json', import.meta.url), 'utf8'));
const eid = empl('firm'), etime = empl('year');
const ev: Record<string, Float64Array> = {
  'log(emp)': empl('emp').map(Math.log), 'log(wage)': empl('wage').map(Math.log),
  'log(capital)': empl('capital').map(Math.log), 'log(output)': empl('output').map(Math.log),
};
const reg = (x: string, k: number) => ({ name: k === 0 ? x : `lag(${x}, ${k})`, values: k === 0 ? ev[x] : lagWithin(eid, etime, ev[x], k) });
const gmmOf = (x: string, minLag: number) => ({ name: x, values: ev[x], minLag, maxLag: 99 });
/** plm's coefficient label `lag(log(emp), 1:2)2` -> our term `lag(log(emp), 2)` */
const plmTerm = (s: string) => {
  const m = /^lag\((.*), \d+:\d+\)(\d+)$/.exec(s);
  return m ? (m[2] === '0' ? m[1] : `lag(${m[1]}, ${m[2]})`) : s;
};
const formulas: Record<string, Pick<GmmInput, 'regressors' | 'gmmInstruments'>> = {
  A: {
    regressors: [reg('log(emp)', 1), reg('log(emp)', 2), reg('log(wage)', 0), reg('log(wage)', 1), reg('log(capital)', 0),
      reg('log(capital)', 1), reg('log(capital)', 2), reg('log(output)', 0), reg('log(output)', 1), reg('log(output)', 2)],
    gmmInstruments: [gmmOf('log(emp)', 2)],
  },
  B: {
    regressors: [reg('log(emp)', 1), reg('log(emp)', 2), reg('log(wage)', 0), reg('log(wage)', 1), reg('log(capital)', 0),
      reg('log(output)', 0), reg('log(output)', 1)],
    gmmInstruments: [gmmOf('log(emp)', 2)],
  },
  Z2: {
    regressors: [reg('log(emp)', 1), reg('log(wage)', 0), reg('log(wage)', 1), reg('log(capital)', 0), reg('log(capital)', 1)],
    gmmInstruments: [gmmOf('log(emp)', 2), gmmOf('log(wage)', 3), gmmOf('log(capital)', 2)],
  },
};
interface PlmCase {
  f: string; effect: string; model: string; transformation: 'd' | 'ld'; collapse: boolean; fsm?: 'I' | 'G' | 'GI' | 'full';
  coef: Record<string, number>; se: Record<string, number>; nobs: number; instruments: number;
  sargan: { statistic: number; df: number; pValue: number }; ar1: { statistic: number; pValue: number }; ar2: { statistic: number; pValue: number };
}
const emplInput = (c: PlmCase): GmmInput => ({
  id: eid, time: etime, y: ev['log(emp)'], yName: 'log(emp)', ...formulas[c.f],
  transformation: c.transformation, steps: c.model === 'onestep' ? 1 : 2, collapse: c.collapse,
  timeDummies: c.effect === 'twoways', fsm: c.fsm, emulatePlmLagRange: c.f === 'Z2',
});

// fsm (first-step weighting matrix) is honoured by the development plm only: separate references, same checks
const emplFsm = JSON.parse(readFileSync(new URL('./fixtures/emplUK_gmm/expected_fsm.json', import.meta.url), 'utf8'));
const emplCases = [...Object.entries(emplExp), ...Object.entries(emplFsm)].filter(([k]) => k !== 'notes') as [string, PlmCase][];

describe('difference and system GMM reproduce plm on unbalanced EmplUK', () => {
  for (const [key, c] of emplCases) {
    it(`${key} (all coefficients incl. time dummies, SEs, Sargan, AR tests)`, () => {
      const res = fitGmm(emplInput(c));
      const tol = c.model === 'onestep' ? 1e-6 : 1e-4;
      expect(res.nobs).toBe(c.nobs);
      expect(res.params.instruments).toBe(c.instruments);
      // (JSON objects put integer-like keys such as "1979" first, so match by name, not position)
      const plmKey = new Map(Object.keys(c.coef).map((k) => [plmTerm(k), k]));
      expect(res.coefficients.map((r) => r.term).sort()).toEqual([...plmKey.keys()].sort());
      let worst = 0;
      for (const r of res.coefficients) {
        const name = plmKey.get(r.term)!;
        worst = Math.max(worst, relErr(r.estimate, c.coef[name]), relErr(r.stdError, c.se[name]));
      }
      for (const t of ['sargan', 'ar1', 'ar2'] as const) {
        worst = Math.max(worst, relErr(res.tests[t].statistic, c[t].statistic), relErr(res.tests[t].pValue, c[t].pValue));
      }
      expect(worst).toBeLessThan(tol);
      expect(res.tests.sargan.df).toBe(c.sargan.df);
    });
  }

  it('system GMM names its intercept and time dummies as plm does', () => {
    const res = fitGmm(emplInput(emplExp.z3_twosteps_ld));
    expect(res.estimator).toBe('sys_gmm');
    expect(res.params.timeDummyTerms).toEqual(['(Intercept)', '1979', '1980', '1981', '1982', '1983', '1984']);
  });

  it('without the plm lag-range emulation, a minimum lag of 3 really starts at lag 3 (one instrument fewer)', () => {
    const res = fitGmm({ ...emplInput(emplExp.z2_onestep_ld), emulatePlmLagRange: false });
    expect(res.params.instruments).toBe(emplExp.z2_onestep_ld.instruments - 1);
    expect(res.tests.sargan.df).toBe(emplExp.z2_onestep_ld.sargan.df - 1);
  });
});

// ---------------------------------------------------------------- simulation: system GMM recovers the AR coefficient
function mulberry32(seed: number) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function simulatePanel(N: number, T: number, alpha: number, beta: number, seed: number) {
  const u = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(u() + 1e-300)) * Math.cos(2 * Math.PI * u());
  const id: number[] = [], time: number[] = [], y: number[] = [], x: number[] = [];
  for (let i = 0; i < N; i++) {
    const mu = normal();
    let yv = mu / (1 - alpha); // mean-stationary start (Blundell-Bond's condition), then burn-in
    for (let t = -50; t < T; t++) {
      const xv = 0.5 * mu + normal();
      yv = alpha * yv + beta * xv + mu + normal();
      if (t >= 0) { id.push(i + 1); time.push(2000 + t); y.push(yv); x.push(xv); }
    }
  }
  return { id: Float64Array.from(id), time: Float64Array.from(time), y: Float64Array.from(y), x: Float64Array.from(x) };
}

describe('system GMM on a simulated dynamic panel', () => {
  it('recovers the AR coefficient within 2 SE (one- and two-step) and passes AR(2)', () => {
    const alpha = 0.6, beta = 1;
    const p = simulatePanel(400, 8, alpha, beta, 20260101);
    for (const steps of [1, 2] as const) {
      const res = fitGmm({
        id: p.id, time: p.time, y: p.y, yName: 'y',
        regressors: [{ name: 'lag(y, 1)', values: lagWithin(p.id, p.time, p.y, 1) }, { name: 'x', values: p.x }],
        gmmInstruments: [{ name: 'y', values: p.y, minLag: 2, maxLag: 99 }, { name: 'x', values: p.x, minLag: 1, maxLag: 99 }],
        ivInstruments: [], transformation: 'ld', steps, collapse: true, timeDummies: true,
      });
      const a = res.coefficients[0], b = res.coefficients[1];
      expect(a.term).toBe('lag(y, 1)');
      expect(Math.abs(a.estimate - alpha)).toBeLessThan(2 * a.stdError);
      expect(Math.abs(b.estimate - beta)).toBeLessThan(2.5 * b.stdError);
      expect(a.stdError).toBeLessThan(0.1);
      expect(res.tests.ar1.statistic).toBeLessThan(-3); // differenced iid errors are MA(1)
      expect(res.tests.ar2.pValue).toBeGreaterThan(0.01);
      expect(res.nobs).toBe(400 * (7 + 6));
    }
  });
});

// ---------------------------------------------------------------- bad input
describe('GMM input errors name the problem', () => {
  const expectInputError = (f: () => unknown, re: RegExp) => {
    let err: unknown;
    try { f(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(EstimationInputError);
    expect((err as Error).message).toMatch(re);
  };
  it('no GMM instruments', () => {
    expectInputError(() => fitGmm(cigarInput({ gmmInstruments: [] })), /no valid instruments/);
  });
  it('instruments missing everywhere', () => {
    const nan = new Float64Array(lsales.length).fill(NaN);
    expectInputError(() => fitGmm(cigarInput({ gmmInstruments: [{ name: 'z', values: nan, minLag: 2, maxLag: 99 }], ivInstruments: [] })), /no valid instruments/);
  });
  it('panel too short for the lags', () => {
    const keep = Array.from(cid.keys()).filter((i) => ctime[i] <= 87);
    const sub = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
    const id = sub(cid), time = sub(ctime), ls = sub(lsales);
    expectInputError(() => fitGmm({
      ...cigarInput(), id, time, y: ls,
      regressors: [{ name: 'lag(log(sales), 1)', values: lagWithin(id, time, ls, 1) }],
      gmmInstruments: [{ name: 'log(sales)', values: ls, minLag: 2, maxLag: 99 }], ivInstruments: [],
    }), /panel too short/);
  });
  it('more coefficients than instruments', () => {
    expectInputError(() => fitGmm(cigarInput({
      collapse: true, ivInstruments: [],
      gmmInstruments: [{ name: 'log(sales)', values: lsales, minLag: 2, maxLag: 2 }],
    })), /under-identified: 6 instruments for 8 coefficients/);
  });
  it('duplicate panel rows and bad lags', () => {
    const id = Float64Array.from(cid), time = Float64Array.from(ctime);
    time[1] = time[0];
    expectInputError(() => fitGmm(cigarInput({ id, time })), /duplicate \(id, time\) = \(1, 86\)/);
    expectInputError(() => fitGmm(cigarInput({ gmmInstruments: [{ name: 'log(sales)', values: lsales, minLag: 3, maxLag: 2 }] })), /log\(sales\).*lags 3:2/);
    expectInputError(() => fitGmm(cigarInput({ regressors: [{ name: 'x', values: new Float64Array(3) }] })), /regressor 'x' has 3 values/);
  });
});
