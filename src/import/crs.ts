// Coordinate reference systems of boundary files: read from the GeoJSON `crs` member or the Shapefile .prj (WKT),
// reprojected to EPSG:4326 lon/lat with proj4. Any CRS of the EPSG registry (and the ESRI codes it carries, e.g.
// ESRI:102025) is known by code through the `epsg-index` package's proj4 definitions; a .prj is parsed by proj4 and
// its datum matched by name against the registry when it names no EPSG code. Geographic lon/lat input on a WGS 84-like
// datum is passed through untouched (no rounding), so clean topologies keep their shared vertices bit for bit.
//
// Datum shifts are proj4's: +towgs84 (3 or 7 Helmert parameters) as the registry gives them. Grid shifts (+nadgrids,
// +datum=NAD27) need grid files no one ships with this package; proj4 would silently skip an optional grid (NAD27
// unshifted, ~20-50 m off) or return NaN for a mandatory one. Those datums get the Helmert transformation PROJ itself
// falls back to when the grid is not installed (GRID_FALLBACK), and the Crs says which transformation it used.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import proj4 from 'proj4';

export interface Crs {
  /** what the file said, for messages */
  label: string;
  /** null: already lon/lat degrees (EPSG:4326, CRS84 and other geographic CRSs on WGS 84-like datums) */
  toLonLat: ((x: number, y: number) => [number, number]) | null;
  /** the datum transformation to WGS 84 applied, for reports (absent when toLonLat is null) */
  transformation?: string;
}

export class UnknownCrs extends Error {}

export const LONLAT: Crs = { label: 'EPSG:4326', toLonLat: null };

const require = createRequire(import.meta.url);

/** One CRS of the registry (epsg-index/s/<code>.json). */
interface RegistryEntry { code: string; kind: string; name: string; wkt: string | null; proj4: string | null }

/** The registry's definition of `code` (EPSG, or the ESRI codes it also holds), or null. */
export function registryEntry(code: number): RegistryEntry | null {
  if (!Number.isInteger(code) || code <= 0) return null;
  try {
    return require(`epsg-index/s/${code}.json`) as RegistryEntry;
  } catch {
    return null;
  }
}

/**
 * Helmert transformations for datums the registry defines by a grid: the ones PROJ uses when the grid is not installed
 * (`projinfo -s EPSG:4267 -t EPSG:4326` lists EPSG:1173 first for the conterminous US). Keyed by normalised datum name.
 */
const GRID_FALLBACK: Record<string, { towgs84: string; name: string }> = {
  [norm('North_American_Datum_1927')]: { towgs84: '-8,160,176', name: 'EPSG:1173 NAD27 to WGS 84 (4), CONUS, ~10 m' },
  [norm('Deutsches_Hauptdreiecksnetz')]: { towgs84: '598.1,73.7,418.2,0.202,0.045,-2.455,6.7', name: 'EPSG:1777 DHDN to WGS 84 (2), ~3 m' },
  [norm('New_Zealand_Geodetic_Datum_1949')]: { towgs84: '59.47,-5.04,187.44,0.47,-0.1,1.024,-4.5993', name: 'EPSG:1564 NZGD49 to WGS 84 (2), ~4 m' },
  [norm('OSGB_1936')]: { towgs84: '446.448,-125.157,542.06,0.15,0.247,0.842,-20.489', name: 'EPSG:1314 OSGB36 to WGS 84 (6), ~2 m' },
};

/** Datum / CRS names compared without case, punctuation, "D_" / "GCS_" prefixes and the word "datum". */
function norm(name: string): string {
  return name.toLowerCase().replace(/^(d|gcs)_/, '').replace(/datum/g, '').replace(/[^a-z0-9]+/g, '');
}

const datumNameOf = (wkt: string | null) => (wkt ? /DATUM\s*\[\s*"([^"]*)"/i.exec(wkt)?.[1] ?? null : null);

/** Geographic datums that are WGS 84 within metres: lon/lat on them is taken as it is. */
const WGS84_LIKE = /WGS.?1984|WGS.?84|North_American_Datum_1983|NAD83|China_2000|China.Geodetic.Coordinate.System.2000|CGCS.?2000|ETRS.?1989|European_Terrestrial|GDA.?94|Geocentric_Datum_of_Australia/i;

interface Shift { towgs84: string | null; transformation: string }

