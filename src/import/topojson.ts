// TopoJSON (arcs shared between features, often quantised) -> GeoJSON features with topojson-client: one object of
// the topology, --layer or the first. Shared arcs decode to identical coordinates on both sides, so exact contiguity
// holds as it does for the GeoJSON the same topology would be exported to.
import { feature } from 'topojson-client';
import type { GeometryCollection, GeometryObject, Topology } from 'topojson-specification';

export interface TopoFeature { id?: unknown; properties: Record<string, unknown> | null; geometry: { type: string; coordinates?: unknown } | null }

export function readTopoJSON(doc: unknown, layer?: string): { features: TopoFeature[]; object: string; objects: string[] } | { error: string } {
  const topo = doc as Topology;
  const objects = Object.keys(topo.objects ?? {});
  if (!objects.length) return { error: 'the TopoJSON has no objects' };
  const name = layer ?? objects[0];
  if (!objects.includes(name)) return { error: `no object '${name}' in the TopoJSON (objects: ${objects.join(', ')})` };
  if (!Array.isArray(topo.arcs)) return { error: 'the TopoJSON has no arcs array' };
  try {
    const fc = feature(topo, topo.objects[name] as GeometryObject | GeometryCollection) as unknown as { type: string; features?: TopoFeature[] } & TopoFeature;
    const features = fc.type === 'FeatureCollection' ? fc.features ?? [] : [fc];
    return { features, object: name, objects };
  } catch (e) {
    return { error: `unreadable TopoJSON object '${name}': ${(e as Error).message}` };
  }
}
