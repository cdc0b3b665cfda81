// GraphQL limits as Apollo hooks: shape limits (graphql-armor depth / aliases / directives, graphql-js maxTokens), cost
// (graphql-query-complexity, src/limits/cost.ts), batch size, a per-request time budget and a response-size budget.
// Each refusal is one GraphQL error naming the limit, its setting, the maximum and the measured value.
// Shape and cost are measured once per document object (and cost once per operation and store statistics when it has
// no variables: the number follows the data, so it is recomputed when the data version moved); the fast path
// (src/graphql/) uses the same pieces: shapeRules in its single validation pass, the budget, the size check.
import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  defaultFieldResolver, GraphQLError, isObjectType, Kind, Lexer, Source, TokenKind, validate,
  type DocumentNode, type GraphQLSchema, type ValidationContext, type ValidationRule,
} from 'graphql';
import { requireRole } from '../auth/roles.js';
import type { Context } from '../resolvers/loaders.js';
import { stringifyResult } from '../graphql/raw-json.js';
import { operationCost } from './cost.js';
import { storeStatsOrNull, type StoreStats } from './stats.js';
import { fmtBytes, graphqlErrorBody, limitError } from './errors.js';
import { limits, type LimitSettings } from './settings.js';

type ArmorRule = (o: { n: number; propagateOnRejection: boolean; onReject: ((c: ValidationContext | null, e: GraphQLError) => void)[] }) => ValidationRule;

const SHAPE: { rule: ArmorRule; limit: keyof LimitSettings; setting: string; what: string }[] = [
  { rule: maxDepthRule as ArmorRule, limit: 'maxDepth', setting: 'AGGLOMERA_MAX_DEPTH', what: 'depth' },
  { rule: maxAliasesRule as ArmorRule, limit: 'maxAliases', setting: 'AGGLOMERA_MAX_ALIASES', what: 'aliases' },
  { rule: maxDirectivesRule as ArmorRule, limit: 'maxDirectives', setting: 'AGGLOMERA_MAX_DIRECTIVES', what: 'directives' },
];

/** The shape rules at the settings' maxima, each with a counter of the largest excess it saw (found[i]). */
export function shapeRules(s: LimitSettings): { rules: ValidationRule[]; found: number[] } {
  const found = SHAPE.map(() => 0);
  const rules = SHAPE.map((x, i) => {
    const max = s[x.limit] as number;
    const onReject = [(_c: unknown, e: GraphQLError) => { found[i] = Math.max(found[i], Number(/found (\d+)/.exec(e.message)?.[1] ?? max + 1)); }];
    return x.rule({ n: max, propagateOnRejection: false, onReject });
  });
  return { rules, found };
}

/** The first excess of shapeRules' counters as our error, or null. */
export function shapeRefusalOf(found: number[], s: LimitSettings): GraphQLError | null {
  for (let i = 0; i < SHAPE.length; i++) {
    const x = SHAPE[i];
    const max = s[x.limit] as number;
    if (found[i] > max) {
      return limitError('QUERY_TOO_COMPLEX', `query ${x.what} ${found[i]} exceeds the limit of ${max} (${x.setting})`,
        { limit: x.limit, setting: x.setting, max, found: found[i] });
    }
  }
  return null;
}

// Per document object (Apollo keeps one per query text in its document store; the fast path one per cache entry):
// the shape under the settings it was measured with, and the cost of operations without variables under the store
// statistics it was computed with (one statistics object per store and data version: a new version, a new number).
const shapes = new WeakMap<DocumentNode, { s: LimitSettings; refusal: GraphQLError | null }>();
const costs = new WeakMap<DocumentNode, { stats: StoreStats | null; byName: Map<string, number> }>();

/** Depth, aliases and directives of the document, checked with graphql-armor's rules in one pass; the first excess as our error. */
export function shapeRefusal(schema: GraphQLSchema, document: DocumentNode, s: LimitSettings = limits()): GraphQLError | null {
  const known = shapes.get(document);
  if (known?.s === s) return known.refusal;
  const { rules, found } = shapeRules(s);
  validate(schema, document, rules);
  const refusal = shapeRefusalOf(found, s);
  shapes.set(document, { s, refusal });
  return refusal;
}

/** Records a shape measured elsewhere (the fast path validates and measures in one pass). */
export function rememberShape(document: DocumentNode, s: LimitSettings, refusal: GraphQLError | null) {
  shapes.set(document, { s, refusal });
}

const hasVariables = (document: DocumentNode) =>
  document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && !!d.variableDefinitions?.length);

/** The operation's cost on a store holding `stats`; remembered per document, operation name and statistics object
 *  when the document declares no variables. */
