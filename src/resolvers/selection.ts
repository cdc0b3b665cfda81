// Look-ahead: what a field's selection asks for, read from the operation's AST the way graphql-js's CollectFields
// reads it (fragments, inline fragments with type conditions, @skip / @include with variables, aliases merged by
// response key). Resolvers use it to fetch only the asked-for columns; the planner to fetch nested fields ahead.
import {
  getArgumentValues, getDirectiveValues, GraphQLIncludeDirective, GraphQLSkipDirective, isAbstractType, isObjectType, Kind,
  type FieldNode, type FragmentDefinitionNode, type GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { CITY_FIELDS } from '../db/queries/cities.js';
import { CITY_YEAR_FIELDS, FIRM_FIELDS } from '../db/queries/panel.js';

export interface Scope {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

export const scopeOf = (info: GraphQLResolveInfo): Scope =>
  ({ schema: info.schema, fragments: info.fragments, variables: info.variableValues });

const included = (s: Scope, node: Parameters<typeof getDirectiveValues>[1]) =>
  getDirectiveValues(GraphQLSkipDirective, node, s.variables)?.if !== true
  && getDirectiveValues(GraphQLIncludeDirective, node, s.variables)?.if !== false;

function applies(s: Scope, typeName: string, type: GraphQLObjectType): boolean {
  if (typeName === type.name) return true;
  const t = s.schema.getType(typeName);
  return !!t && isAbstractType(t) && s.schema.isSubType(t, type);
}

/** The fields `sets` ask of an object type, by response key, each with all its field nodes (in document order). */
export function collectFields(s: Scope, typeName: string, sets: readonly SelectionSetNode[]): Map<string, FieldNode[]> {
  const type = s.schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
  const out = new Map<string, FieldNode[]>();
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const sel of set.selections) {
      if (!included(s, sel)) continue;
      if (sel.kind === Kind.FIELD) {
        const key = sel.alias?.value ?? sel.name.value;
        const list = out.get(key);
        if (list) list.push(sel); else out.set(key, [sel]);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        if (!sel.typeCondition || applies(s, sel.typeCondition.name.value, type)) walk(sel.selectionSet);
      } else {
        const name = sel.name.value;
        const frag = s.fragments[name];
        if (seen.has(name) || !frag || !applies(s, frag.typeCondition.name.value, type)) continue;
        seen.add(name);
        walk(frag.selectionSet);
      }
    }
  };
  sets.forEach(walk);
  return out;
}

/** The selection sets of some field nodes (of one response key, or several merged). */
export const subSets = (nodes: readonly FieldNode[]): SelectionSetNode[] =>
  nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));

/** A field's arguments as execution coerces them (defaults, variables, enum values); null when they do not coerce. */
export function argsOf(s: Scope, typeName: string, node: FieldNode): Record<string, unknown> | null {
  const def = (s.schema.getType(typeName) as GraphQLObjectType).getFields()[node.name.value];
  if (!def) return null;
  try { return getArgumentValues(def, node, s.variables); } catch { return null; }
}

/**
 * The CityYear fields a `metrics` selection needs from the database, or null for all of them (a field computed by a
 * resolver, such as `value(name:)`, may read any column and the unit's code).
 */
export function cityYearFields(s: Scope, nodes: readonly FieldNode[]): string[] | null {
  const out = new Set<string>(['year']);
  for (const [, fs] of collectFields(s, 'CityYear', subSets(nodes))) {
    const name = fs[0].name.value;
    if (name === '__typename') continue;
    if (!CITY_YEAR_FIELDS.includes(name)) return null;
    out.add(name);
  }
  return [...out].sort();
}

/**
 * The Firm fields a `firms` connection's `nodes` need (null = all), whether they ask for `history`, and whether the
 * connection asks for `totalCount`. `id` and `cityCode` always come (cursors, Firm.city, Firm.history).
 */
export function firmFields(s: Scope, nodes: readonly FieldNode[]): { fields: string[] | null; history: boolean; count: boolean } {
  const out = new Set<string>(['cityCode', 'id']);
  let history = false, all = false, count = false;
  for (const [, conn] of collectFields(s, 'FirmConnection', subSets(nodes))) {
    if (conn[0].name.value === 'totalCount') count = true;
    if (conn[0].name.value !== 'nodes') continue;
    for (const [, fs] of collectFields(s, 'Firm', subSets(conn))) {
      const name = fs[0].name.value;
      if (name === '__typename' || name === 'city') continue;
      if (name === 'history') history = true;
      else if (FIRM_FIELDS.includes(name)) out.add(name);
      else all = true;
    }
  }
  return { fields: all ? null : [...out].sort(), history, count };
}

/** City fields computed from the unit's code alone (nested loads, analysis): they need no other record field. */
const CODE_ONLY = new Set(['metrics', 'firms', 'neighbours', 'boundary', 'rta', 'nqp', '__typename']);

/** The City record fields a selection of cities reads (null = all of them, for fields this function does not know). */
export function cityRecordFields(s: Scope, sets: readonly SelectionSetNode[]): string[] | null {
  const out = new Set<string>(['code']);
  for (const [, fs] of collectFields(s, 'City', sets)) {
    const name = fs[0].name.value;
    if (CITY_FIELDS.includes(name)) out.add(name);
    else if (name === 'centroid') { out.add('lon'); out.add('lat'); }
    else if (!CODE_ONLY.has(name)) return null;
  }
  return [...out].sort();
}
