// Parsed, validated, measured and compiled documents, kept per query text (LRU of AGGLOMERA_GRAPHQL_DOCUMENT_CACHE
// entries, default 500). What is kept depends on the text and the limit settings only — never on who asks or on the
// variables: roles are checked per request and inside resolvers, costs with variables are computed per request, and a
// document's cost without variables is remembered beside it per store statistics (src/limits/graphql.ts cachedCost),
// so it is computed again when the data version moved.
// A text that does not parse or validate, or breaks a shape limit, is remembered as "not fast": Apollo answers it
// with its own errors (the fast path never makes an error of its own).
import {
  execute, getOperationAST, parse, specifiedRules, validate,
  type DocumentNode, type ExecutionResult, type GraphQLError, type GraphQLSchema, type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import { rememberShape, shapeRefusalOf, shapeRules } from '../limits/graphql.js';
import type { LimitSettings } from '../limits/settings.js';

/** Longer query texts are not kept (each costs its size several times over as an AST and compiled code). */
export const MAX_CACHED_QUERY_CHARS = 64 * 1024;

/**
 * graphql-jit compiles an operation the second time its text is asked for: compiling costs ~1-20x a validation
 * (0.7 ms for the one-city query, 13 ms for the nested all-cities query, 75 ms for 30 aliased nested lists here), so
 * a text seen once is executed by graphql-js and a stream of one-off texts cannot make the server compile for each.
 */
export const JIT_AFTER_USES = 2;

/** Failed compilations remembered (a stream of distinct texts must not grow the list without bound). */
const MAX_JIT_FAILURES = 50;

export interface PreparedOperation {
  operation: OperationDefinitionNode;
  /** the operation's name, as Apollo passes it to the cost estimate */
  name: string | undefined;
  /** 'jit' once compiled; 'graphql-js' before, or when graphql-jit cannot compile it, or AGGLOMERA_GRAPHQL_JIT=false */
  engine: 'jit' | 'graphql-js';
  /** requests that asked for it (counted until it is compiled) */
  uses: number;
  /** no further compile attempt (compiled, failed or jit off) */
  settled: boolean;
  run(contextValue: object, variables: Record<string, unknown>): Promise<ExecutionResult> | ExecutionResult;
}

export interface PreparedDocument {
  settings: LimitSettings;
  /** null: parse or validation errors, or a shape refusal: Apollo answers */
  document: DocumentNode | null;
  shapeRefusal: GraphQLError | null;
  /** per requested operation name ('' for none); null: no such operation, or not a query */
  operations: Map<string, PreparedOperation | null>;
}

export class DocumentCache {
  private readonly lru: LRUCache<string, PreparedDocument>;
  /** The latest compilations that failed (graphql-jit's reason, at most MAX_JIT_FAILURES), for tests. */
  readonly jitFailures: string[] = [];

  constructor(private readonly schema: GraphQLSchema, max: number, private readonly jit: boolean) {
    this.lru = new LRUCache({ max });
  }

  get size() { return this.lru.size; }

  /** The prepared document for this text under these settings (parsed and validated on first sight). */
  document(query: string, s: LimitSettings): PreparedDocument {
    const known = this.lru.get(query);
    if (known && known.settings === s) return known;
    const d = this.prepare(query, s);
    if (query.length <= MAX_CACHED_QUERY_CHARS) this.lru.set(query, d);
    return d;
  }

  private prepare(query: string, s: LimitSettings): PreparedDocument {
    const none = (): PreparedDocument => ({ settings: s, document: null, shapeRefusal: null, operations: new Map() });
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: s.maxTokens });
    } catch {
      return none();
    }
    // graphql's rules and the shape limits in one pass over the document
    const shape = shapeRules(s);
    if (validate(this.schema, document, [...specifiedRules, ...shape.rules]).length) return none();
    const refusal = shapeRefusalOf(shape.found, s);
    rememberShape(document, s, refusal);
    if (refusal) return { ...none(), shapeRefusal: refusal };
    return { settings: s, document, shapeRefusal: null, operations: new Map() };
  }

  /** The runnable query operation `operationName` of a prepared document, or null (Apollo answers). */
  operation(d: PreparedDocument, operationName: string | undefined): PreparedOperation | null {
    if (!d.document) return null;
    const key = operationName ?? '';
    let op = d.operations.get(key);
    if (op === undefined) {
      op = this.plain(d.document, operationName);
      if (d.operations.size < 16) d.operations.set(key, op);
    }
    if (op && !op.settled && ++op.uses >= JIT_AFTER_USES) this.compile(op, d.document, operationName);
    return op;
  }

  /** The operation executed by graphql-js (what Apollo runs too). */
  private plain(document: DocumentNode, operationName: string | undefined): PreparedOperation | null {
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation !== 'query') return null;
    const schema = this.schema;
    return {
      operation, name: operation.name?.value || undefined, engine: 'graphql-js', uses: 0, settled: !this.jit,
      run: (contextValue, variableValues) => execute({ schema, document, operationName, contextValue, variableValues }),
    };
  }

  /** Switches the operation to its graphql-jit compilation; stays on graphql-js when that fails. */
  private compile(op: PreparedOperation, document: DocumentNode, operationName: string | undefined) {
    op.settled = true;
    try {
      // path-based @skip/@include: the default drops a fragment everywhere when one of its spreads is skipped
      const compiled = compileQuery(this.schema, document, operationName, { disablingCapturingStackErrors: true, useExperimentalPathBasedSkipInclude: true });
      if (!isCompiledQuery(compiled)) {
        this.failed(compiled.errors?.map((e) => e.message).join('; ') ?? 'not compiled');
        return;
      }
      op.engine = 'jit';
      op.run = (contextValue, variables) => compiled.query(undefined, contextValue, variables);
    } catch (e) {
      this.failed((e as Error).message);
    }
  }

  private failed(reason: string) {
    if (this.jitFailures.push(reason) > MAX_JIT_FAILURES) this.jitFailures.shift();
  }
}
