// GraphQL types of the analysis API: agglomeration indices, NQP, firm kinds, model specs and estimation results,
// background jobs and publication tables. Every decorator names its type explicitly (no emitted metadata).
import 'reflect-metadata';
import { GraphQLScalarType } from 'graphql';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { literalToJs } from './scalars.js';
import { City, Firm, NeighbourTypeEnum, Region } from './types.js';

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value (estimator-specific extras such as mediation steps or GMM instrument counts).',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => literalToJs(ast, variables),
});

export enum AgglomerationIndex { RTA = 'RTA', ENTROPY = 'ENTROPY', INV_HHI = 'INV_HHI', EG = 'EG', Q1 = 'Q1', Q2 = 'Q2', Q3 = 'Q3' }
registerEnumType(AgglomerationIndex, {
  name: 'AgglomerationIndex',
  description: 'RTA = 1/Var(Q1,Q2,Q3); ENTROPY normalised Shannon entropy of the kind shares; INV_HHI inverse Herfindahl; EG Ellison-Glaeser-style co-agglomeration; Q1..Q3 the fledgling / gazelle / unicorn counts (docs/domain.md).',
});

export enum PanelLevel { CITY = 'city', FIRM = 'firm' }
registerEnumType(PanelLevel, { name: 'PanelLevel', description: 'CITY: the city-year panel; FIRM: firm-years of equation (1) with firm, industry and year effects.' });

export enum TableFormat { MARKDOWN = 'markdown', LATEX = 'latex', HTML = 'html', DOCX = 'docx' }
registerEnumType(TableFormat, { name: 'TableFormat', description: 'DOCX: a Word document (three-line table), base64-encoded' });

export enum JobStatusEnum { QUEUED = 'QUEUED', RUNNING = 'RUNNING', DONE = 'DONE', FAILED = 'FAILED', CANCELLED = 'CANCELLED' }
registerEnumType(JobStatusEnum, { name: 'JobStatus' });

// ---------------- inputs ----------------

@InputType({ description: 'Options of RTA = 1 / Var(Q1, Q2, Q3) (docs/domain.md section 2).' })
export class RtaOptionsInput {
  @Field(() => String, { nullable: true, description: "'population' (default, ÷3) or 'sample' (÷2)" }) variance?: string;
  @Field(() => String, { nullable: true, description: "Var = 0: 'cap' (default), 'null' or 'epsilon'" }) zeroVariance?: string;
  @Field(() => Float, { nullable: true }) cap?: number;
  @Field(() => Float, { nullable: true }) epsilon?: number;
  @Field(() => String, { nullable: true, description: "Q = (0,0,0): 'zeroVariance' (default) or 'null'" }) allZero?: string;
}

@InputType()
export class PanelSpecInput {
  @Field(() => String) id!: string;
  @Field(() => String) time!: string;
}

@InputType({ description: "Covariance: type 'iid' (default) | 'hc0' | 'hc1' | 'hc2' | 'hc3', or cluster variables." })
export class VcovInput {
  @Field(() => String, { nullable: true }) type?: string;
  @Field(() => [String], { nullable: true }) cluster?: string[];
  @Field(() => String, { nullable: true, description: "cluster small-sample factor: 'plm' (default) | 'stata' | 'none'" }) smallSample?: string;
}

@InputType()
export class GmmSpecInput {
  @Field(() => [String], { nullable: true, description: 'GMM-style instruments, e.g. "lag(NQP, 2:99)"' }) instruments?: string[];
  @Field(() => [String], { nullable: true }) ivInstruments?: string[];
  @Field(() => Int, { nullable: true, description: '1 or 2' }) steps?: number;
  @Field(() => Boolean, { nullable: true }) collapse?: boolean;
  @Field(() => Boolean, { nullable: true }) timeDummies?: boolean;
}

@InputType()
export class MediationSpecInput {
  @Field(() => String) treatment!: string;
  @Field(() => String) mediator!: string;
  @Field(() => String) outcome!: string;
  @Field(() => [String], { nullable: true }) controls?: string[];
  @Field(() => Int, { nullable: true }) bootstrap?: number;
  @Field(() => Int, { nullable: true }) seed?: number;
}

