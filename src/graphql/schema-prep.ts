// type-graphql gives every plain field (`year`, `gdp`, `name`...) a resolver of its own: a closure that builds a
// resolver-data object and runs the (empty) middleware chain before reading `root[property]`. That is one call and
// one allocation per field per row (20,000 for 338 cities x 20 years x 3 fields) and it keeps graphql-jit from
// inlining the read. This pass finds those resolvers and turns them back into plain property reads (no resolver
// when the property has the field's name, as graphql's default resolver reads it), on the built schema, once.
import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';

// createBasicFieldResolver's closure in type-graphql 2 (build/esm/resolvers/create.js), compared without whitespace
const BASIC = /^\(root,args,context,info\)=>\{constresolverData=\{root,args,context,info\};returnapplyMiddlewares\(container,resolverData,middlewares,\(\)=>root\[fieldMetadata\.name\]\);\}$/;

const DONE = Symbol('agglomera.plainFields');

/** The property a type-graphql basic field resolver reads, or null when `resolve` is anything else (or has middlewares). */
export function basicResolverProperty(resolve: GraphQLFieldResolver<unknown, unknown>): string | null {
  if (!BASIC.test(resolve.toString().replace(/\s+/g, ''))) return null;
  // Its middleware list is empty exactly when it reads synchronously: probe it with a root that records the read.
  let read: string | symbol | undefined;
  const probe = new Proxy({}, { get: (_t, p) => { read = p; return undefined; } });
  let out: unknown;
  try { out = resolve(probe, {}, {}, {} as never); } catch { return null; }
  if (out !== undefined || typeof read !== 'string') {
    (out as Promise<unknown> | undefined)?.then?.(undefined, () => undefined);
    return null;
  }
  return read;
}

/** Replaces type-graphql's basic field resolvers by property reads; returns how many it replaced. */
export function plainFieldResolvers(schema: GraphQLSchema): number {
  const marked = schema as unknown as Record<symbol, number>;
  if (marked[DONE] !== undefined) return 0;
  let n = 0;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.resolve) continue;
      const prop = basicResolverProperty(field.resolve);
      if (prop === null) continue;
      field.resolve = prop === field.name ? undefined : (source: Record<string, unknown>) => source[prop];
      n++;
    }
  }
  marked[DONE] = n;
  return n;
}
