// A minimal GeoPackage writer for tests (sql.js): the three gpkg_* tables and one feature table per layer, geometry
// as GeoPackageBinary (little-endian header, no envelope) + ISO WKB. Used to turn the 3,231 us-atlas counties into a
// GeoPackage without committing a large binary; the ogr2ogr-made fixture (test/fixtures/formats) proves that real
// files read the same way.
import { createRequire } from 'node:module';
import initSqlJs from 'sql.js';

type Geom = { type: string; coordinates: any };
export interface WriterLayer { name: string; srsId: number; srsDefinition?: string; features: { properties: Record<string, string | number | null>; geometry: Geom | null }[] }

const require = createRequire(import.meta.url);

class Bytes {
  private parts: Buffer[] = [];
  u8(v: number) { const b = Buffer.alloc(1); b.writeUInt8(v); this.parts.push(b); }
  u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.parts.push(b); }
  i32(v: number) { const b = Buffer.alloc(4); b.writeInt32LE(v); this.parts.push(b); }
  f64(v: number) { const b = Buffer.alloc(8); b.writeDoubleLE(v); this.parts.push(b); }
  raw(b: Buffer) { this.parts.push(b); }
  done() { return Buffer.concat(this.parts); }
}

/** ISO WKB, little endian, 2D. */
export function wkb(g: Geom): Buffer {
  const w = new Bytes();
  const head = (t: number) => { w.u8(1); w.u32(t); };
  const pts = (ps: number[][]) => { w.u32(ps.length); for (const p of ps) { w.f64(p[0]); w.f64(p[1]); } };
  const poly = (rings: number[][][]) => { head(3); w.u32(rings.length); for (const r of rings) pts(r); };
  if (g.type === 'Polygon') poly(g.coordinates);
  else if (g.type === 'MultiPolygon') { head(6); w.u32(g.coordinates.length); for (const p of g.coordinates) poly(p); }
  else if (g.type === 'Point') { head(1); w.f64(g.coordinates[0] ?? NaN); w.f64(g.coordinates[1] ?? NaN); }
  else throw new Error(`writer: ${g.type} not supported`);
  return w.done();
}

/** GeoPackageBinary: 'GP', version 0, flags (little endian, no envelope, empty bit), srs id, WKB. */
export function gpkgBlob(g: Geom, srsId: number): Buffer {
  const w = new Bytes();
  const empty = g.type === 'Point' ? g.coordinates.length === 0 : g.coordinates.length === 0;
  w.raw(Buffer.from('GP', 'latin1')); w.u8(0); w.u8(0x01 | (empty ? 0x10 : 0)); w.i32(srsId);
  w.raw(wkb(g));
  return w.done();
}

export async function writeGeoPackage(layers: WriterLayer[]): Promise<Buffer> {
  const SQL = await initSqlJs({ locateFile: (f: string) => require.resolve(`sql.js/dist/${f}`) });
  const db = new SQL.Database();
  db.run(`PRAGMA application_id = 1196444487; PRAGMA user_version = 10300;
    CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
      organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
    CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, description TEXT DEFAULT '',
      last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
    CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
      srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
    INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
      ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
      ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]', NULL);`);
  for (const l of layers) {
    if (l.srsDefinition) db.run('INSERT OR REPLACE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, NULL)', [`custom ${l.srsId}`, l.srsId, 'custom', l.srsId, l.srsDefinition]);
    const cols = [...new Set(l.features.flatMap((f) => Object.keys(f.properties)))];
    db.run(`CREATE TABLE "${l.name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB${cols.map((c) => `, "${c}" TEXT`).join('')})`);
    db.run(`INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES (?, 'features', ?, ?)`, [l.name, l.name, l.srsId]);
    db.run(`INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'GEOMETRY', ?, 0, 0)`, [l.name, l.srsId]);
    const st = db.prepare(`INSERT INTO "${l.name}" (geom${cols.map((c) => `, "${c}"`).join('')}) VALUES (?${cols.map(() => ', ?').join('')})`);
    db.run('BEGIN');
    for (const f of l.features) st.run([f.geometry ? gpkgBlob(f.geometry, l.srsId) : null, ...cols.map((c) => f.properties[c] ?? null)] as any);
    db.run('COMMIT');
    st.free();
  }
  const out = Buffer.from(db.export());
  db.close();
  return out;
}