@InputType({ description: 'Spatial weights from the stored city contiguity (QUEEN / ROOK) or centroids (KNN / DISTANCE).' })
export class WeightsSpecInput {
  @Field(() => NeighbourTypeEnum) type!: NeighbourTypeEnum;
  @Field(() => Int, { nullable: true }) k?: number;
  @Field(() => Float, { nullable: true }) km?: number;
  @Field(() => String, { nullable: true, description: "'W' row-standardised (default) or 'B' binary" }) style?: string;
}

@InputType()
export class WinsorizeInput {
  @Field(() => [String], { nullable: true, description: 'default: the key variables' }) vars?: string[];
  @Field(() => Float, { nullable: true }) lower?: number;
  @Field(() => Float, { nullable: true }) upper?: number;
}

@InputType({ description: 'The paper\'s sample rules (docs/domain.md section 4) plus an estimation filter `where`.' })
export class SampleRulesInput {
  @Field(() => String, { nullable: true, description: 'filter of the estimation sample after lags are built, e.g. "year >= 2014"' }) where?: string;
  @Field(() => Boolean, { nullable: true, description: "the paper's rule (1): drop units whose administrative area changed within the sample years (data/admin-changes.json); off by default" }) dropChangedUnits?: boolean;
  @Field(() => Boolean, { nullable: true }) dropStFirms?: boolean;
  @Field(() => Boolean, { nullable: true }) dropFinancialFirms?: boolean;
  @Field(() => Boolean, { nullable: true }) dropBrokenCities?: boolean;
  @Field(() => Int, { nullable: true }) maxMissingYears?: number;
  @Field(() => [String], { nullable: true }) keyVars?: string[];
  @Field(() => Boolean, { nullable: true }) dropMissing?: boolean;
  @Field(() => Float, { nullable: true, description: 'drop NQP > k × mean (default 3)' }) nqpOutlierK?: number;
  @Field(() => Boolean, { nullable: true, description: 'true: keep NQP outliers (nqpOutlierK = null)' }) keepNqpOutliers?: boolean;
  @Field(() => Boolean, { nullable: true }) balanced?: boolean;
  @Field(() => [String], { nullable: true }) log?: string[];
  @Field(() => WinsorizeInput, { nullable: true }) winsorize?: WinsorizeInput;
  @Field(() => Boolean, { nullable: true, description: 'true: no winsorising' }) noWinsorize?: boolean;
  @Field(() => [Int], { nullable: true, description: '[from, to], inclusive' }) years?: number[];
}

@InputType({ description: 'A model spec on the stored panel: the JSON ModelSpec of docs/estimation.md plus level, sample rules and RTA options.' })
export class ModelSpecInput {
  @Field(() => String, { description: 'ols | fe | re | fd | between | diff_gmm | sys_gmm | sar | sem | sdm | slx | mediation' }) estimator!: string;
  @Field(() => String, { nullable: true, description: 'R-style formula, e.g. "NQP ~ RTA + Popsiz | city + year"' }) formula?: string;
  @Field(() => PanelSpecInput, { nullable: true }) panel?: PanelSpecInput;
  @Field(() => String, { nullable: true, description: 'individual | time | twoways' }) effects?: string;
  @Field(() => String, { nullable: true, description: "fd gaps: 'plm' | 'stata'" }) fdGaps?: string;
  @Field(() => VcovInput, { nullable: true }) vcov?: VcovInput;
  @Field(() => GmmSpecInput, { nullable: true }) gmm?: GmmSpecInput;
  @Field(() => MediationSpecInput, { nullable: true }) mediation?: MediationSpecInput;
  @Field(() => WeightsSpecInput, { nullable: true }) weights?: WeightsSpecInput;
  @Field(() => String, { nullable: true, description: "spatial ML log-determinant: 'auto' (default), 'eigen', 'LU', 'Matrix' (sparse Cholesky, as spatialreg) or 'MC' (Monte Carlo)" }) logdet?: string;
  @Field(() => PanelLevel, { nullable: true, defaultValue: PanelLevel.CITY }) level?: PanelLevel;
  @Field(() => SampleRulesInput, { nullable: true }) sample?: SampleRulesInput;
  @Field(() => RtaOptionsInput, { nullable: true }) rta?: RtaOptionsInput;
  @Field(() => String, { nullable: true, description: 'column header in regressionTable' }) title?: string;
}

@InputType()
export class AgglomerationFilter {
  @Field(() => [String], { nullable: true }) province?: string[];
  @Field(() => [Region], { nullable: true }) region?: Region[];
  @Field(() => [String], { nullable: true }) code?: string[];
}

