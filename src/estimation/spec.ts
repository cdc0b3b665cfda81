// The one model spec that drives GraphQL, CLI and library calls (DESIGN.md "Analyst contract").
import { z } from 'zod';
import { LOGDET_METHODS } from './spatial/logdet.js';

export const estimators = ['ols', 'fe', 're', 'fd', 'between', 'diff_gmm', 'sys_gmm', 'sar', 'sem', 'sdm', 'slx', 'mediation'] as const;

export const ModelSpecSchema = z.object({
  estimator: z.enum(estimators),
  formula: z.string().min(3).optional(),
  panel: z.object({ id: z.string().min(1), time: z.string().min(1) }).optional(),
  effects: z.enum(['individual', 'time', 'twoways']).optional(),
  /** estimator 'fd': 'plm' (default) differences consecutive observed rows, 'stata' only adjacent periods */
  fdGaps: z.enum(['plm', 'stata']).optional(),
  vcov: z
    .union([
      z.enum(['iid', 'hc0', 'hc1', 'hc2', 'hc3']),
      z.object({ cluster: z.array(z.string().min(1)).min(1).max(2), smallSample: z.enum(['plm', 'stata', 'none']).optional() }),
    ])
    .optional(),
  gmm: z
    .object({
      instruments: z.array(z.string()).optional(),
      ivInstruments: z.array(z.string()).optional(),
      steps: z.union([z.literal(1), z.literal(2)]).optional(),
      collapse: z.boolean().optional(),
      timeDummies: z.boolean().optional(),
    })
    .optional(),
  weights: z
    .object({
      geojson: z.string().optional(),
      id: z.string().optional(),
      type: z.enum(['queen', 'rook', 'knn', 'distance']),
      k: z.number().int().positive().optional(),
      km: z.number().positive().optional(),
      style: z.enum(['W', 'B']).optional(),
    })
    .optional(),
  /** spatial ML log-determinant: 'auto' (default: dense eigenvalues up to 100 units, sparse Cholesky 'Matrix'
   * above for symmetric weights, LU / Monte Carlo for asymmetric ones), or one of them forced */
  logdet: z.enum(LOGDET_METHODS).optional(),
  mediation: z
    .object({
      treatment: z.string(),
      mediator: z.string(),
      outcome: z.string(),
      controls: z.array(z.string()).optional(),
      bootstrap: z.number().int().nonnegative().optional(),
      seed: z.number().int().optional(),
    })
    .optional(),
  sample: z.object({ where: z.string().optional() }).optional(),
});

export type ModelSpec = z.infer<typeof ModelSpecSchema>;
