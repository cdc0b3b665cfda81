// Writes the README walk-through's example files (examples/): a small city-year panel keyed by city NAME (as
// yearbooks give it, in mixed forms) as .xlsx (indicators) and as a GB18030 CSV (controls), a firm list with
// coordinates, and the study file that uses them. Deterministic: run `npx tsx scripts/make-examples.ts` again for
// the same bytes of the CSVs (the .xlsx carries a fixed date).
import { writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';

const dir = new URL('../examples/', import.meta.url);
let seed = 20261206;
const rnd = () => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const r2 = (x: number, d = 3) => Number(x.toFixed(d));

// names as researchers' sheets have them: with and without 市, stray spaces; centre lon/lat for the firm list
const CITIES: [string, number, number][] = [
  ['南京', 118.78, 32.06], ['无锡市', 120.31, 31.49], [' 苏州 ', 120.59, 31.30], ['常州市', 119.97, 31.81], ['南通', 120.89, 31.98],
  ['扬州市', 119.41, 32.39], ['杭州', 120.16, 30.27], ['宁波市', 121.55, 29.87], ['嘉兴', 120.76, 30.75], ['绍兴市', 120.58, 30.00],
  ['合肥', 117.23, 31.82], ['芜湖市', 118.43, 31.35],
];
const YEARS = Array.from({ length: 10 }, (_, i) => 2010 + i);

const rows = CITIES.flatMap(([name], c) => {
  const base = 0.5 + c / CITIES.length;
  return YEARS.map((y) => {
    const t = y - 2010;
    const gdp = r2(6 + base * 4 + t * 0.6 + rnd(), 2);
    return {
      name, year: y,
      rd_staff: r2(20 + base * 30 + t * 3 + 6 * rnd(), 1), patents_k: r2(2 + base * 8 + t * 1.1 + 2 * rnd(), 2),
      broadband: r2(0.3 + 0.05 * t + 0.2 * base + 0.05 * rnd()), energy_int: r2(0.9 - 0.04 * t - 0.2 * base + 0.1 * rnd()),
      gdp_pc: gdp, pop: r2(400 + 600 * base + 5 * t + 20 * rnd(), 0), urban: r2(0.55 + 0.02 * t + 0.1 * base + 0.03 * rnd()),
    };
  });
});

const wb = new ExcelJS.Workbook();
wb.created = wb.modified = new Date('2026-12-06T00:00:00Z');
const ws = wb.addWorksheet('panel');
ws.addRow(['城市', '年份', 'rd_staff', 'patents_k', 'broadband', 'energy_int']);
for (const r of rows) ws.addRow([r.name, r.year, r.rd_staff, r.patents_k, r.broadband, r.energy_int]);
await wb.xlsx.writeFile(new URL('panel-indicators.xlsx', dir).pathname);

const csv = ['城市,年份,gdp_pc,pop,urban', ...rows.map((r) => `${r.name.trim()},${r.year},${r.gdp_pc},${r.pop},${r.urban}`)].join('\r\n');
writeFileSync(new URL('panel-controls-gb18030.csv', dir), iconv.encode(`${csv}\r\n`, 'gb18030'));

const kinds = ['fledgling', 'gazelle', 'unicorn'];
const firms = ['id,name,lon,lat,founded,industry', ...Array.from({ length: 36 }, (_, i) => {
  const [city, lon, lat] = CITIES[i % CITIES.length];
  return `${i + 1},${city.trim()}示例科技${i + 1}号有限公司,${(lon + (rnd() - 0.5) * 0.1).toFixed(5)},${(lat + (rnd() - 0.5) * 0.1).toFixed(5)},${2008 + Math.floor(rnd() * 10)}-01-01,${kinds[i % 3] === 'unicorn' ? 'I65' : 'C39'}`;
})].join('\n');
writeFileSync(new URL('firms-coordinates.csv', dir), `${firms}\n`);