// ---------------- outputs ----------------

@ObjectType()
export class AgglomerationValue {
  @Field(() => String) cityCode!: string;
  @Field(() => City) city!: City;
  @Field(() => Int) year!: number;
  @Field(() => Float, { nullable: true, description: 'null when undefined under the chosen options (see note)' }) value!: number | null;
  @Field(() => String, { nullable: true }) note!: string | null;
  @Field(() => Int) q1!: number;
  @Field(() => Int) q2!: number;
  @Field(() => Int) q3!: number;
}

@ObjectType()
export class NqpIndicatorWeight {
  @Field(() => String) name!: string;
  @Field(() => Int, { description: '+1 larger is better, -1 smaller is better' }) direction!: number;
  @Field(() => Float) weight!: number;
  @Field(() => Float) entropy!: number;
}

@ObjectType({ description: 'Entropy weights of the NQP composite: pooled over all years, or that year\'s own.' })
export class NqpWeightsResult {
  @Field(() => Int, { nullable: true }) year!: number | null;
  @Field(() => Int, { description: 'city-years the weights were estimated from' }) n!: number;
  @Field(() => [NqpIndicatorWeight]) indicators!: NqpIndicatorWeight[];
}

@ObjectType()
export class FirmKindResult {
  @Field(() => Int) firmId!: number;
  @Field(() => Firm) firm!: Firm;
  @Field(() => Int) year!: number;
  @Field(() => String) kind!: string;
  @Field(() => [String], { description: 'every kind whose rules the firm-year met (precedence chose `kind`)' }) qualified!: string[];
  @Field(() => [String], { description: 'the conditions of `kind` as met, e.g. "age 6 < 10"' }) reasons!: string[];
  @Field(() => String) ruleVersion!: string;
}

@ObjectType()
export class CoefficientRowType {
  @Field(() => String) term!: string;
  @Field(() => Float) estimate!: number;
  @Field(() => Float, { nullable: true }) stdError!: number | null;
  @Field(() => Float, { nullable: true }) statistic!: number | null;
  @Field(() => Float, { nullable: true }) pValue!: number | null;
}

@ObjectType()
export class FitType {
  @Field(() => Float, { nullable: true }) r2!: number | null;
  @Field(() => Float, { nullable: true }) r2Within!: number | null;
  @Field(() => Float, { nullable: true }) r2Adj!: number | null;
  @Field(() => Float, { nullable: true }) logLik!: number | null;
  @Field(() => Float, { nullable: true }) aic!: number | null;
  @Field(() => Float, { nullable: true }) sigma2!: number | null;
}

@ObjectType()
export class ParamsType {
  @Field(() => Float, { nullable: true }) rho!: number | null;
  @Field(() => Float, { nullable: true }) lambda!: number | null;
  @Field(() => Float, { nullable: true }) theta!: number | null;
  @Field(() => JSONScalar, { description: 'all parameters as the library returns them' }) all!: unknown;
}

@ObjectType()
export class TestStatType {
  @Field(() => String) name!: string;
  @Field(() => Float, { nullable: true }) statistic!: number | null;
  @Field(() => Float, { nullable: true }) pValue!: number | null;
  @Field(() => Float, { nullable: true }) df!: number | null;
}

@ObjectType()
export class ImpactType {
  @Field(() => String) term!: string;
  @Field(() => Float) direct!: number;
  @Field(() => Float) indirect!: number;
  @Field(() => Float) total!: number;
  @Field(() => Float, { nullable: true }) directSE!: number | null;
  @Field(() => Float, { nullable: true }) indirectSE!: number | null;
  @Field(() => Float, { nullable: true }) totalSE!: number | null;
}

@ObjectType({ description: 'What one sample rule did.' })
export class SampleRuleReport {
  @Field(() => String) rule!: string;
  @Field(() => String) detail!: string;
  @Field(() => Int) rowsBefore!: number;
  @Field(() => Int) rowsDropped!: number;
  @Field(() => Int) rowsAfter!: number;
  @Field(() => [String]) citiesDropped!: string[];
  @Field(() => Int, { nullable: true }) valuesChanged!: number | null;
  @Field(() => JSONScalar, { nullable: true, description: 'what a rule applied before the panel existed removed (firms, firm-years)' }) upstream!: unknown;
}

