// GeoJSON scalar: geometries travel as plain GeoJSON objects; input is checked for shape here and for validity by PostGIS.
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { RawJson } from '../graphql/raw-json.js';

/** A JSON-like literal as a plain value; variables inside it are taken from the operation's variables. */
export function literalToJs(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING: case Kind.BOOLEAN: case Kind.ENUM: return ast.value;
    case Kind.INT: case Kind.FLOAT: return Number(ast.value);
    case Kind.LIST: return ast.values.map((v) => literalToJs(v, variables));
    case Kind.OBJECT: return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJs(f.value, variables)]));
    case Kind.NULL: return null;
    case Kind.VARIABLE: {
      if (!variables || !(ast.name.value in variables)) throw new GraphQLError(`variable $${ast.name.value} is not defined`);
      return variables[ast.name.value];
    }
  }
}

export const GeoJSONScalar = new GraphQLScalarType({
  name: 'GeoJSON',
  description: 'A GeoJSON geometry (RFC 7946), longitude/latitude in WGS 84.',
  // RawJson (stored GeoJSON text) passes through: the response writer splices its text; JSON.stringify parses it
  serialize: (v) => (v instanceof RawJson ? v : typeof v === 'string' ? JSON.parse(v) : v),
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => literalToJs(ast, variables),
});
