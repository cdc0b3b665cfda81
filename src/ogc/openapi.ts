// The hand-written OpenAPI 3.0 description of the OGC API at /ogc/api. Clients read more than documentation from it:
// GDAL takes the limit's maximum, and decides which filters it sends to the server from the parameters of
// /collections/{id}/items (a queryable listed there; "cql-text" in filter-lang's enum), so each collection's items
// path is spelled out with its queryables.
import type { Prop } from './collections.js';
import { DEFAULT_LIMIT, MAX_LIMIT } from './features.js';

const ref = (name: string) => ({ $ref: `#/components/parameters/${name}` });
const jsonContent = (schema: object = { type: 'object' }) => ({ 'application/json': { schema }, 'text/html': { schema: { type: 'string' } } });
const geoContent = { 'application/geo+json': { schema: { type: 'object' } }, 'text/html': { schema: { type: 'string' } } };
const errors = {
  400: { description: 'bad parameter (OGC exception JSON naming it)', content: { 'application/json': { schema: { $ref: '#/components/schemas/exception' } } } },
  404: { description: 'no such collection or feature', content: { 'application/json': { schema: { $ref: '#/components/schemas/exception' } } } },
};

const TYPES = { string: { type: 'string' }, number: { type: 'number' }, integer: { type: 'integer' }, boolean: { type: 'boolean' }, date: { type: 'string', format: 'date' } } as const;

export function openApi(base: string, collections: readonly { id: string; queryables: readonly Prop[] }[]): object {
  const collectionIds = collections.map((c) => c.id);
  const itemParams = ['bbox', 'bbox-crs', 'limit', 'offset', 'datetime', 'filter', 'filter-lang', 'filter-crs', 'f'];
  const ok = (description: string, content: object) => ({ 200: { description, content }, ...errors });
  return {
    openapi: '3.0.3',
    info: {
      title: 'Agglomera - OGC API - Features',
      version: '1.0.0',
      description: 'Read-only OGC API - Features (Part 1 Core, GeoJSON, HTML; Part 3 filtering with CQL2 text) over the stored cities and firms.',
      license: { name: 'MIT' },
    },
    servers: [{ url: `${base}/ogc` }],
    paths: {
      '/': { get: { summary: 'landing page', operationId: 'getLandingPage', parameters: [ref('f')], responses: ok('links to the API', jsonContent()) } },
      '/conformance': { get: { summary: 'conformance classes', operationId: 'getConformance', parameters: [ref('f')], responses: ok('conformsTo', jsonContent()) } },
      '/api': { get: { summary: 'this document', operationId: 'getApi', responses: { 200: { description: 'OpenAPI 3.0', content: { 'application/vnd.oai.openapi+json;version=3.0': { schema: { type: 'object' } } } } } } },
      '/collections': { get: { summary: 'the collections', operationId: 'getCollections', parameters: [ref('f')], responses: ok('collections', jsonContent()) } },
      '/collections/{collectionId}': { get: { summary: 'one collection', operationId: 'describeCollection', parameters: [ref('collectionId'), ref('f')], responses: ok('collection', jsonContent()) } },
      '/collections/{collectionId}/queryables': { get: { summary: 'queryable properties (JSON Schema)', operationId: 'getQueryables', parameters: [ref('collectionId'), ref('f')], responses: ok('queryables', { 'application/schema+json': { schema: { type: 'object' } }, 'text/html': { schema: { type: 'string' } } }) } },
      '/collections/{collectionId}/items': {
        get: {
          summary: 'features of a collection; any queryable may also be given as ?name=value (equality)',
          operationId: 'getFeatures',
          parameters: ['collectionId', ...itemParams, 'simplify'].map(ref),
          responses: ok('a page of features', geoContent),
        },
      },
      ...Object.fromEntries(collections.map((c) => [`/collections/${c.id}/items`, {
        get: {
          summary: `features of ${c.id}; each queryable may be given as ?name=value (equality)`,
          operationId: `getFeatures_${c.id}`,
          parameters: [
            ...itemParams.map(ref),
            ...(c.id === 'cities' ? [ref('simplify')] : []),
            ...c.queryables.map((q) => ({ name: q.name, in: 'query', required: false, schema: TYPES[q.type], description: q.title })),
          ],
          responses: ok('a page of features', geoContent),
        },
      }])),
      '/collections/{collectionId}/items/{featureId}': {
        get: { summary: 'one feature', operationId: 'getFeature', parameters: [ref('collectionId'), ref('featureId'), ref('datetime'), ref('simplify'), ref('f')], responses: ok('the feature', geoContent) },
      },
    },
    components: {
      parameters: {
        collectionId: { name: 'collectionId', in: 'path', required: true, schema: { type: 'string', enum: [...collectionIds] } },
        featureId: { name: 'featureId', in: 'path', required: true, schema: { type: 'string' } },
        f: { name: 'f', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'geojson', 'html'] } },
        bbox: { name: 'bbox', in: 'query', required: false, style: 'form', explode: false, schema: { type: 'array', minItems: 4, maxItems: 4, items: { type: 'number' } }, description: 'minLon,minLat,maxLon,maxLat in CRS84' },
        'bbox-crs': { name: 'bbox-crs', in: 'query', required: false, schema: { type: 'string', enum: ['http://www.opengis.net/def/crs/OGC/1.3/CRS84'] } },
        'filter-crs': { name: 'filter-crs', in: 'query', required: false, schema: { type: 'string', enum: ['http://www.opengis.net/def/crs/OGC/1.3/CRS84'] } },
        limit: { name: 'limit', in: 'query', required: false, style: 'form', explode: false, schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT } },
        offset: { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
        datetime: { name: 'datetime', in: 'query', required: false, schema: { type: 'string' }, description: 'a year, date or date-time (its year), or an interval (its latest year with data); default: the latest year' },
        filter: { name: 'filter', in: 'query', required: false, schema: { type: 'string' }, description: 'CQL2 text on the queryables' },
        'filter-lang': { name: 'filter-lang', in: 'query', required: false, schema: { type: 'string', enum: ['cql2-text', 'cql-text'], default: 'cql2-text' }, description: 'cql-text: the same text encoding (older clients, GDAL before 3.7)' },
        simplify: { name: 'simplify', in: 'query', required: false, schema: { type: 'number', minimum: 0, maximum: 1 }, description: 'cities: simplification tolerance in degrees' },
      },
      schemas: {
        exception: { type: 'object', required: ['code'], properties: { code: { type: 'string' }, description: { type: 'string' }, parameter: { type: 'string' } } },
      },
    },
  };
}
