// The domain layer's public API: firm classification, counts and co-agglomeration, NQP, sample rules, panels.
export { DomainInputError } from './errors.js';
export { KINDS, METRICS, RuleSetSchema, DEFAULT_RULE_SET, parseRuleSet, loadRuleSet } from './rules.js';
export type { Kind, Metric, RuleSet, Condition, Clause } from './rules.js';
export { classifyFirmYear, checkKinds, metricsOf } from './classify.js';
export type { FirmYearFacts, Classification, KindCheck, MetricValues } from './classify.js';
export { classifyAll, ensureClassified, classifiedVersionKey, classifyPreview, compareWithIntended, explainFirmYear, explainFacts, firmKinds, firmsChangingKind } from './kinds.js';
export type { ClassifySummary, Explanation } from './kinds.js';
export {
  rta, rtaWith, rtaCap, variance3, parseRtaOptions, RtaOptionsSchema, entropyDiversity, inverseHerfindahl,
  egCoagglomeration, cityMeasures,
} from './agglomeration.js';
export type { Counts, Measure, RtaOptions, RtaSettings, EgCity, EgResult, CityYearCounts, CityYearMeasures } from './agglomeration.js';
export { cityAgglomeration, AgglomerationOptionsSchema } from './coagglomeration.js';
export type { AgglomerationOptions, AgglomerationResult } from './coagglomeration.js';
export { nqpComposite, nqpScores, nqpWeights, NqpOptionsSchema, NQP_INDICATORS } from './nqp.js';
export type { NqpOptions, NqpWeights, NqpResult } from './nqp.js';
export { SampleSpecSchema, parseSampleSpec, applySample, STANDARD_VARS } from './sample.js';
export type { SampleSpec, SampleSettings, RuleReport, SampleResult, SampleColumns } from './sample.js';
export { cityPanel, firmPanel, CITY_PANEL_COLUMNS, FirmPanelOptionsSchema } from './panel.js';
export type { Panel, PanelMeta, PanelOptions } from './panel.js';
export { dataVersion } from '../db/queries/domain.js';
