// Three-step mediation (Baron-Kenny / Wen): total effect c (Y ~ X + C), a-path (M ~ X + C), direct effect c' and
// b (Y ~ X + M + C), Sobel test of a*b, and a seeded bootstrap percentile CI of a*b. Each step is OLS, or a within
// model when fixed effects are given; the bootstrap resamples rows, or whole panel ids when there is a panel.
import { fromColumns, column } from './linalg.js';
import { Design, buildDesign } from './design.js';
import { DataFrame } from './frame.js';
import { parseFormula, parseExpression, exprName } from './formula.js';
import { EstimationInputError, EstimationResult, CoefficientRow, emptyFit } from './result.js';
import { fitPooled, fitWithin, quantile7, LinearModel } from './panel.js';
import { Factor, nestedIn } from './absorb.js';
import { VcovOption } from './vcov.js';
import { pNorm } from './distributions.js';
import { mulberry32 } from './prng.js';

export interface MediationOptions {
  treatment: string;
  mediator: string;
  outcome: string;
  controls?: string[];
  /** bootstrap replications for the CI of a*b (0 = none; default 0) */
  bootstrap?: number;
  seed?: number;
  vcov?: VcovOption;
  panel?: { id: string; time: string };
  /** fixed effects absorbed in every step (column names) */
  fixedEffects?: string[];
  where?: string;
  /** confidence level of the bootstrap interval (default 0.95) */
  level?: number;
}

const STEPS = ['total', 'a', 'direct'] as const;

/** A Design restricted to some columns and a new dependent variable. */
function subDesign(d: Design, y: Float64Array, yName: string, names: string[]): Design {
  const idx = names.map((nm) => d.names.indexOf(nm));
  return { ...d, y, yName, X: fromColumns(idx.map((j) => column(d.X, j)), d.X.rows), names, intercept: names.includes('(Intercept)') };
}

function fitStep(d: Design, vcov: VcovOption | undefined, factors: Factor[]): LinearModel {
  return factors.length ? fitWithin(d, factors, { vcov, estimator: 'fe' }) : fitPooled(d, { vcov, estimator: 'ols' });
}

const coefOf = (m: LinearModel, term: string) => {
  const j = m.names.indexOf(term);
  if (j < 0) throw new EstimationInputError(`mediation: '${term}' was dropped from a step (collinear)`, 'mediation');
  return { est: m.coef[j], se: Math.sqrt(m.V.data[j + j * m.V.rows]) };
};

