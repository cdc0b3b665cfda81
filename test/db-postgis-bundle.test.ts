// The embedded store's PostGIS bundle (src/db/postgis-bundle.ts): only the files a store uses, made once.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { fileOf, filterTar, postgisBundle } from '../src/db/postgis-bundle.js';

const names = async (tar: Buffer) => {
  const seen: string[] = [];
  await filterTar(tar, (name, type) => { if (type !== 'directory') seen.push(name); return false; });
  return seen;
};

/** A tarball of `files` (name -> text), made by tar-stream. */
async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => pack.on('end', r));
  for (const [name, text] of Object.entries(files)) pack.entry({ name }, text);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe('reduced PostGIS bundle', () => {
  it('holds postgis-3.so, its control file, its install script and PROJ data, and nothing of raster, topology or the geocoder', async () => {
    const file = await postgisBundle();
    expect(file.startsWith(os.tmpdir())).toBe(true);
    const tar = gunzipSync(readFileSync(file));
    const files = await names(tar);
    const control = (await fileOf(tar, 'share/postgresql/extension/postgis.control')).toString('utf8');
    const version = /default_version\s*=\s*'([^']+)'/.exec(control)![1];
    expect(files).toEqual(expect.arrayContaining([
      'lib/postgresql/postgis-3.so', 'share/postgresql/extension/postgis.control',
      `share/postgresql/extension/postgis--${version}.sql`, 'share/proj/proj.db',
    ]));
    expect(files.filter((n) => /raster|topology|tiger|unpackaged|--ANY|contrib\//.test(n))).toEqual([]);
    expect(files.filter((n) => n.endsWith('.so'))).toEqual(['lib/postgresql/postgis-3.so']);
    // made once: the next open finds it
    expect(await postgisBundle()).toBe(file);
  });

  it('keeps whole entries, long names included, and only those asked for', async () => {
    const long = `share/${'deep/'.repeat(30)}file.sql`; // over ustar's 100 + 155 characters
    const tar = await tarOf({ 'a.txt': 'x'.repeat(700), 'b.txt': 'bee', [long]: 'long one' });
    const out = await filterTar(tar, (n) => n === 'b.txt' || n === long);
    expect(await names(out)).toEqual(['b.txt', long]);
    expect((await fileOf(out, 'b.txt')).toString()).toBe('bee');
    expect((await fileOf(out, long)).toString()).toBe('long one');
    expect((await fileOf(out, 'a.txt')).length).toBe(0);
  });
});
