// Which queries the response cache may keep: those whose every root field is a pure function of the stored data
// (and so of the data version). Jobs, API keys, the import log and estimates change without a data version move.
import type { PreparedOperation } from '../graphql/document-cache.js';

const PURE_ROOTS = new Set([
  '__typename', '__schema', '__type',
  'cities', 'city', 'firm', 'firms', 'dataset', 'spatialAutocorrelation', 'spatialVariables', 'agglomeration',
  'nqpWeights', 'firmKinds', 'descriptives', 'regressionTable', 'cityVariables', 'cityStats', 'firmCounts',
]);

const verdicts = new WeakMap<PreparedOperation, boolean>();

export function isCacheable(op: PreparedOperation): boolean {
  let v = verdicts.get(op);
  if (v === undefined) {
    // fragments or directives at the root: not worth reasoning about, computed every time
    v = op.operation.selectionSet.selections.every((s) => s.kind === 'Field' && !s.directives?.length && PURE_ROOTS.has(s.name.value));
    verdicts.set(op, v);
  }
  return v;
}
