// GraphQL limits as Apollo hooks: shape limits (graphql-armor depth / aliases / directives, graphql-js maxTokens), cost
// (graphql-query-complexity, src/limits/cost.ts), batch size, a per-request time budget and a response-size budget.
// Each refusal is one GraphQL error naming the limit, its setting, the maximum and the measured value.
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  defaultFieldResolver, GraphQLError, isObjectType, Lexer, Source, TokenKind, validate,
  type DocumentNode, type GraphQLSchema, type ValidationContext, type ValidationRule,
} from 'graphql';
import { requireRole } from '../auth/roles.js';
import type { Context } from '../resolvers/loaders.js';
import { operationCost } from './cost.js';
import { fmtBytes, graphqlErrorBody, limitError } from './errors.js';
import { limits, type LimitSettings } from './settings.js';

type ArmorRule = (o: { n: number; propagateOnRejection: boolean; onReject: ((c: ValidationContext | null, e: GraphQLError) => void)[] }) => ValidationRule;

const SHAPE: { rule: ArmorRule; limit: keyof LimitSettings; setting: string; what: string }[] = [
  { rule: maxDepthRule as ArmorRule, limit: 'maxDepth', setting: 'AGGLOMERA_MAX_DEPTH', what: 'depth' },
  { rule: maxAliasesRule as ArmorRule, limit: 'maxAliases', setting: 'AGGLOMERA_MAX_ALIASES', what: 'aliases' },
  { rule: maxDirectivesRule as ArmorRule, limit: 'maxDirectives', setting: 'AGGLOMERA_MAX_DIRECTIVES', what: 'directives' },
];

/** Depth, aliases and directives of the document, checked with graphql-armor's rules; the first excess as our error. */
export function shapeRefusal(schema: GraphQLSchema, document: DocumentNode, s: LimitSettings = limits()): GraphQLError | null {
  for (const x of SHAPE) {
    const max = s[x.limit] as number;
    let found = 0;
    const onReject = [(_c: unknown, e: GraphQLError) => { found = Math.max(found, Number(/found (\d+)/.exec(e.message)?.[1] ?? max + 1)); }];
    validate(schema, document, [x.rule({ n: max, propagateOnRejection: false, onReject })]);
    if (found > max) {
      return limitError('QUERY_TOO_COMPLEX', `query ${x.what} ${found} exceeds the limit of ${max} (${x.setting})`,
        { limit: x.limit, setting: x.setting, max, found });
    }
  }
  return null;
}

export function costRefusal(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined,
  operationName: string | undefined, s: LimitSettings = limits()): GraphQLError | null {
  const found = operationCost(schema, document, variables, operationName);
  if (found <= s.maxCost) return null;
  return limitError('QUERY_TOO_COMPLEX', `query cost ${found} exceeds the limit of ${s.maxCost} (AGGLOMERA_MAX_COST; `
    + 'lists multiply the cost of what they select by their page size: ask for fewer items or less nesting)',
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

// ---- time budget: one deadline per HTTP request (a batch shares its context, so it shares the budget) ----
interface Budget { deadline: number; ms: number; expired: Promise<never>; timer?: NodeJS.Timeout; active: number; timedOut: boolean }
const budgets = new WeakMap<object, Budget>();

function timeoutError(b: Budget) {
  return limitError('TIMEOUT', `request exceeded its time budget of ${b.ms} ms (AGGLOMERA_REQUEST_TIMEOUT_MS); its unfinished work was abandoned`,
    { limit: 'requestTimeoutMs', setting: 'AGGLOMERA_REQUEST_TIMEOUT_MS', max: b.ms, found: b.ms }, false);
}

function startBudget(ctx: object, ms: number): Budget {
  let b = budgets.get(ctx);
  if (!b) {
    let reject!: (e: unknown) => void;
    const expired = new Promise<never>((_, r) => { reject = r; });
    expired.catch(() => undefined);
    b = { deadline: Date.now() + ms, ms, expired, active: 0, timedOut: false };
    const budget = b;
    b.timer = setTimeout(() => { budget.timedOut = true; reject(timeoutError(budget)); }, ms);
    b.timer.unref();
    budgets.set(ctx, b);
  }
  b.active++;
  return b;
}

function endBudget(ctx: object) {
  const b = budgets.get(ctx);
  if (b && --b.active <= 0) { clearTimeout(b.timer); budgets.delete(ctx); }
}

const WRAPPED = Symbol('agglomera.timeBudget');

/** Every resolver of the schema gives up once its request's budget is spent: later fields fail at once, pending ones race it. */
function wrapResolvers(schema: GraphQLSchema) {
  if ((schema as unknown as Record<symbol, boolean>)[WRAPPED]) return;
  (schema as unknown as Record<symbol, boolean>)[WRAPPED] = true;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve || resolve === defaultFieldResolver) continue;
      field.resolve = (source, args, ctx, info) => {
        const b = budgets.get(ctx as object);
        if (!b) return resolve(source, args, ctx, info);
        if (b.timedOut || Date.now() > b.deadline) { b.timedOut = true; throw timeoutError(b); }
        const r = resolve(source, args, ctx, info);
        return r && typeof (r as Promise<unknown>).then === 'function' ? Promise.race([r, b.expired]) : r;
      };
    }
  }
}

const TOKEN_ERROR = /Document contains more th[ae]t? (\d+) tokens/;

/** Apollo options: graphql-js token cap at parse time, then the plugin (access, shape, cost, time, response size). */
export function graphqlLimits(s: () => LimitSettings = limits) {
  const plugin: ApolloServerPlugin<Context> = {
    async serverWillStart({ schema }) { wrapResolvers(schema); },
    async requestDidStart(start: GraphQLRequestContext<Context>) {
      const ctx = start.contextValue as object;
      let started = false;
      return {
        async didResolveOperation({ contextValue, document, request, operationName, schema }) {
          requireRole(contextValue.principal, 'reader', 'GraphQL');
          const refusal = shapeRefusal(schema, document, s()) ?? costRefusal(schema, document, request.variables, operationName ?? undefined, s());
          if (refusal) throw refusal;
        },
        async executionDidStart() {
          startBudget(ctx, s().requestTimeoutMs);
          started = true;
        },
        async willSendResponse({ response, source }) {
          const budget = budgets.get(ctx);
          if (started) endBudget(ctx);
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
            response.body.singleResult = { data: null, errors: [timeoutError(budget ?? { ms: s().requestTimeoutMs } as Budget).toJSON()] };
            response.http.status = 503;
            return;
          }
          const max = s().maxResponseBytes;
          let size: number;
          try { size = Buffer.byteLength(JSON.stringify(result)); } catch { size = Infinity; }
          if (size > max) {
            const e = limitError('RESPONSE_TOO_LARGE', `response of ${Number.isFinite(size) ? fmtBytes(size) : 'over 512 MB'} exceeds the limit of ${fmtBytes(max)} `
              + '(AGGLOMERA_MAX_RESPONSE_MB): ask for fewer items, fewer fields or simplified outlines', {
              limit: 'maxResponseBytes', setting: 'AGGLOMERA_MAX_RESPONSE_MB', max, found: Number.isFinite(size) ? size : -1,
            }, false);
            response.body.singleResult = { data: null, errors: [e.toJSON()] };
            response.http.status = 400;
          }
        },
      };
    },
  };
  return {
    parseOptions: { maxTokens: s().maxTokens },
    allowBatchedHttpRequests: s().maxBatch > 1,
    plugins: [plugin],
    refuseBatch: (body: unknown) => refuseBatch(body, s()),
  };
}