@ObjectType({ description: 'An EstimationResult (src/estimation/result.ts) plus the sample report and provenance.' })
export class EstimateResult {
  @Field(() => String) estimator!: string;
  @Field(() => PanelLevel) level!: PanelLevel;
  @Field(() => Int) nobs!: number;
  @Field(() => Int, { nullable: true }) ngroups!: number | null;
  @Field(() => Float, { nullable: true }) dfResid!: number | null;
  @Field(() => String) vcovType!: string;
  @Field(() => [CoefficientRowType]) coefficients!: CoefficientRowType[];
  @Field(() => FitType) fit!: FitType;
  @Field(() => ParamsType) params!: ParamsType;
  @Field(() => [TestStatType]) tests!: TestStatType[];
  @Field(() => [ImpactType], { nullable: true }) impacts!: ImpactType[] | null;
  @Field(() => [String]) warnings!: string[];
  @Field(() => [SampleRuleReport]) sampleReport!: SampleRuleReport[];
  @Field(() => Int, { description: 'data version of the store the panel came from' }) dataVersion!: number;
  @Field(() => JSONScalar, { description: 'the complete library result (mediation steps, fixed effects, ...)' }) raw!: unknown;
}

@ObjectType()
export class JobError {
  @Field(() => String) message!: string;
  @Field(() => String, { nullable: true, description: 'the spec field at fault, e.g. spec.formula' }) field!: string | null;
  @Field(() => String, { nullable: true, description: 'the setting whose bound the job exceeded, e.g. AGGLOMERA_ESTIMATE_MAX_ROWS' }) limit!: string | null;
}

@ObjectType({ description: 'A background estimate.' })
export class Job {
  @Field(() => ID) id!: string;
  @Field(() => JobStatusEnum) status!: JobStatusEnum;
  @Field(() => Float, { description: '0 queued, 0.25 panel built, 0.5 estimating, 1 finished' }) progress!: number;
  @Field(() => EstimateResult, { nullable: true }) result!: EstimateResult | null;
  @Field(() => JobError, { nullable: true }) error!: JobError | null;
  @Field(() => Boolean, { description: 'answered from the result cache (same spec, same data version)' }) cached!: boolean;
  @Field(() => String) submittedAt!: string;
  @Field(() => String, { nullable: true }) finishedAt!: string | null;
  @Field(() => Int, { description: 'runs started (a job interrupted by a stopped process is run again, bounded)' }) attempts!: number;
}

@ObjectType({ description: 'One table of a study, rendered.' })
export class StudyTableOutput {
  @Field(() => String, { description: 'file stem, e.g. table2' }) id!: string;
  @Field(() => String) label!: string;
  @Field(() => String) markdown!: string;
  @Field(() => String) latex!: string;
  @Field(() => String, { description: 'a standalone HTML page' }) html!: string;
  @Field(() => String, { description: 'the .docx (three-line tables), base64-encoded' }) docx!: string;
}

@ObjectType({ description: 'A study run in the background (submitStudy).' })
export class StudyJob {
  @Field(() => ID) id!: string;
  @Field(() => JobStatusEnum) status!: JobStatusEnum;
  @Field(() => Float, { description: 'share of the tables done' }) progress!: number;
  @Field(() => JobError, { nullable: true, description: 'field: the dotted path of the study field at fault' }) error!: JobError | null;
  @Field(() => Boolean) cached!: boolean;
  @Field(() => String, { nullable: true }) title!: string | null;
  @Field(() => [StudyTableOutput], { nullable: true }) tables!: StudyTableOutput[] | null;
  @Field(() => String, { nullable: true, description: 'report.md: every table in Markdown' }) reportMarkdown!: string | null;
  @Field(() => String, { nullable: true, description: 'study.docx (every table), base64-encoded' }) docx!: string | null;
  @Field(() => String) submittedAt!: string;
  @Field(() => String, { nullable: true }) finishedAt!: string | null;
  @Field(() => Int) attempts!: number;
}

@ObjectType()
export class DescriptiveRow {
  @Field(() => String) variable!: string;
  @Field(() => Int) n!: number;
  @Field(() => Float, { nullable: true }) mean!: number | null;
  @Field(() => Float, { nullable: true }) sd!: number | null;
  @Field(() => Float, { nullable: true }) min!: number | null;
  @Field(() => Float, { nullable: true }) median!: number | null;
  @Field(() => Float, { nullable: true }) max!: number | null;
}
