// Web Mercator (EPSG:3857, "WebMercatorQuad", XYZ scheme: y = 0 at the north edge) tile arithmetic in lon/lat.
// The projection is separable, so a tile's footprint is an exact lon/lat rectangle.

/** Latitude where Web Mercator's square world ends. */
export const MAX_LAT = 85.0511287798066;

export interface TileCoord { z: number; x: number; y: number }
export interface LonLatBox { west: number; south: number; east: number; north: number }

const tileLat = (row: number, z: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * row) / 2 ** z))) * 180) / Math.PI;

/** The tile's footprint in lon/lat degrees, optionally grown by `margin` (a fraction of the tile) on every side. */
export function tileBounds({ z, x, y }: TileCoord, margin = 0): LonLatBox {
  const n = 2 ** z;
  return {
    west: ((x - margin) / n) * 360 - 180, east: ((x + 1 + margin) / n) * 360 - 180,
    north: tileLat(y - margin, z), south: tileLat(y + 1 + margin, z),
  };
}

/** The tile at zoom `z` that holds the point. */
export function lonLatToTile(lon: number, lat: number, z: number): TileCoord {
  const n = 2 ** z;
  const phi = (Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n);
  return { z, x: Math.min(n - 1, Math.max(0, x)), y: Math.min(n - 1, Math.max(0, y)) };
}

/** Why z/x/y is not a tile of the pyramid (null when it is). */
export function tileProblem({ z, x, y }: TileCoord, minZoom: number, maxZoom: number): string | null {
  if (![z, x, y].every(Number.isInteger)) return 'z, x and y must be integers';
  if (z < minZoom || z > maxZoom) return `zoom ${z} is outside ${minZoom}..${maxZoom}`;
  const n = 2 ** z;
  if (x < 0 || x >= n || y < 0 || y >= n) return `x and y must lie within 0..${n - 1} at zoom ${z}, got x=${x}, y=${y}`;
  return null;
}
