// Well-Known Binary (OGC simple features, ISO and EWKB flavours) -> GeoJSON geometry. Z and M ordinates are read and
// dropped (the store keeps 2D outlines); an empty Point (NaN coordinates) becomes a Point with no coordinates.

export type WkbGeometry =
  | { type: 'Point'; coordinates: number[] }
  | { type: 'LineString' | 'MultiPoint'; coordinates: number[][] }
  | { type: 'Polygon' | 'MultiLineString'; coordinates: number[][][] }
  | { type: 'MultiPolygon'; coordinates: number[][][][] }
  | { type: 'GeometryCollection'; geometries: WkbGeometry[] };

export class WkbError extends Error {}

const NAMES = ['', 'Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection'] as const;

/** Reads one WKB geometry starting at `offset` of `view`; returns it and the offset after it. */
export function readWkb(bytes: Uint8Array, offset = 0): { geometry: WkbGeometry; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = offset;
  const need = (n: number) => { if (pos + n > view.byteLength) throw new WkbError(`WKB ends early (byte ${pos}, ${n} more needed)`); };
  const geom = (depth: number): WkbGeometry => {
    if (depth > 32) throw new WkbError('WKB nests too deep');
    need(5);
    const order = view.getUint8(pos);
    if (order > 1) throw new WkbError(`bad WKB byte order ${order} at byte ${pos}`);
    const le = order === 1;
    let t = view.getUint32(pos + 1, le);
    pos += 5;
    // EWKB: high flag bits for Z, M and an embedded SRID
    let dims = 2;
    if (t & 0x80000000) dims++;
    if (t & 0x40000000) dims++;
    if (t & 0x20000000) { need(4); pos += 4; }
    t &= 0x0fffffff;
    // ISO: 1000s Z, 2000s M, 3000s ZM
    const iso = Math.floor(t / 1000);
    if (iso > 3) throw new WkbError(`unknown WKB geometry type ${t}`);
    dims += iso === 3 ? 2 : iso ? 1 : 0;
    const base = t % 1000;
    if (base < 1 || base > 7) throw new WkbError(`unsupported WKB geometry type ${t} (curves, surfaces and TINs are not read)`);
    const u32 = () => { need(4); const v = view.getUint32(pos, le); pos += 4; return v; };
    const point = (): number[] => {
      need(8 * dims);
      const x = view.getFloat64(pos, le), y = view.getFloat64(pos + 8, le);
      pos += 8 * dims;
      return [x, y];
    };
    const points = () => { const n = u32(); need(n * 8 * dims); return Array.from({ length: n }, point); };
    const rings = () => { const n = u32(); return Array.from({ length: n }, points); };
    // each part of a Multi* is a full WKB geometry of the single type
    const parts = <T>(want: number): T[] => {
      const n = u32();
      return Array.from({ length: n }, () => {
        const g = geom(depth + 1);
        if (NAMES.indexOf(g.type) !== want) throw new WkbError(`${NAMES[base]} holds a ${g.type}`);
        return (g as unknown as { coordinates: T }).coordinates;
      });
    };
    switch (base) {
      case 1: { const p = point(); return { type: 'Point', coordinates: p.some(Number.isNaN) ? [] : p }; }
      case 2: return { type: 'LineString', coordinates: points() };
      case 3: return { type: 'Polygon', coordinates: rings() };
      case 4: return { type: 'MultiPoint', coordinates: parts<number[]>(1) };
      case 5: return { type: 'MultiLineString', coordinates: parts<number[][]>(2) };
      case 6: return { type: 'MultiPolygon', coordinates: parts<number[][][]>(3) };
      default: { const n = u32(); return { type: 'GeometryCollection', geometries: Array.from({ length: n }, () => geom(depth + 1)) }; }
    }
  };
  const geometry = geom(0);
  return { geometry, end: pos };
}

/** GeoPackageBinary header ('GP', version, flags, srs id, envelope) then WKB; `empty` from the header's flag. */
export function readGeoPackageGeometry(blob: Uint8Array): { geometry: WkbGeometry; srsId: number; empty: boolean } {
  if (blob.length < 8 || blob[0] !== 0x47 || blob[1] !== 0x50) throw new WkbError('not a GeoPackage geometry (no "GP" magic)');
  const flags = blob[3];
  if (flags & 0x20) throw new WkbError('GeoPackage extended geometry types are not read');
  const le = (flags & 1) === 1;
  const srsId = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getInt32(4, le);
  const envelope = [0, 32, 48, 48, 64][(flags >> 1) & 7];
  if (envelope === undefined) throw new WkbError(`bad GeoPackage envelope indicator ${(flags >> 1) & 7}`);
  const { geometry } = readWkb(blob, 8 + envelope);
  return { geometry, srsId, empty: (flags & 0x10) !== 0 || isEmpty(geometry) };
}

export function isEmpty(g: WkbGeometry): boolean {
  return g.type === 'GeometryCollection' ? g.geometries.every(isEmpty) : g.coordinates.length === 0;
}