export function cachedCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined,
  stats: StoreStats | null): number {
  if (hasVariables(document)) return operationCost(schema, document, variables, operationName, stats);
  let m = costs.get(document);
  if (m?.stats !== stats) costs.set(document, (m = { stats, byName: new Map() }));
  const key = operationName ?? '';
  const known = m.byName.get(key);
  if (known !== undefined) return known;
  const c = operationCost(schema, document, variables, operationName, stats);
  if (m.byName.size < 16) m.byName.set(key, c);
  return c;
}

export function costRefusal(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined,
  operationName: string | undefined, s: LimitSettings = limits(), stats: StoreStats | null = null): GraphQLError | null {
  let found: number;
  try {
    found = cachedCost(schema, document, variables, operationName, stats);
  } catch (e) {
    // variables that do not coerce: execution refuses them as BAD_USER_INPUT before anything runs
    if (e instanceof GraphQLError && e.nodes?.[0]?.kind === Kind.VARIABLE_DEFINITION) return null;
    throw e;
  }
  if (found <= s.maxCost) return null;
  return limitError('QUERY_TOO_COMPLEX', `query cost ${found} exceeds the limit of ${s.maxCost} (AGGLOMERA_MAX_COST; `
    + 'lists multiply the cost of what they select by the items they can return — their page size, capped by the most '
    + 'the store holds per parent: ask for fewer items or less nesting)',
  { limit: 'maxCost', setting: 'AGGLOMERA_MAX_COST', max: s.maxCost, found });
}

/** A JSON-array body with more operations than allowed → the refusal's JSON body; otherwise null. */
export function refuseBatch(body: unknown, s: LimitSettings = limits()): string | null {
  if (!Array.isArray(body) || body.length <= s.maxBatch) return null;
  return graphqlErrorBody(limitError('BATCH_TOO_LARGE',
    `batch of ${body.length} operations exceeds the limit of ${s.maxBatch} (AGGLOMERA_MAX_BATCH)`,
    { limit: 'maxBatch', setting: 'AGGLOMERA_MAX_BATCH', max: s.maxBatch, found: body.length }));
}

function countTokens(source: string): number {
  const lexer = new Lexer(new Source(source));
  let n = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) n++;
  } catch { /* a lexical error ends the count */ }
  return n;
}

// ---- time budget: one deadline per operation, kept on its context object ----
// A timer flips `timedOut`; every resolver that does work first looks at it (one property read), so once the budget is
// spent no new field starts (no new statement is sent). The fast path races the whole execution against the timer;
// Apollo's path (race: true) races each pending resolver instead, so its response is not held by a slow field either.
export interface Budget { deadline: number; ms: number; timedOut: boolean; race: boolean; expired: Promise<never>; timer: NodeJS.Timeout }
const BUDGET = Symbol('agglomera.budget');
type WithBudget = { [BUDGET]?: Budget };

export function timeoutError(ms: number) {
  return limitError('TIMEOUT', `request exceeded its time budget of ${ms} ms (AGGLOMERA_REQUEST_TIMEOUT_MS); its unfinished work was abandoned`,
    { limit: 'requestTimeoutMs', setting: 'AGGLOMERA_REQUEST_TIMEOUT_MS', max: ms, found: ms }, false);
}

/** Starts the budget of the operation whose context this is; `expired` rejects with the TIMEOUT error when it runs out. */
export function startBudget(ctx: object, ms: number, race: boolean): Budget {
  let reject!: (e: unknown) => void;
  const expired = new Promise<never>((_, r) => { reject = r; });
  expired.catch(() => undefined);
  const b: Budget = { deadline: Date.now() + ms, ms, timedOut: false, race, expired, timer: undefined as unknown as NodeJS.Timeout };
  b.timer = setTimeout(() => { b.timedOut = true; reject(timeoutError(ms)); }, ms);
  b.timer.unref();
  (ctx as WithBudget)[BUDGET] = b;
  return b;
}

export const budgetOf = (ctx: object): Budget | undefined => (ctx as WithBudget)[BUDGET];

export function endBudget(ctx: object) {
  const b = budgetOf(ctx);
  if (b) clearTimeout(b.timer);
}

const WRAPPED = Symbol('agglomera.timeBudget');

/**
 * Every resolver that does work (plain fields of simpleResolvers types have none) gives up once its operation's
 * budget is spent: later fields fail at once; on Apollo's path pending ones also race the deadline.
 */
export function wrapResolvers(schema: GraphQLSchema) {
  if ((schema as unknown as Record<symbol, boolean>)[WRAPPED]) return;
  (schema as unknown as Record<symbol, boolean>)[WRAPPED] = true;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve || resolve === defaultFieldResolver) continue;
      field.resolve = (source, args, ctx, info) => {
        const b = (ctx as WithBudget | null)?.[BUDGET];
        if (b === undefined) return resolve(source, args, ctx, info);
        if (b.timedOut || Date.now() > b.deadline) { b.timedOut = true; throw timeoutError(b.ms); }
        const r = resolve(source, args, ctx, info);
        return b.race && r && typeof (r as Promise<unknown>).then === 'function' ? Promise.race([r, b.expired]) : r;
      };
    }
  }
}

