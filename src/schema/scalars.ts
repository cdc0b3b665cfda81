// GeoJSON scalar: geometries travel as plain GeoJSON objects; input is checked for shape here and for validity by PostGIS.
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

const GEOMETRY_TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon', 'GeometryCollection']);

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

function isPosition(p: unknown): boolean {
  return Array.isArray(p) && p.length >= 2 && p.length <= 3 && p.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** Returns why `g` is not a GeoJSON geometry (or Feature with a geometry), or null. */
export function geoJsonShapeProblem(g: unknown): string | null {
  if (typeof g !== 'object' || g === null) return 'must be a GeoJSON object';
  const o = g as { type?: unknown; coordinates?: unknown; geometry?: unknown; geometries?: unknown };
  if (o.type === 'Feature') return geoJsonShapeProblem(o.geometry);
  if (typeof o.type !== 'string' || !GEOMETRY_TYPES.has(o.type)) return `unknown geometry type ${JSON.stringify(o.type)}`;
  if (o.type === 'GeometryCollection') {
    if (!Array.isArray(o.geometries)) return 'GeometryCollection needs "geometries"';
    for (const sub of o.geometries) { const p = geoJsonShapeProblem(sub); if (p) return p; }
    return null;
  }
  const depth = { Point: 0, MultiPoint: 1, LineString: 1, MultiLineString: 2, Polygon: 2, MultiPolygon: 3 }[o.type as 'Point'];
  const check = (c: unknown, d: number): boolean => (d === 0 ? isPosition(c) : Array.isArray(c) && c.length > 0 && c.every((x) => check(x, d - 1)));
  if (!check(o.coordinates, depth)) return `${o.type} coordinates are malformed`;
  if (o.type === 'Polygon' || o.type === 'MultiPolygon') {
    const polys = (o.type === 'Polygon' ? [o.coordinates] : o.coordinates) as number[][][][];
    for (const ring of polys.flat()) {
      const a = ring[0], b = ring[ring.length - 1];
      if (ring.length < 4 || a[0] !== b[0] || a[1] !== b[1]) return 'polygon rings must be closed and have at least 4 positions';
    }
  }
  return null;
}

export const GeoJSONScalar = new GraphQLScalarType({
  name: 'GeoJSON',
  description: 'A GeoJSON geometry (RFC 7946), longitude/latitude in WGS 84.',
  serialize: (v) => (typeof v === 'string' ? JSON.parse(v) : v),
  parseValue: (v) => v,
  parseLiteral: (ast) => literalToJs(ast),
});
