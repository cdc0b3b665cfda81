// Public library API of the estimation core (pure numerics: no I/O). See docs/estimation.md.
export { estimate, validateSpec, linear, type EstimateContext } from './estimate.js';
export { ModelSpecSchema, type ModelSpec, estimators } from './spec.js';
export { type EstimationResult, type CoefficientRow, type TestStat, type Fit, type Impact, EstimationInputError, emptyFit } from './result.js';
export { type DataFrame, type Column, frameFromColumns, frameFromRecords, columnNames, numericColumn, factorCodes, type FactorCodes, PanelIndex, Evaluator, evalWhere } from './frame.js';
export { parseFormula, parseExpression, exprName, instrumentSpec, type ParsedFormula, type Term, type Expr } from './formula.js';
export { buildDesign, timeFactor, type Design, type DesignOptions } from './design.js';
export { fitPooled, fitWithin, fitFirstDiff, fitBetween, fitRandom, hausman, type LinearModel, type LinearOptions } from './panel.js';
export { computeVcov, clusterMeat, type VcovOption, type VcovInput, type VcovResult, type ClusterVar } from './vcov.js';
export { demean, factorDf, components, nestedIn, type Factor, type DemeanResult } from './absorb.js';
export { leastSquares, coefficientTable, type LsFit } from './linear.js';
export { fitMediation, type MediationOptions } from './mediation.js';
export { entropyWeights, groupedComposite, type EntropyOptions, type EntropyResult, type GroupWeights } from './composite.js';
export { describe, winsorize, quantile, quantile7, type Describe } from './describe.js';
export { mulberry32, type Rng } from './prng.js';