const TOKEN_ERROR = /Document contains more th[ae]t? (\d+) tokens/;

/** The response-size refusal (RESPONSE_TOO_LARGE) of a serialised result of `size` bytes, or null within the limit. */
export function responseSizeRefusal(size: number, max: number): GraphQLError | null {
  if (size <= max) return null;
  return limitError('RESPONSE_TOO_LARGE', `response of ${Number.isFinite(size) ? fmtBytes(size) : 'over 512 MB'} exceeds the limit of ${fmtBytes(max)} `
    + '(AGGLOMERA_MAX_RESPONSE_MB): ask for fewer items, fewer fields or simplified outlines', {
    limit: 'maxResponseBytes', setting: 'AGGLOMERA_MAX_RESPONSE_MB', max, found: Number.isFinite(size) ? size : -1,
  }, false);
}

/** UTF-8 size of a string, without counting when even 3 bytes per UTF-16 unit stay within `max`. */
export const byteSizeOver = (text: string, max: number): number => (text.length * 3 <= max ? text.length : Buffer.byteLength(text));

/** A result serialised as Apollo sends it ({errors, data, extensions}), RawJson spliced; `Infinity` size when it cannot be. */
export function serialiseResult(result: { errors?: unknown; data?: unknown; extensions?: unknown }): string | null {
  try {
    return stringifyResult({ errors: result.errors, data: result.data, extensions: result.extensions });
  } catch {
    return null; // larger than V8's longest string
  }
}

/**
 * Apollo options: graphql-js token cap at parse time, then the plugin (access, shape, cost, time, response size).
 * The response is serialised once: here, to measure it, and the text handed to Apollo's stringifyResult.
 */
export function graphqlLimits(s: () => LimitSettings = limits) {
  const serialised = new WeakMap<object, string>();
  const plugin: ApolloServerPlugin<Context> = {
    async serverWillStart({ schema }) { wrapResolvers(schema); },
    async requestDidStart() {
      let started = false;
      return {
        async didResolveOperation({ contextValue, document, request, operationName, schema }) {
          requireRole(contextValue.principal, 'reader', 'GraphQL');
          const refusal = shapeRefusal(schema, document, s())
            ?? costRefusal(schema, document, request.variables, operationName ?? undefined, s(), await storeStatsOrNull(contextValue.db));
          if (refusal) throw refusal;
        },
        async executionDidStart({ contextValue }) {
          startBudget(contextValue, s().requestTimeoutMs, true);
          started = true;
        },
        async willSendResponse({ response, source, contextValue }) {
          const budget = budgetOf(contextValue);
          if (started) endBudget(contextValue);
          // what Apollo's cache-control plugin (disabled: it wraps every resolver) sends for a schema without cache hints
          response.http.headers.set('cache-control', 'no-store');
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const errors = result.errors ?? [];
          const tokens = errors.find((e) => TOKEN_ERROR.test(e.message));
          if (tokens) {
            const max = Number(TOKEN_ERROR.exec(tokens.message)![1]);
            const found = source ? countTokens(source) : max + 1;
            const e = limitError('QUERY_TOO_COMPLEX', `query of ${found} tokens exceeds the limit of ${max} (AGGLOMERA_MAX_TOKENS)`,
              { limit: 'maxTokens', setting: 'AGGLOMERA_MAX_TOKENS', max, found }, false);
            response.body.singleResult = { errors: [e.toJSON()] };
            return;
          }
          if (budget?.timedOut || errors.some((e) => e.extensions?.code === 'TIMEOUT')) {
            response.body.singleResult = { data: null, errors: [timeoutError(budget?.ms ?? s().requestTimeoutMs).toJSON()] };
            response.http.status = 503;
            return;
          }
          const text = serialiseResult(result);
          const tooLarge = responseSizeRefusal(text === null ? Infinity : byteSizeOver(text, s().maxResponseBytes), s().maxResponseBytes);
          if (tooLarge) {
            response.body.singleResult = { data: null, errors: [tooLarge.toJSON()] };
            response.http.status = 400;
          } else if (text !== null && result.data && typeof result.data === 'object') {
            serialised.set(result.data, text);
          }
        },
      };
    },
  };
  return {
    parseOptions: { maxTokens: s().maxTokens },
    allowBatchedHttpRequests: s().maxBatch > 1,
    plugins: [plugin],
    /** Apollo's stringifyResult: the text measured above when there is one (same object, same order), else serialised now. */
    stringifyResult(value: { errors?: unknown; data?: unknown; extensions?: unknown }): string {
      const data = value.data;
      const known = data && typeof data === 'object' ? serialised.get(data) : undefined;
      if (known !== undefined && value.extensions === undefined) { serialised.delete(data as object); return `${known}\n`; }
      return `${stringifyResult(value)}\n`;
    },
    refuseBatch: (body: unknown) => refuseBatch(body, s()),
  };
}
