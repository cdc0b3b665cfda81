// The tile layers: names, zoom ranges and the attributes each feature carries (TileJSON `vector_layers`).

export const EXTENT = 4096;
/** Tile units drawn beyond each edge (so strokes and labels meet across tiles); features in it are included. */
export const BUFFER = 64;

export type LayerName = 'cities' | 'firms';

export interface LayerSpec {
  name: LayerName;
  title: string;
  description: string;
  minzoom: number;
  maxzoom: number;
  /** attribute → description (TileJSON 3.0 `fields`) */
  fields: Record<string, string>;
}

export const LAYERS: Record<LayerName, LayerSpec> = {
  cities: {
    name: 'cities',
    title: 'Cities (outlines and one year\'s metrics)',
    description: 'Unit outlines (precomputed simplification per zoom band) with the year\'s metrics (?year=, default the latest stored year). Demo metrics and firms are SYNTHETIC. Feature id = the unit code when it is all digits. Each composite index (agglomera composite / defineComposite) other than NQP is a further Number attribute under its own name.',
    minzoom: 0,
    maxzoom: 12,
    fields: {
      code: 'String: unit code',
      name: 'String: unit name',
      province: 'String: province (absent when unknown)',
      year: 'Number: the year of the metrics',
      gdp: 'Number: GDP that year',
      population: 'Number: population that year',
      rta: 'Number: co-agglomeration RTA = 1/Var(Q1,Q2,Q3) under the default options (absent when undefined)',
      nqp: 'Number: new quality productivity (entropy-weight composite, weights pooled over all years)',
      fledgling: 'Number: Q1, fledgling (雏鹰) firms that year',
      gazelle: 'Number: Q2, gazelle (瞪羚) firms that year',
      unicorn: 'Number: Q3, unicorn (独角兽) firms that year',
      firmCount: 'Number: sampled firms with figures that year (ST and financial firms left out)',
    },
  },
  firms: {
    name: 'firms',
    title: 'Firms (points) of one year',
    description: 'Firms with figures in the year (?year=, default the latest stored year) at their location (a register\'s coordinates, else the unit\'s interior point), with that year\'s kind. Feature id = firm id. SYNTHETIC demo firms.',
    minzoom: 0,
    maxzoom: 14,
    fields: {
      id: 'Number: firm id',
      name: 'String: firm name',
      city: 'String: code of the firm\'s unit',
      industry: 'String: industry',
      kind: 'String: fledgling | gazelle | unicorn that year under the current rule set (absent when none)',
      year: 'Number: the year',
    },
  },
};

export const isLayer = (s: string): s is LayerName => Object.hasOwn(LAYERS, s);
