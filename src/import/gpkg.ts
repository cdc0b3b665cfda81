// GeoPackage (.gpkg, QGIS's default save format): an SQLite file read in process with sql.js (WASM SQLite, the file's
// bytes in memory). The feature table is --layer or the only / first one of gpkg_contents; its CRS comes from
// gpkg_spatial_ref_sys; every row becomes a GeoJSON-like feature (geometry from the GeoPackageBinary blob, the other
// columns as properties).
import { createRequire } from 'node:module';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { readGeoPackageGeometry, WkbError, type WkbGeometry } from '../geo/wkb.js';
import { crsFromCode, crsOfPrj, LONLAT, type Crs } from './crs.js';

export class GpkgError extends Error {}

export interface GpkgFeature { id: unknown; properties: Record<string, unknown>; geometry: WkbGeometry | null; problem?: string }

let sqlJs: Promise<SqlJsStatic> | null = null;
const require = createRequire(import.meta.url);
const loadSqlJs = () => (sqlJs ??= initSqlJs({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) }));

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The CRS of a gpkg_spatial_ref_sys row: its EPSG code when it has one, else its WKT definition. */
function crsOfSrs(srs: { srs_id: number; srs_name: string; organization: string; organization_coordsys_id: number; definition: string } | undefined): Crs {
  if (!srs) return LONLAT;
  // 0 = undefined geographic, -1 = undefined Cartesian (GeoPackage spec): taken as lon/lat, the range check speaks
  if (srs.srs_id === 0 || srs.srs_id === -1) return LONLAT;
  if (/^epsg$/i.test(srs.organization ?? '')) return crsFromCode(Number(srs.organization_coordsys_id), `EPSG:${srs.organization_coordsys_id}`);
  return crsOfPrj(srs.definition);
}

function rows<T>(db: Database, q: string, params: (string | number)[] = []): T[] {
  const st = db.prepare(q);
  try {
    st.bind(params);
    const out: T[] = [];
    while (st.step()) out.push(st.getAsObject() as T);
    return out;
  } finally { st.free(); }
}

/** Reads one feature table of a GeoPackage: its features, CRS and name (and the names of the others). */
export async function readGeoPackage(bytes: Uint8Array, layer?: string): Promise<{ features: GpkgFeature[]; crs: Crs; layer: string; layers: string[] }> {
  const SQL = await loadSqlJs();
  let db: Database;
  try { db = new SQL.Database(bytes); } catch (e) { throw new GpkgError(`not a readable SQLite file: ${(e as Error).message}`); }
  try {
    let layers: string[];
    try {
      layers = rows<{ table_name: string }>(db, `SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid`).map((r) => r.table_name);
    } catch (e) {
      throw new GpkgError(`an SQLite file but not a GeoPackage (${(e as Error).message})`);
    }
    if (!layers.length) throw new GpkgError('the GeoPackage has no feature table (gpkg_contents lists no data_type = features)');
    const name = layer ?? layers[0];
    if (!layers.includes(name)) throw new GpkgError(`no feature table '${name}' in the GeoPackage (tables: ${layers.join(', ')})`);
    const [gc] = rows<{ column_name: string; srs_id: number }>(db, 'SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?', [name]);
    if (!gc) throw new GpkgError(`gpkg_geometry_columns has no entry for '${name}'`);
    const [srs] = rows<Parameters<typeof crsOfSrs>[0] & object>(db,
      'SELECT srs_id, srs_name, organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?', [gc.srs_id]);
    const crs = crsOfSrs(srs);
    const pk = rows<{ name: string; pk: number }>(db, `PRAGMA table_info(${quoteIdent(name)})`).find((c) => c.pk > 0)?.name;
    const features: GpkgFeature[] = [];
    const st = db.prepare(`SELECT * FROM ${quoteIdent(name)}${pk ? ` ORDER BY ${quoteIdent(pk)}` : ''}`);
    try {
      while (st.step()) {
        const row = st.getAsObject() as Record<string, unknown>;
        const blob = row[gc.column_name];
        delete row[gc.column_name];
        const f: GpkgFeature = { id: pk ? row[pk] : undefined, properties: row, geometry: null };
        if (blob instanceof Uint8Array) {
          try { f.geometry = readGeoPackageGeometry(blob).geometry; } catch (e) {
            if (!(e instanceof WkbError)) throw e;
            f.problem = `unreadable geometry: ${e.message}`;
          }
        }
        features.push(f);
      }
    } finally { st.free(); }
    return { features, crs, layer: name, layers };
  } finally {
    db.close();
  }
}
