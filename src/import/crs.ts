// Coordinate reference systems of boundary files: read from the GeoJSON `crs` member or the Shapefile .prj (WKT),
// reprojected to EPSG:4326 lon/lat with proj4. Geographic lon/lat input is passed through untouched (no rounding),
// so clean topologies keep their shared vertices bit for bit.
import proj4 from 'proj4';

export interface Crs {
  /** what the file said, for messages */
  label: string;
  /** null: already lon/lat degrees (EPSG:4326, CRS84 and other geographic CRSs on WGS 84-like datums) */
  toLonLat: ((x: number, y: number) => [number, number]) | null;
}

export class UnknownCrs extends Error {}

export const LONLAT: Crs = { label: 'EPSG:4326', toLonLat: null };

/** Geographic CRSs whose lon/lat differ from WGS 84 by at most a few metres: taken as they are. */
const GEOGRAPHIC = new Set([4326, 4490, 4269, 4258, 4283, 4167, 4617, 4674]);

/** Projected CRSs known by code (others come with their WKT in a .prj). */
function projDefinition(code: number): string | null {
  if (code === 3857 || code === 900913 || code === 3785 || code === 102100) return '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs';
  if (code >= 32601 && code <= 32660) return `+proj=utm +zone=${code - 32600} +datum=WGS84 +units=m +no_defs`;
  if (code >= 32701 && code <= 32760) return `+proj=utm +zone=${code - 32700} +south +datum=WGS84 +units=m +no_defs`;
  if (code >= 26901 && code <= 26923) return `+proj=utm +zone=${code - 26900} +datum=NAD83 +units=m +no_defs`;
  if (code === 5070) return '+proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5 +x_0=0 +y_0=0 +datum=NAD83 +units=m +no_defs';
  if (code === 2163 || code === 9311) return '+proj=laea +lat_0=45 +lon_0=-100 +x_0=0 +y_0=0 +ellps=sphere +units=m +no_defs';
  if (code === 3035) return '+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +units=m +no_defs';
  if (code === 27700) return '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs';
  if (code === 2154) return '+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +units=m +no_defs';
  // CGCS2000 3-degree Gauss-Kruger CM zones (EPSG:4534-4554, central meridians 75E-135E)
  if (code >= 4534 && code <= 4554) return `+proj=tmerc +lat_0=0 +lon_0=${75 + 3 * (code - 4534)} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs`;
  return null;
}

const SUPPORTED = 'EPSG:4326 / CRS84 and other geographic lon/lat CRSs (4490, 4269, 4258, 4283), EPSG:3857, UTM (326xx, 327xx, 269xx), 5070, 2163, 3035, 27700, 2154, 4534-4554, or any CRS given as WKT in a .prj';

function fromProj(label: string, def: string): Crs {
  const conv = proj4(def, 'EPSG:4326');
  return { label, toLonLat: (x, y) => conv.forward([x, y]) as [number, number] };
}

/** EPSG code out of the spellings GeoJSON files use, or 'CRS84'. */
export function parseCrsName(name: string): number | 'CRS84' | null {
  const s = name.trim();
  if (/CRS:?84$/i.test(s) || /OGC(:1\.3)?:CRS84$/i.test(s) || /\/OGC\/1\.3\/CRS84$/i.test(s)) return 'CRS84';
  const m = /^(?:EPSG:{1,2}|urn:ogc:def:crs:EPSG:[\d.]*:|https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/\d+\/)(\d+)$/i.exec(s);
  return m ? Number(m[1]) : null;
}

export function crsFromCode(code: number | 'CRS84', label: string): Crs {
  if (code === 'CRS84' || GEOGRAPHIC.has(code)) return { label, toLonLat: null };
  const def = projDefinition(code);
  if (!def) throw new UnknownCrs(`unknown CRS ${label}: supported are ${SUPPORTED}; reproject first, e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in`);
  return fromProj(label, def);
}

/** The GeoJSON `crs` member (2008 spec; RFC 7946 files have none and are lon/lat). */
export function crsOfGeoJSON(crs: unknown): Crs {
  if (crs === undefined || crs === null) return LONLAT;
  const o = crs as { type?: string; properties?: { name?: unknown } };
  if (o.type === 'name' && typeof o.properties?.name === 'string') {
    const code = parseCrsName(o.properties.name);
    if (code === null) throw new UnknownCrs(`unknown CRS "${o.properties.name}" in the GeoJSON crs member: supported are ${SUPPORTED}`);
    return crsFromCode(code, o.properties.name);
  }
  throw new UnknownCrs(`unreadable GeoJSON crs member ${JSON.stringify(crs).slice(0, 200)}: use {"type":"name","properties":{"name":"EPSG:NNNN"}}`);
}

/** A Shapefile's .prj (ESRI or OGC WKT). */
export function crsOfPrj(wkt: string): Crs {
  const text = wkt.trim();
  const head = /^([A-Z_]+)\s*\[\s*"([^"]*)"/.exec(text);
  if (!head) throw new UnknownCrs(`unreadable .prj (not WKT): ${text.slice(0, 120)}`);
  const authority = /AUTHORITY\s*\[\s*"EPSG"\s*,\s*"?(\d+)"?\s*\]\s*\]\s*$/i.exec(text);
  if (head[1] === 'GEOGCS' || head[1] === 'GEOGCRS') {
    // lon/lat degrees; datums of the GEOGRAPHIC list differ from WGS 84 by metres at most
    const datum = /DATUM\s*\[\s*"([^"]*)"/i.exec(text)?.[1] ?? '';
    if (/WGS.?1984|WGS.?84|North_American_Datum_1983|NAD83|China_2000|CGCS.?2000|ETRS.?1989|European_Terrestrial|GDA.?94|Geocentric_Datum_of_Australia/i.test(datum)) {
      return { label: head[2], toLonLat: null };
    }
    throw new UnknownCrs(`geographic CRS "${head[2]}" on datum "${datum}" is not supported: reproject to EPSG:4326 first (ogr2ogr -t_srs EPSG:4326)`);
  }
  if (authority) {
    const def = projDefinition(Number(authority[1]));
    if (def) return fromProj(`${head[2]} (EPSG:${authority[1]})`, def);
  }
  try {
    const crs = fromProj(head[2], text);
    // proj4 accepts some WKT it cannot really use; a probe at the origin must give finite lon/lat
    const probe = crs.toLonLat!(0, 0);
    if (!probe.every(Number.isFinite)) throw new Error('projection gives no finite coordinates');
    return crs;
  } catch (e) {
    throw new UnknownCrs(`unknown CRS "${head[2]}" in the .prj (${(e as Error).message}): supported are ${SUPPORTED}`);
  }
}
