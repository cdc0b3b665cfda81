// GeoJSON scalar: geometries travel as plain GeoJSON objects; input is checked for shape here and for validity by PostGIS.
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

function literalToJs(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING: case Kind.BOOLEAN: return ast.value;
    case Kind.INT: case Kind.FLOAT: return Number(ast.value);
    case Kind.LIST: return ast.values.map(literalToJs);
    case Kind.OBJECT: return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJs(f.value)]));
    case Kind.NULL: return null;
    default: throw new GraphQLError('GeoJSON literal cannot use variables inside the object');
  }
}

export const GeoJSONScalar = new GraphQLScalarType({
  name: 'GeoJSON',
  description: 'A GeoJSON geometry (RFC 7946), longitude/latitude in WGS 84.',
  serialize: (v) => (typeof v === 'string' ? JSON.parse(v) : v),
  parseValue: (v) => v,
  parseLiteral: (ast) => literalToJs(ast),
});
