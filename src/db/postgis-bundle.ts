// The PostGIS extension of the embedded database, loaded from a bundle of only what the store uses.
// @electric-sql/pglite-postgis ships one tarball (91 MB unpacked) with PostGIS, postgis_raster (GDAL),
// postgis_topology and the tiger geocoder, their install, upgrade and legacy scripts, and PROJ's data. PGlite reads
// all of it into the process at every open: the gunzipped tarball is kept as a Blob, copied once more to be untarred,
// each file is written into its in-memory filesystem, and each .so is compiled and linked on load. Measured on an
// existing store: 876 MB RSS right after opening with the full bundle, 550 MB with this one (356 MB without PostGIS).
// The store only ever runs `CREATE EXTENSION postgis` (prisma/migrations/…_init), so the bundle keeps postgis-3.so,
// postgis.control, the install script of its default version and PROJ's data (ST_Transform); raster, topology and
// the geocoder (never created here) and the upgrade / unpackaged / legacy scripts (never run) are left out.
// The bundle is made once from the package's own tarball (entries copied by tar-stream) and kept in
// the temp folder under a name that changes with that tarball; when it cannot be made the full tarball is used.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Extension } from '@electric-sql/pglite';
import { gunzipSync, gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';

// raises when the choice of files below changes, so that an old bundle is not reused
const LAYOUT = 1;

const EXT = 'share/postgresql/extension/';

/** The entries of the tarball `tar` whose path `keep` accepts (`type`: tar-stream's entry type, e.g. 'file',
 *  'directory'), as a new tarball (uncompressed). Read and written by tar-stream (ustar, GNU and pax headers). */
export async function filterTar(tar: Buffer, keep: (name: string, type: string) => boolean): Promise<Buffer> {
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const packed = new Promise<void>((resolve, reject) => { pack.on('end', resolve); pack.on('error', reject); });
  const read = new Promise<void>((resolve, reject) => { extract.on('finish', resolve); extract.on('error', reject); });
  extract.on('entry', (header, stream, next) => {
    if (keep(header.name.replace(/^\.\//, ''), header.type ?? 'file')) stream.pipe(pack.entry(header, next));
    else { stream.on('end', next); stream.resume(); }
  });
  extract.end(tar);
  await read;
  pack.finalize();
  await packed;
  return Buffer.concat(chunks);
}

/** Whether the store needs this entry of the PostGIS tarball (`defaultVersion`: postgis.control's default_version). */
export function neededFile(name: string, type: string, defaultVersion: string): boolean {
  if (type === 'directory') return true; // folders (cheap; PGlite makes them as it meets them)
  if (name === 'lib/postgresql/postgis-3.so') return true;
  if (name === `${EXT}postgis.control` || name === `${EXT}postgis--${defaultVersion}.sql`) return true;
  return name.startsWith('share/proj/');
}

/** The package's tarball, beside its entry point (dist/). */
function fullBundle(): string {
  return path.join(path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite-postgis')), 'postgis.tar.gz');
}

/** The content of the file `name` in the tarball `tar` (empty when it is not there). */
export async function fileOf(tar: Buffer, name: string): Promise<Buffer> {
  const one = await filterTar(tar, (n) => n === name);
  const out: Buffer[] = [];
  const extract = tarStream.extract();
  extract.on('entry', (_h, stream, next) => { stream.on('data', (c: Buffer) => out.push(c)); stream.on('end', next); });
  const done = new Promise<void>((resolve, reject) => { extract.on('finish', resolve); extract.on('error', reject); });
  extract.end(one);
  await done;
  return Buffer.concat(out);
}

/** Path of the reduced bundle (made on first use), or the package's full one when it cannot be made. */
export async function postgisBundle(log?: (m: string) => void): Promise<string> {
  const full = fullBundle();
  try {
    const st = statSync(full);
    const key = createHash('sha1').update(`${LAYOUT}:${full}:${st.size}:${st.mtimeMs}`).digest('hex').slice(0, 16);
    const file = path.join(os.tmpdir(), `agglomera-postgis-${key}.tar.gz`);
    if (existsSync(file)) return file;
    const tar = gunzipSync(readFileSync(full));
    const text = (await fileOf(tar, `${EXT}postgis.control`)).toString('utf8');
    const defaultVersion = /default_version\s*=\s*'([^']+)'/.exec(text)?.[1] ?? '';
    if (!defaultVersion) throw new Error('no default_version in postgis.control');
    const slim = await filterTar(tar, (name, type) => neededFile(name, type, defaultVersion));
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
  const bundle = pathToFileURL(await postgisBundle(log));
  return { ...postgis, setup: async (pg, opts) => ({ ...(await postgis.setup(pg, opts)), bundlePath: bundle }) };
}
