// Composite indices of one's own indicators: definitions (zod), their store, their computation per data version, and
// named variables (stored variables and composites by name) — the API the doors, the panel, OGC, tiles and studies use.
export {
  CompositeDefinitionSchema, parseCompositeDefinition, parseYearsRange, indicatorName, indicatorDirection, COMPOSITE_NAME,
  type CompositeDefinition, type CompositeDefinitionInput,
} from './definition.js';
export { computeComposite, storedColumns, definitionOf, computeOptionsOf, type CompositeResult, type CompositeWeights, type IndicatorWeight, type ComputeOptions } from './compute.js';
export { defineComposite, listComposites, getComposite, dropComposite, type CompositeInfo } from './store.js';
export { namedVariables, namedVariableValues, namedVariableColumns, namedVariableByUnit, compositeValuesOf, compositeNames, type NamedVariable, type VariableValue, type VariableColumn } from './values.js';