export function fitMediation(frame: DataFrame, o: MediationOptions): EstimationResult {
  const name = (s: string, field: string) => exprName(parseExpression(s, `mediation.${field}`));
  const X = name(o.treatment, 'treatment'), M = name(o.mediator, 'mediator'), Y = name(o.outcome, 'outcome');
  const C = (o.controls ?? []).map((c) => name(c, 'controls'));
  const f = parseFormula(`${Y} ~ ${[X, M, ...C].join(' + ')}`);
  const fe = o.fixedEffects ?? [];
  const clusters = o.vcov && typeof o.vcov === 'object' ? o.vcov.cluster : [];
  const d = buildDesign(frame, f, { panel: o.panel, where: o.where, fixedEffects: fe, clusters, noIntercept: fe.length > 0 });
  const icpt = d.intercept ? ['(Intercept)'] : [];
  const mValues = Float64Array.from(column(d.X, d.names.indexOf(M)));
  const specs = {
    total: { y: d.y, yName: Y, names: [...icpt, X, ...C] },
    a: { y: mValues, yName: M, names: [...icpt, X, ...C] },
    direct: { y: d.y, yName: Y, names: [...icpt, X, M, ...C] },
  };
  const models = Object.fromEntries(STEPS.map((s) => [s, fitStep(subDesign(d, specs[s].y, specs[s].yName, specs[s].names), o.vcov, d.fixedEffects)])) as Record<(typeof STEPS)[number], LinearModel>;
  const a = coefOf(models.a, X), b = coefOf(models.direct, M), c = coefOf(models.total, X), cp = coefOf(models.direct, X);
  const indirect = a.est * b.est;
  const sobelSE = Math.sqrt(b.est ** 2 * a.se ** 2 + a.est ** 2 * b.se ** 2);
  const z = indirect / sobelSE;
  const warnings = STEPS.flatMap((s) => models[s].result.warnings.map((w) => `${s}: ${w}`));

  // bootstrap of a*b: rows, or whole ids (new group codes per draw so duplicated ids stay distinct groups)
  const B = o.bootstrap ?? 0;
  let ci: [number, number] | null = null;
  let bootOk = 0;
  if (B > 0) {
    const rng = mulberry32(o.seed ?? 1);
    const n = d.y.length;
    const unit = d.id ?? null;
    const members: number[][] = [];
    if (unit) {
      for (let g = 0; g < unit.nlevels; g++) members.push([]);
      for (let i = 0; i < n; i++) members[unit.codes[i]].push(i);
    }
    const draws: number[] = [];
    for (let r = 0; r < B; r++) {
      const rows: number[] = [], drawOf: number[] = [];
      if (unit) {
        for (let g = 0; g < members.length; g++) {
          const pick = members[rng.int(members.length)];
          for (const i of pick) { rows.push(i); drawOf.push(g); }
        }
      } else for (let i = 0; i < n; i++) rows.push(rng.int(n));
      const idx = Int32Array.from(rows);
      const factors = d.fixedEffects.map((fct): Factor => {
        if (unit && nestedIn(fct, unit)) {
          // a factor inside the resampled unit: draw g and original level give a new level
          const map = new Map<number, number>();
          const codes = Int32Array.from(rows, (i, k) => {
            const key = drawOf[k] * fct.nlevels + fct.codes[i];
            let v = map.get(key);
            if (v === undefined) { v = map.size; map.set(key, v); }
            return v;
          });
          return { name: fct.name, codes, nlevels: map.size };
        }
        const map = new Map<number, number>();
        const codes = Int32Array.from(rows, (i) => {
          let v = map.get(fct.codes[i]);
          if (v === undefined) { v = map.size; map.set(fct.codes[i], v); }
          return v;
        });
        return { name: fct.name, codes, nlevels: map.size };
      });
      const Xb = fromColumns(d.names.map((_, j) => Float64Array.from(idx, (i) => d.X.data[j * n + i])), idx.length);
      const db: Design = { ...d, y: Float64Array.from(idx, (i) => d.y[i]), X: Xb, rows: idx, clusters: [], id: undefined, fixedEffects: factors };
      try {
        const ma = fitStep(subDesign(db, Float64Array.from(column(Xb, d.names.indexOf(M))), M, specs.a.names), 'iid', factors);
        const mb = fitStep(subDesign(db, db.y, Y, specs.direct.names), 'iid', factors);
        // a replicate that loses a column to collinearity estimates a different model: count it as failed
        if (!ma.fit.dropped.length && !mb.fit.dropped.length) draws.push(coefOf(ma, X).est * coefOf(mb, M).est);
      } catch (e) {
        if (!(e instanceof EstimationInputError)) throw e;
      }
    }
    bootOk = draws.length;
    if (bootOk < B) warnings.push(`${B - bootOk} of ${B} bootstrap replications failed (singular or collinear design) and were skipped`);
    if (bootOk > 1) {
      draws.sort((p, q) => p - q);
      const alpha = 1 - (o.level ?? 0.95);
      ci = [quantile7(draws, alpha / 2), quantile7(draws, 1 - alpha / 2)];
    }
  }

  const steps = Object.fromEntries(STEPS.map((s) => [s === 'a' ? 'aPath' : s, {
    dependent: specs[s].yName,
    nobs: models[s].result.nobs,
    r2: models[s].result.fit.r2,
    coefficients: models[s].result.coefficients,
  }]));
  const coefficients: CoefficientRow[] = STEPS.flatMap((s) => models[s].result.coefficients.map((r) => ({ ...r, term: `${s}/${r.term}` })));
  const direct = models.direct.result;
  return {
    estimator: 'mediation',
    nobs: direct.nobs,
    ngroups: direct.ngroups,
    dfResid: direct.dfResid,
    vcovType: direct.vcovType,
    coefficients,
    fit: { ...emptyFit(), r2: direct.fit.r2, r2Within: direct.fit.r2Within, r2Adj: direct.fit.r2Adj, sigma2: direct.fit.sigma2 },
    params: {
      rho: null, lambda: null, theta: null,
      treatment: X, mediator: M, outcome: Y,
      a: a.est, b: b.est, total: c.est, direct: cp.est,
      indirect,
      sobelSE,
      proportionMediated: c.est !== 0 ? indirect / c.est : null,
      bootstrap: B > 0 ? { replications: B, succeeded: bootOk, seed: o.seed ?? 1, unit: d.id ? d.id.name : 'row', level: o.level ?? 0.95, ci } : null,
    },
    tests: { sobel: { statistic: z, pValue: pNorm(z) } },
    steps,
    warnings,
    nobsDropped: d.nobsDropped,
  };
}