/** The datum shift of a registry proj4 string, grids replaced by GRID_FALLBACK; null proj4: cannot be used. */
function shiftOf(def: string, datumName: string | null, label: string): Shift {
  const grids = /\+nadgrids=(\S+)/.exec(def)?.[1];
  if ((grids && grids !== '@null') || /\+datum=NAD27\b/.test(def)) {
    const fb = GRID_FALLBACK[norm(datumName ?? (/\+datum=NAD27\b/.test(def) ? 'North_American_Datum_1927' : ''))];
    if (!fb) {
      throw new UnknownCrs(`${label}: its datum shift needs the grid ${grids ?? 'conus'}, which is not available here; `
        + 'reproject first, e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in');
    }
    return { towgs84: fb.towgs84, transformation: `${fb.name} (+towgs84=${fb.towgs84}; the grid ${grids ?? 'conus'} is not available)` };
  }
  const towgs84 = /\+towgs84=(\S+)/.exec(def)?.[1] ?? null;
  if (towgs84) return { towgs84, transformation: `+towgs84=${towgs84} (the registry's Helmert parameters)` };
  if (/\+datum=(WGS84|NAD83)\b|\+ellps=(WGS84|GRS80)\b/.test(def)) return { towgs84: null, transformation: 'none (a WGS 84-like datum)' };
  return { towgs84: null, transformation: 'none (the registry gives no shift to WGS 84 for this datum; PROJ uses a ballpark identity too)' };
}

/** The registry proj4 string with its grid replaced by a Helmert shift (or as it is). */
function withShift(def: string, shift: Shift): string {
  let d = def.replace(/\+type=crs\b/, '').replace(/\+nadgrids=(?!@null\b)\S+/, '');
  if (/\+datum=NAD27\b/.test(d)) d = d.replace(/\+datum=NAD27\b/, '+ellps=clrk66');
  if (shift.towgs84 && !/\+towgs84=/.test(d)) d += ` +towgs84=${shift.towgs84}`;
  return d.replace(/\s+/g, ' ').trim();
}

function converter(from: string | object): (x: number, y: number) => [number, number] {
  const conv = proj4(from as string, 'EPSG:4326');
  return (x, y) => {
    const p = conv.forward([x, y]) as [number, number];
    if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) throw new Error(`(${x}, ${y}) has no lon/lat in this CRS`);
    return p;
  };
}

/** proj4 accepts some WKT it cannot really use: a probe at the origin must give finite lon/lat (throws otherwise). */
function probed(crs: Crs): Crs {
  crs.toLonLat?.(0, 0);
  return crs;
}

/** The CRS of registry code `code` (EPSG, or ESRI codes the registry holds). */
export function crsFromRegistry(code: number, label: string): Crs {
  const e = registryEntry(code);
  if (!e) {
    throw new UnknownCrs(`unknown CRS ${label}: EPSG:${code} is not in the EPSG registry (epsg-index); `
      + 'give an EPSG code of a geographic or projected CRS, or reproject first, e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in');
  }
  if (e.kind !== 'CRS-GEOGCRS' && e.kind !== 'CRS-PROJCRS') {
    throw new UnknownCrs(`${label} (${e.name}) is a ${e.kind.replace(/^CRS-/, '').toLowerCase()} CRS, not a horizontal one: boundaries need a geographic or projected CRS`);
  }
  if (!e.proj4) throw new UnknownCrs(`${label} (${e.name}) has no proj4 definition in the registry: reproject first (ogr2ogr -t_srs EPSG:4326)`);
  const shift = shiftOf(e.proj4, datumNameOf(e.wkt), `${label} (${e.name})`);
  const geographic = e.kind === 'CRS-GEOGCRS';
  if (geographic && !shift.towgs84 && /\+proj=longlat/.test(e.proj4) && /\+(datum=WGS84|ellps=WGS84|ellps=GRS80|datum=NAD83)\b/.test(e.proj4)) {
    return { label, toLonLat: null };
  }
  try {
    return { label: `${label} (${e.name})`, toLonLat: converter(withShift(e.proj4, shift)), transformation: shift.transformation };
  } catch (err) {
    throw new UnknownCrs(`${label} (${e.name}): proj4 cannot use its definition (${(err as Error).message})`);
  }
}

/** EPSG (or ESRI) code out of the spellings GeoJSON files use, or 'CRS84'. */
export function parseCrsName(name: string): number | 'CRS84' | null {
  const s = name.trim();
  if (/CRS:?84$/i.test(s) || /OGC(:1\.3)?:CRS84$/i.test(s) || /\/OGC\/1\.3\/CRS84$/i.test(s)) return 'CRS84';
  const m = /^(?:(?:EPSG|ESRI):{1,2}|urn:ogc:def:crs:(?:EPSG|ESRI):[\d.]*:|https?:\/\/www\.opengis\.net\/def\/crs\/(?:EPSG|ESRI)\/[\d.]+\/)(\d+)$/i.exec(s);
  return m ? Number(m[1]) : null;
}

