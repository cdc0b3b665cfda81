// The PostGIS extension of the embedded database, loaded from a bundle of only what the store uses.
// @electric-sql/pglite-postgis ships one tarball (91 MB unpacked) with PostGIS, postgis_raster (GDAL),
// postgis_topology and the tiger geocoder, their install, upgrade and legacy scripts, and PROJ's data. PGlite reads
// all of it into the process at every open: the gunzipped tarball is kept as a Blob, copied once more to be untarred,
// each file is written into its in-memory filesystem, and each .so is compiled and linked on load. Measured on an
// existing store: 876 MB RSS right after opening with the full bundle, 550 MB with this one (356 MB without PostGIS).
// The store only ever runs `CREATE EXTENSION postgis` (prisma/migrations/…_init), so the bundle keeps postgis-3.so,
// postgis.control, the install script of its default version and PROJ's data (ST_Transform); raster, topology and
// the geocoder (never created here) and the upgrade / unpackaged / legacy scripts (never run) are left out.
// The bundle is made once from the package's own tarball (its header blocks and data copied as they are) and kept in
// the temp folder under a name that changes with that tarball; when it cannot be made the full tarball is used.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Extension } from '@electric-sql/pglite';
import { gunzipSync, gzipSync } from 'node:zlib';

// raises when the choice of files below changes, so that an old bundle is not reused
const LAYOUT = 1;

const EXT = 'share/postgresql/extension/';

/** Tar entries (header block + data blocks) of `tar` whose path `keep` accepts; a GNU long-name entry goes with the
 *  entry it names. Returns the new tarball (uncompressed, ending in two zero blocks). */
export function filterTar(tar: Buffer, keep: (name: string, type: string) => boolean): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  let longName: { name: string; blocks: Buffer } | undefined;
  while (pos + 512 <= tar.length) {
    const h = tar.subarray(pos, pos + 512);
    if (h.every((b) => b === 0)) break;
    const field = (s: number, n: number) => { const f = h.subarray(s, s + n); const z = f.indexOf(0); return f.toString('utf8', 0, z < 0 ? n : z); };
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const end = pos + 512 + Math.ceil(size / 512) * 512;
    const entry = tar.subarray(pos, end);
    if (type === 'L') {
      longName = { name: tar.toString('utf8', pos + 512, pos + 512 + size).replace(/\0+$/, ''), blocks: entry };
    } else {
      const prefix = field(345, 155);
      const name = longName?.name ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
      if (keep(name.replace(/^\.\//, ''), type)) {
        if (longName) out.push(longName.blocks);
        out.push(entry);
      }
      longName = undefined;
    }
    pos = end;
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** Whether the store needs this entry of the PostGIS tarball (`defaultVersion`: postgis.control's default_version). */
export function neededFile(name: string, type: string, defaultVersion: string): boolean {
  if (type === '5') return true; // folders (cheap; PGlite makes them as it meets them)
  if (name === 'lib/postgresql/postgis-3.so') return true;
  if (name === `${EXT}postgis.control` || name === `${EXT}postgis--${defaultVersion}.sql`) return true;
  return name.startsWith('share/proj/');
}

/** The package's tarball, beside its entry point (dist/). */
function fullBundle(): string {
  return path.join(path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite-postgis')), 'postgis.tar.gz');
}

/** Path of the reduced bundle (made on first use), or the package's full one when it cannot be made. */
export function postgisBundle(log?: (m: string) => void): string {
  const full = fullBundle();
  try {
    const st = statSync(full);
    const key = createHash('sha1').update(`${LAYOUT}:${full}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 16);
    const file = path.join(os.tmpdir(), `agglomera-postgis-${key}.tar.gz`);
    if (existsSync(file)) return file;
    const tar = gunzipSync(readFileSync(full));
    const control = filterTar(tar, (name) => name === `${EXT}postgis.control`);
    const text = control.toString('utf8', 512, control.length);
    const defaultVersion = /default_version\s*=\s*'([^']+)'/.exec(text)?.[1] ?? '';
    if (!defaultVersion) throw new Error('no default_version in postgis.control');
    const slim = filterTar(tar, (name, type) => neededFile(name, type, defaultVersion));
    if (!slim.includes('postgis-3.so') || !slim.includes(`postgis--${defaultVersion}.sql`)) throw new Error('PostGIS files not found in the bundle');
    // written under a name of its own, then renamed: a concurrent start sees the whole file or none
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, gzipSync(slim, { level: 1 }));
    renameSync(tmp, file);
    return file;
  } catch (e) {
    log?.(`PostGIS: the reduced bundle could not be made (${(e as Error).message}); loading the full one`);
    return full;
  }
}

/** The PostGIS extension of @electric-sql/pglite-postgis, reading the reduced bundle instead of the full one. */
export async function postgisExtension(log?: (m: string) => void): Promise<Extension> {
  const { postgis } = await import('@electric-sql/pglite-postgis');
  const bundle = pathToFileURL(postgisBundle(log));
  return { ...postgis, setup: async (pg, opts) => ({ ...(await postgis.setup(pg, opts)), bundlePath: bundle }) };
}
