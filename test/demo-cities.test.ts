// The committed city outlines: codes, regions, ring validity, and contiguity that survives simplification.
import { describe, expect, it } from 'vitest';
import { loadCityFeatures } from '../src/demo/cities.js';
import { contiguity } from '../src/demo/contiguity.js';
import { pointInRing } from '../src/geo/geojson.js';

const features = loadCityFeatures();
const byCode = new Map(features.map((f) => [f.properties.code, f]));

describe('data/cities.geojson', () => {
  it('holds the prefecture-level units, municipalities included, with unique GB/T 2260 codes', () => {
    expect(features.length).toBe(338);
    expect(byCode.size).toBe(features.length);
    for (const f of features) {
      expect(f.properties.code).toMatch(/^\d{4}00$/);
      expect(f.properties.provinceCode).toBe(`${f.properties.code.slice(0, 2)}0000`);
    }
    for (const code of ['110000', '120000', '310000', '500000', '371200', '540600', '460300']) expect(byCode.has(code)).toBe(true);
    expect(byCode.get('320100')!.properties).toEqual({ code: '320100', name: '南京市', province: '江苏省', provinceCode: '320000', region: 'East' });
    expect(byCode.get('420600')!.properties.name).toBe('襄阳市');
    // county-level units administered by a province are not prefecture-level
    expect(features.some((f) => ['济源', '仙桃', '石河子', '琼海'].some((n) => f.properties.name.startsWith(n)))).toBe(false);
  });

  it('assigns the three-belt region by province', () => {
    const counts = { East: 0, Central: 0, West: 0 };
    for (const f of features) counts[f.properties.region]++;
    expect(counts).toEqual({ East: 103, Central: 104, West: 131 });
    expect(byCode.get('500000')!.properties.region).toBe('West'); // 重庆
    expect(byCode.get('210100')!.properties.region).toBe('East'); // 沈阳 (NBS 4-way: 东北)
    expect(byCode.get('230100')!.properties.region).toBe('Central'); // 哈尔滨
    expect(byCode.get('150100')!.properties.region).toBe('West'); // 呼和浩特
  });

  it('has closed rings of at least 4 positions, lon/lat in China, 4 decimals', () => {
    let vertices = 0;
    for (const f of features) {
      expect(f.geometry.type).toBe('MultiPolygon');
      expect(f.geometry.coordinates.length).toBeGreaterThan(0);
      for (const poly of f.geometry.coordinates) for (const ring of poly) {
        expect(ring.length).toBeGreaterThanOrEqual(4);
        expect(ring[0]).toEqual(ring[ring.length - 1]);
        for (const [x, y] of ring) {
          vertices++;
          expect(x > 73 && x < 136 && y > 3 && y < 54).toBe(true);
          expect(Math.abs(x * 1e4 - Math.round(x * 1e4))).toBeLessThan(1e-6);
        }
      }
    }
    expect(vertices).toBeGreaterThan(150_000);
    expect(vertices).toBeLessThan(250_000);
  });

  it('keeps overlapping shared borders (南京/扬州) and only Hainan units as islands', () => {
    const nj = byCode.get('320100')!;
    const yz = byCode.get('321000')!;
    const inside = yz.geometry.coordinates.flatMap((p) => p[0]).filter((pt) => nj.geometry.coordinates.some((q) => pointInRing(pt, q[0])));
    expect(inside.length).toBeGreaterThan(0); // the outlines overlap by a sliver: ST_Touches would say false
    const c = contiguity(features);
    expect(c.pairKm('320100', '321000')).toBeGreaterThan(40);
    expect(c.islands.map((p) => p.code)).toEqual(['460100', '460200', '460300', '460400']);
    expect(c.pairKm('330900', '310000')).toBeGreaterThan(1); // 舟山 is not isolated: 嵊泗/洋山 come within the band of 上海
    expect(c.pairs.filter((p) => p.km >= 1).length).toBe(898);
  });
});