export function crsFromCode(code: number | 'CRS84', label: string): Crs {
  if (code === 'CRS84' || code === 4326) return { label, toLonLat: null };
  return crsFromRegistry(code, label);
}

/** The GeoJSON `crs` member (2008 spec; RFC 7946 files have none and are lon/lat). */
export function crsOfGeoJSON(crs: unknown): Crs {
  if (crs === undefined || crs === null) return LONLAT;
  const o = crs as { type?: string; properties?: { name?: unknown } };
  if (o.type === 'name' && typeof o.properties?.name === 'string') {
    const code = parseCrsName(o.properties.name);
    if (code === null) {
      throw new UnknownCrs(`unknown CRS "${o.properties.name}" in the GeoJSON crs member: give it as urn:ogc:def:crs:EPSG::NNNN, `
        + 'http://www.opengis.net/def/crs/EPSG/0/NNNN or EPSG:NNNN (any code of the EPSG registry)');
    }
    return crsFromCode(code, o.properties.name);
  }
  throw new UnknownCrs(`unreadable GeoJSON crs member ${JSON.stringify(crs).slice(0, 200)}: use {"type":"name","properties":{"name":"EPSG:NNNN"}}`);
}

/** Normalised datum name → the lowest geographic registry code on that datum (built on first need: ~800 entries). */
let datums: Map<string, number> | undefined;
function registryDatum(name: string): RegistryEntry | null {
  if (!datums) {
    datums = new Map();
    // read, not required: the 8 MB registry is dropped once the ~800 datum names are indexed
    const all = JSON.parse(readFileSync(require.resolve('epsg-index/all.json'), 'utf8')) as Record<string, RegistryEntry>;
    for (const e of Object.values(all)) {
      if (e.kind !== 'CRS-GEOGCRS' || !e.proj4) continue;
      const d = datumNameOf(e.wkt);
      const key = d && norm(d);
      if (key && !datums.has(key)) datums.set(key, Number(e.code));
    }
  }
  const code = datums.get(norm(name));
  return code === undefined ? null : registryEntry(code);
}

/** A Shapefile's .prj (ESRI or OGC WKT). */
export function crsOfPrj(wkt: string): Crs {
  const text = wkt.trim();
  const head = /^([A-Z_]+)\s*\[\s*"([^"]*)"/.exec(text);
  if (!head) throw new UnknownCrs(`unreadable .prj (not WKT): ${text.slice(0, 120)}`);
  // the CRS's own AUTHORITY is the last one, closing the outermost bracket
  const authority = /AUTHORITY\s*\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]\s*\]\s*$/i.exec(text);
  if (authority && registryEntry(Number(authority[1]))) return crsFromRegistry(Number(authority[1]), `${head[2]} (EPSG:${authority[1]})`);
  const datumName = datumNameOf(text);
  const geographic = head[1] === 'GEOGCS' || head[1] === 'GEOGCRS';
  if (geographic && datumName && WGS84_LIKE.test(datumName)) return { label: head[2], toLonLat: null };
  // the datum by name in the registry: its shift (grids replaced as for codes); else what proj4 reads from the WKT
  const known = datumName ? registryDatum(datumName) : null;
  if (geographic && !known) {
    throw new UnknownCrs(`geographic CRS "${head[2]}" on datum "${datumName ?? '?'}" is not in the EPSG registry: `
      + 'give a .prj naming an EPSG datum, or reproject to EPSG:4326 first (ogr2ogr -t_srs EPSG:4326)');
  }
  let shift: Shift | null = null;
  if (known?.proj4) shift = shiftOf(known.proj4, datumNameOf(known.wkt), `${head[2]} (datum ${datumName})`);
  try {
    proj4.defs('agglomera:prj', text);
    const def = { ...(proj4.defs('agglomera:prj') as unknown as Record<string, unknown>) };
    if (shift?.towgs84) {
      def.datumCode = 'agglomera';
      def.datum_params = shift.towgs84.split(',').map(Number);
    }
    if (geographic && !shift?.towgs84) return { label: head[2], toLonLat: null, transformation: shift?.transformation };
    const transformation = shift
      ? `${shift.transformation}, datum "${datumName}" as EPSG:${known!.code}`
      : `as proj4 reads the WKT (datum "${datumName ?? '?'}" not found in the registry)`;
    return probed({ label: head[2], toLonLat: converter(new proj4.Proj(def as never)), transformation });
  } catch (e) {
    throw new UnknownCrs(`unknown CRS "${head[2]}" in the .prj (${(e as Error).message}): give a .prj that proj4 reads, or reproject first (ogr2ogr -t_srs EPSG:4326)`);
  }
}
