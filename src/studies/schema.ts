// The study file (docs/studies.md, JSON Schema docs/study.schema.json): the variables' roles, the data the panel is
// built from, composites and the tables, each a block of model specs or a descriptives / Moran / spatial-model block.
// Strings may hold role placeholders ({outcome}, {controls}, ...: roles.ts) so that a study names each variable once.
import { z } from 'zod';
import { CompositeDefinitionSchema } from '../composites/index.js';
import { ModelSpecSchema } from '../estimation/spec.js';

const name = z.string().min(1);
const Text = z.string();

/** Sample rules and co-agglomeration options of the domain layer (docs/domain.md); checked there, passed through here. */
const PanelData = z.object({
  sample: z.record(z.string(), z.unknown()).optional().describe('sample rules of the domain layer (docs/domain.md section 4)'),
  rta: z.record(z.string(), z.unknown()).optional().describe('co-agglomeration index options (docs/domain.md)'),
}).strict();
export type PanelData = z.infer<typeof PanelData>;

export const Roles = z.object({
  outcome: name.describe('dependent variable: {outcome}'),
  core: name.describe('core regressor: {core}'),
  controls: z.array(name).default([]).describe('control variables: {controls}'),
  mediators: z.array(name).default([]).describe('mediators: {mediators}'),
  /** more named roles, e.g. {"treated": "D"} → {treated} */
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.union([name, z.array(name)])).default({}),
}).strict();
export type Roles = z.infer<typeof Roles>;

/** A composite index of the study's own indicators (src/composites: a leading '-' marks a cost indicator). */
export const CompositeDef = CompositeDefinitionSchema;
export type CompositeDef = z.input<typeof CompositeDefinitionSchema>;

/** A model spec whose strings may hold placeholders; checked against ModelSpecSchema after expansion. */
const Spec = z.record(z.string(), z.unknown()).describe('a model spec (docs/estimation.md), placeholders allowed');

const Model = z.object({
  title: Text.optional(),
  spec: Spec,
  /** this column's panel differs from the table's (e.g. another variance of the co-agglomeration index) */
  data: PanelData.optional(),
}).strict();

const common = {
  title: Text,
  notes: z.array(Text).default([]),
  /** the panel of this block differs from the study's (merged over data.sample / data.rta) */
  data: PanelData.optional(),
};

const Descriptives = z.object({ kind: z.literal('descriptives'), ...common, variables: z.array(name).min(1) }).strict();

const Regression = z.object({
  kind: z.literal('regression'), ...common,
  models: z.array(Model).min(1),
  terms: z.array(name).optional(),
  labels: z.record(z.string(), Text).optional(),
  controls: z.array(name).optional(),
  fixedEffectRows: z.record(z.string(), z.array(name)).optional(),
  tests: z.record(z.string(), Text).optional(),
  /** rows read from each result: label and a dotted path into it (e.g. params.instruments, ngroups) */
  extraRows: z.array(z.object({ label: Text, from: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/) }).strict()).optional(),
  digits: z.number().int().min(0).max(10).optional(),
}).strict();

const Mediation = z.object({
  kind: z.literal('mediation'), ...common,
  /** one three-step mediation per mediator; {mediator} in the spec is each of them */
  mediators: z.array(name).min(1),
  spec: Spec,
}).strict();

const Weights = z.object({ type: z.enum(['queen', 'rook', 'knn', 'distance']), k: z.number().int().positive().optional(), km: z.number().positive().optional(), style: z.enum(['W', 'B']).default('W') }).strict();

const Moran = z.object({
  kind: z.literal('moran'), ...common,
  variable: name,
  weights: Weights.default({ type: 'queen', style: 'W' }),
}).strict();

const Spatial = z.object({
  kind: z.literal('spatial'), ...common,
  /** spatial panel model with two-way fixed effects (Lee-Yu bias-corrected ML) */
  model: z.enum(['sar', 'sdm']),
  formula: z.string().min(3),
  weights: Weights.default({ type: 'queen', style: 'W' }),
  column: Text.optional(),
  impactsTitle: Text.optional(),
  impactsNotes: z.array(Text).default([]),
}).strict();

const Block = z.discriminatedUnion('kind', [Descriptives, Regression, Mediation, Moran, Spatial]);
export type Block = z.infer<typeof Block>;
export type RegressionBlock = z.infer<typeof Regression>;
export type MediationBlock = z.infer<typeof Mediation>;
export type MoranBlock = z.infer<typeof Moran>;
export type SpatialBlock = z.infer<typeof Spatial>;
export type DescriptivesBlock = z.infer<typeof Descriptives>;

const TableEntry = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a file stem: letters, digits, - and _'),
  label: Text.optional(),
  block: Block,
  /** further parts of the same table file (e.g. a Moran table and a spatial model) */
  more: z.array(Block).default([]),
}).strict();
export type TableEntry = z.infer<typeof TableEntry>;

const MapEntry = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  variable: name,
  title: Text,
  subtitle: Text.default(''),
  palette: z.enum(['YlOrRd', 'YlGnBu']).default('YlGnBu'),
}).strict();

export const StudySchema = z.object({
  $schema: z.string().optional(),
  title: Text,
  description: Text.default(''),
  data: z.object({
    level: z.literal('city').default('city'),
    panel: z.object({ id: name, time: name }).strict().default({ id: 'city', time: 'year' }),
    sample: PanelData.shape.sample,
    rta: PanelData.shape.rta,
    /** stored variable → the study's name for it (applied to the panel before anything else sees it) */
    rename: z.record(name, name).default({}),
  }).strict().default({ level: 'city', panel: { id: 'city', time: 'year' }, rename: {} }),
  roles: Roles,
  composites: z.array(CompositeDef).default([]),
  tables: z.array(TableEntry).min(1),
  /** choropleths of variables in the last year with a value, and LISA clusters of one (on a panel without sample rules) */
  maps: z.object({
    data: PanelData.optional(),
    choropleths: z.array(MapEntry).default([]),
    lisa: z.object({ id: z.string().regex(/^[A-Za-z0-9_-]+$/), variable: name, title: Text }).strict().optional(),
    yearOf: name.optional().describe('the year of the maps is the last with a value of this variable (default: the LISA variable)'),
  }).strict().optional(),
}).strict();

export type Study = z.infer<typeof StudySchema>;
export type StudyInput = z.input<typeof StudySchema>;
export { ModelSpecSchema };
