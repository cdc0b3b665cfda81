// The embedded store's PostGIS bundle (src/db/postgis-bundle.ts): only the files a store uses, made once.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { filterTar, postgisBundle } from '../src/db/postgis-bundle.js';

const names = (tar: Buffer) => {
  const seen: string[] = [];
  filterTar(tar, (name, type) => { if (type !== '5') seen.push(name); return false; });
  return seen;
};

describe('reduced PostGIS bundle', () => {
  it('holds postgis-3.so, its control file, its install script and PROJ data, and nothing of raster, topology or the geocoder', () => {
    const file = postgisBundle();
    expect(file.startsWith(os.tmpdir())).toBe(true);
    const tar = gunzipSync(readFileSync(file));
    const files = names(tar);
    const control = filterTar(tar, (n) => n === 'share/postgresql/extension/postgis.control').toString('utf8', 512);
    const version = /default_version\s*=\s*'([^']+)'/.exec(control)![1];
    expect(files).toEqual(expect.arrayContaining([
      'lib/postgresql/postgis-3.so', 'share/postgresql/extension/postgis.control',
      `share/postgresql/extension/postgis--${version}.sql`, 'share/proj/proj.db',
    ]));
    expect(files.filter((n) => /raster|topology|tiger|unpackaged|--ANY|contrib\//.test(n))).toEqual([]);
    expect(files.filter((n) => n.endsWith('.so'))).toEqual(['lib/postgresql/postgis-3.so']);
    // made once: the next open finds it
    expect(postgisBundle()).toBe(file);
  });

  it('keeps whole entries (header and data) and ends in two zero blocks', () => {
    const entry = (name: string, body: string) => {
      const h = Buffer.alloc(512);
      h.write(name, 0);
      h.write(body.length.toString(8).padStart(11, '0'), 124);
      h.write('0', 156);
      const data = Buffer.alloc(Math.ceil(body.length / 512) * 512);
      data.write(body);
      return Buffer.concat([h, data]);
    };
    const tar = Buffer.concat([entry('a.txt', 'x'.repeat(700)), entry('b.txt', 'bee'), Buffer.alloc(1024)]);
    const out = filterTar(tar, (n) => n === 'b.txt');
    expect(out.length).toBe(512 + 512 + 1024);
    expect(out.toString('utf8', 0, 5)).toBe('b.txt');
    expect(out.toString('utf8', 512, 515)).toBe('bee');
    expect(names(out)).toEqual(['b.txt']);
  });
});
