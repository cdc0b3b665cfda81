// The unit matcher on fixed unit lists (no database): every name form, the province filter, ambiguity, history per
// kind of change (with a table written here and with the shipped one), non-Chinese units; the shipped change table
// is checked against its schema and the shipped city file; the sample rule dropChangedUnits.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UnitMatcher, type UnitRecord } from '../src/units/match.js';
import { adminChanges, parseAdminChanges, unitsChangedWithin, type AdminChange } from '../src/units/history.js';
import { baseName, latinKeys, normalName, shortForms } from '../src/units/names.js';
import { applySample } from '../src/domain/sample.js';

const CN: UnitRecord[] = [
  { code: '320100', name: '南京市', province: '江苏省', provinceCode: '320000' },
  { code: '321200', name: '泰州市', province: '江苏省', provinceCode: '320000' },
  { code: '320500', name: '苏州市', province: '江苏省', provinceCode: '320000' },
  { code: '341300', name: '宿州市', province: '安徽省', provinceCode: '340000' },
  { code: '331000', name: '台州市', province: '浙江省', provinceCode: '330000' },
  { code: '350100', name: '福州市', province: '福建省', provinceCode: '350000' },
  { code: '361000', name: '抚州市', province: '江西省', provinceCode: '360000' },
  { code: '522600', name: '黔东南苗族侗族自治州', province: '贵州省', provinceCode: '520000' },
  { code: '520500', name: '毕节市', province: '贵州省', provinceCode: '520000' },
  { code: '420600', name: '襄阳市', province: '湖北省', provinceCode: '420000' },
  { code: '232700', name: '大兴安岭地区', province: '黑龙江省', provinceCode: '230000' },
  { code: '152900', name: '阿拉善盟', province: '内蒙古自治区', provinceCode: '150000' },
  { code: '340100', name: '合肥市', province: '安徽省', provinceCode: '340000' },
  { code: '340200', name: '芜湖市', province: '安徽省', provinceCode: '340000' },
  { code: '340500', name: '马鞍山市', province: '安徽省', provinceCode: '340000' },
  { code: '370100', name: '济南市', province: '山东省', provinceCode: '370000' },
  { code: '460300', name: '三沙市', province: '海南省', provinceCode: '460000' },
  { code: '460400', name: '儋州市', province: '海南省', provinceCode: '460000' },
  { code: '450100', name: '南宁市', province: '广西壮族自治区', provinceCode: '450000' },
];
const m = new UnitMatcher(CN);
const ok = (v: string, ctx = {}) => {
  const r = m.match(v, ctx);
  if (!r.ok) throw new Error(`${v}: ${r.reason}`);
  return [r.code, r.method];
};

describe('name forms (by rule, not by list)', () => {
  it('normal form: trim, inner spaces, full-width, traditional', () => {
    expect(normalName('  南 京　市 ')).toBe('南京市');
    expect(normalName('黔東南苗族侗族自治州')).toBe('黔东南苗族侗族自治州');
    expect(normalName('ＮａｎＪｉｎｇ  City')).toBe('nanjing city');
  });
  it('short forms: 市, 地区, 盟, 自治州 (nationalities stripped), provinces', () => {
    expect(shortForms('黔东南苗族侗族自治州')).toEqual(['黔东南', '黔东南州', '黔东南自治州']);
    expect(shortForms('巴音郭楞蒙古自治州')).toEqual(['巴音郭楞', '巴音郭楞州', '巴音郭楞自治州']);
    expect(shortForms('大兴安岭地区')).toEqual(['大兴安岭']);
    expect(shortForms('阿拉善盟')).toEqual(['阿拉善']);
    expect(shortForms('南京市')).toEqual(['南京']);
    expect(baseName('广西壮族自治区')).toBe('广西');
    expect(baseName('内蒙古自治区')).toBe('内蒙古'); // 蒙古 is not stripped down to one character
    expect(shortForms('Autauga County')).toEqual([]);
  });
  it('romanised keys drop one level suffix', () => {
    expect(latinKeys('Nanjing City')).toEqual(['nanjingcity', 'nanjing']);
    expect(latinKeys("Lu'an")).toEqual(['luan']);
  });
});

describe('UnitMatcher', () => {
  it('matches by code, exact name, normal form, short form and pinyin, naming the method', () => {
    expect(ok('320100')).toEqual(['320100', 'code']);
    expect(ok('南京市')).toEqual(['320100', 'name']);
    expect(ok(' 南京市 ')).toEqual(['320100', 'name']); // trimmed first
    expect(ok('南 京 市')).toEqual(['320100', 'normalised']);
    expect(ok('黔東南苗族侗族自治州')).toEqual(['522600', 'normalised']);
    expect(ok('南京')).toEqual(['320100', 'short']);
    expect(ok('黔东南州')).toEqual(['522600', 'short']);
    expect(ok('黔东南')).toEqual(['522600', 'short']);
    expect(ok('大兴安岭')).toEqual(['232700', 'short']);
    expect(ok('阿拉善')).toEqual(['152900', 'short']);
    for (const v of ['Nanjing', 'nanjing shi', 'Nanjing City', 'ＮＡＮＪＩＮＧ', 'NANJING']) expect(ok(v)).toEqual(['320100', 'pinyin']);
    expect(ok('Qiandongnan')).toEqual(['522600', 'pinyin']);
  });

  it('ambiguous pinyin is a problem naming the candidates; a province (any form) settles it', () => {
    for (const [v, a, b] of [['Fuzhou', '福州市', '抚州市'], ['Taizhou', '泰州市', '台州市'], ['Suzhou', '苏州市', '宿州市']]) {
      const r = m.match(v);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.kind).toBe('ambiguous');
        expect(r.reason).toContain(a);
        expect(r.reason).toContain(b);
        expect(r.candidates).toHaveLength(2);
      }
    }
    expect(ok('Fuzhou', { province: '江西' })).toEqual(['361000', 'pinyin']);
    expect(ok('Fuzhou', { province: 'Fujian' })).toEqual(['350100', 'pinyin']);
    expect(ok('Taizhou', { province: '江苏省' })).toEqual(['321200', 'pinyin']);
    expect(ok('Taizhou', { province: 'Zhejiang Province' })).toEqual(['331000', 'pinyin']);
    expect(ok('Suzhou', { province: '340000' })).toEqual(['341300', 'pinyin']);
    expect(ok('南宁', { province: '广西' })).toEqual(['450100', 'short']);
  });

  it('a name outside the given province, an unknown province and an unknown name are problems', () => {
    const a = m.match('南京', { province: '浙江' });
    expect(a).toMatchObject({ ok: false, kind: 'province' });
    expect(!a.ok && a.reason).toBe("no unit '南京' in 浙江; outside it: 南京市 (320100, 江苏省)");
    expect(m.match('南京', { province: '火星省' })).toMatchObject({ ok: false, kind: 'province' });
    const u = m.match('南京府');
    expect(u).toMatchObject({ ok: false, kind: 'unknown' });
    expect(!u.ok && u.reason).toBe("unknown unit '南京府' (not among the stored units; similar: 南京市 (320100, 江苏省))");
    expect(m.match('南通')).toMatchObject({ ok: false, kind: 'unknown', reason: "unknown unit '南通' (not among the stored units)" });
    expect(m.match('')).toMatchObject({ ok: false, kind: 'unknown' });
  });

  it('modes: code only, name only', () => {
    const code = new UnitMatcher(CN, { mode: 'code' });
    expect(code.match('320100')).toMatchObject({ ok: true, method: 'code' });
    expect(code.match('南京')).toMatchObject({ ok: false, kind: 'unknown' });
    const name = new UnitMatcher(CN, { mode: 'name' });
    expect(name.match('南京')).toMatchObject({ ok: true, code: '320100' });
    expect(name.match('320100')).toMatchObject({ ok: false, kind: 'unknown' });
  });

  it('units from anywhere: FIPS counties match by code and exact name; duplicate names are ambiguous', () => {
    const us = new UnitMatcher([
      { code: '01001', name: 'Autauga', province: 'Alabama' },
      { code: '39157', name: 'Tuscarawas', province: 'Ohio' },
      { code: '01129', name: 'Washington', province: 'Alabama' },
      { code: '53000', name: 'Washington', province: null },
    ], { history: [] });
    expect(us.match('01001')).toMatchObject({ ok: true, code: '01001', method: 'code' });
    expect(us.match('Tuscarawas')).toMatchObject({ ok: true, code: '39157', method: 'name' });
    expect(us.match(' tuscarawas ')).toMatchObject({ ok: true, code: '39157', method: 'normalised' });
    expect(us.match('Washington')).toMatchObject({ ok: false, kind: 'ambiguous' });
    expect(us.match('Washington', { province: 'Alabama' })).toMatchObject({ ok: true, code: '01129' });
  });

  it('caches per (value, province, year): the same object comes back', () => {
    expect(m.match('Nanjing City')).toBe(m.match('Nanjing City'));
    expect(m.match('襄樊市', { year: 2008 })).not.toBe(m.match('襄樊市', { year: 2009 }));
  });
});

describe('history: a row year picks the reading', () => {
  const T: AdminChange[] = parseAdminChanges({ changes: [
    { year: 2005, kind: 'rename', province: 'P', old: { name: 'Oldtown', code: '100100' }, new: { name: 'Newtown', code: '100100' }, areaChanged: false, source: 't' },
    { year: 2007, kind: 'conversion', province: 'P', old: { name: 'Hill Prefecture', code: '102100' }, new: { name: 'Hill', code: '100200' }, areaChanged: false, source: 't' },
    { year: 2008, kind: 'abolition', province: 'P', old: { name: 'Lake', code: '100300' }, successors: [{ name: 'Newtown', code: '100100' }, { name: 'Hill', code: '100200' }], areaChanged: true, source: 't' },
    { year: 2010, kind: 'new', province: 'P', new: { name: 'Isle', code: '100400' }, from: [], areaChanged: true, source: 't' },
    { year: 2003, kind: 'rename', province: 'P', old: { name: 'Oldest', code: '100100' }, new: { name: 'Oldtown', code: '100100' }, areaChanged: false, source: 't' },
  ] });
  const units = ['Newtown:100100', 'Hill:100200', 'Isle:100400'].map((s) => ({ code: s.split(':')[1], name: s.split(':')[0], province: 'P' }));
  const h = new UnitMatcher(units, { history: T });
  it('rename (and a chain of renames)', () => {
    expect(h.match('Oldtown', { year: 2004 })).toMatchObject({ ok: true, code: '100100', method: 'history' });
    expect(h.match('Oldest', { year: 2001 })).toMatchObject({ ok: true, code: '100100', method: 'history', via: 'Oldest → Oldtown 2003, Oldtown → Newtown 2005' });
  });
  it('conversion with a new code: old name and old code', () => {
    expect(h.match('Hill Prefecture', { year: 2006 })).toMatchObject({ ok: true, code: '100200', method: 'history' });
    expect(h.match('102100', { year: 2006 })).toMatchObject({ ok: true, code: '100200', method: 'history' });
  });
  it('abolition: a problem naming the year and the successors', () => {
    const r = h.match('Lake', { year: 2006 });
    expect(r).toMatchObject({ ok: false, kind: 'abolished', reason: 'Lake: abolished 2008 (Newtown / Hill)' });
  });
  it('new unit: rows before it existed are refused, later ones (and rows without a year) match', () => {
    expect(h.match('Isle', { year: 2009 })).toMatchObject({ ok: false, kind: 'not-yet', reason: 'Isle: established 2010, no such unit in 2009' });
    expect(h.match('Isle', { year: 2010 })).toMatchObject({ ok: true, code: '100400' });
    expect(h.match('Isle')).toMatchObject({ ok: true, code: '100400' });
  });
  it('a bad table is refused naming the entry', () => {
    expect(() => parseAdminChanges({ changes: [{ year: 2011, kind: 'abolition', province: 'P', old: { name: 'X', code: null }, areaChanged: true, source: 's' }] }))
      .toThrow('admin changes: changes.0.successors: abolition needs successors');
  });
});

describe('the shipped change table (data/admin-changes.json)', () => {
  const cities = JSON.parse(readFileSync('data/cities.geojson', 'utf8')).features.map((f: { properties: UnitRecord }) => f.properties) as UnitRecord[];
  const byCode = new Map(cities.map((c) => [c.code, c]));
  const shipped = adminChanges();
  it('parses, every entry has a year and a source, and every new / successor code is the stored unit of that name and province', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(35);
    for (const c of shipped) {
      expect(c.source).toMatch(/民政部 \d{4}年县级以上行政区划变更情况/);
      for (const u of [c.new, ...(c.successors ?? []), ...(c.from ?? [])]) {
        if (!u?.code) continue;
        // the stored name is this one or that of a later rename keeping the code (思茅市 → 普洱市)
        const names = [u.name, ...shipped.filter((r) => r.kind === 'rename' && r.year >= c.year && r.old?.code === u.code).map((r) => r.new!.name)];
        expect(names, `${c.year} ${c.kind} ${u.name}`).toContain(byCode.get(u.code)?.name);
        expect(byCode.get(u.code)?.province).toBe(c.province);
      }
    }
  });
  const s = new UnitMatcher(cities);
  it('reads the yearbook names of the issue on the shipped cities', () => {
    expect(s.match('毕节地区', { year: 2008 })).toMatchObject({ ok: true, code: '520500', method: 'history' });
    expect(s.match('522400', { year: 2008 })).toMatchObject({ ok: true, code: '520500', method: 'history' });
    expect(s.match('铜仁地区', { year: 2010 })).toMatchObject({ ok: true, code: '520600' });
    expect(s.match('襄樊市', { year: 2008 })).toMatchObject({ ok: true, code: '420600', method: 'history', via: '襄樊市 → 襄阳市 2010' });
    expect(s.match('Xiangfan', { year: 2008 })).toMatchObject({ ok: true, code: '420600', method: 'history' });
    expect(s.match('思茅', { year: 2005 })).toMatchObject({ ok: true, code: '530800', method: 'history' });
    expect(s.match('思茅地区', { year: 2001 })).toMatchObject({ ok: true, code: '530800', via: '思茅地区 → 思茅市 2003, 思茅市 → 普洱市 2007' });
    for (const [old, code] of [['海东地区', '630200'], ['日喀则地区', '540200'], ['昌都地区', '540300'], ['吐鲁番地区', '650400'], ['林芝地区', '540400'],
      ['哈密地区', '650500'], ['山南地区', '540500'], ['那曲地区', '540600'], ['伊克昭盟', '150600']] as const) {
      expect(s.match(old, { year: 2005 })).toMatchObject({ ok: true, code, method: 'history' });
    }
    expect(s.match('469003', { year: 2012 })).toMatchObject({ ok: true, code: '460400', method: 'history' }); // 儋州 county-level code
    expect(s.match('巢湖市', { year: 2008 })).toMatchObject({ ok: false, kind: 'abolished', reason: '巢湖市: abolished 2011 (合肥市 / 芜湖市 / 马鞍山市)' });
    expect(s.match('巢湖', { year: 2012 })).toMatchObject({ ok: false, kind: 'abolished' });
    expect(s.match('三沙市', { year: 2010 })).toMatchObject({ ok: false, kind: 'not-yet' });
    // the shipped store still holds 莱芜市 (371200): it is read as that unit; a store without it is told of 2019
    expect(s.match('莱芜市', { year: 2015 })).toMatchObject({ ok: true, code: '371200', method: 'name' });
    const without = new UnitMatcher(cities.filter((c) => c.code !== '371200'));
    expect(without.match('莱芜', { year: 2015 })).toMatchObject({ ok: false, kind: 'abolished', reason: '莱芜市: abolished 2019 (济南市)' });
  });
});

describe('sample rule dropChangedUnits (paper rule 1)', () => {
  const frame = (codes: string[], years: number[]) => {
    const city: string[] = [], year: number[] = [];
    for (const c of codes) for (const y of years) { city.push(c); year.push(y); }
    const n = city.length;
    return { nrows: n, columns: { city, year: Float64Array.from(year), NQP: Float64Array.from({ length: n }, (_, i) => 1 + (i % 3)) } };
  };
  const opts = { dropBrokenCities: false, dropMissing: false, nqpOutlierK: null, winsorize: null } as const;
  it('is off unless asked (no report entry); on, it drops the units an area change touched within the window', () => {
    const f = frame(['340100', '340200', '340500', '420600', '520500', '320100', '460300'], [2008, 2009, 2010, 2011, 2012]);
    const off = applySample(f, opts);
    expect(off.report.map((r) => r.rule)).not.toContain('dropChangedUnits');
    expect(off.frame.nrows).toBe(35);
    const on = applySample(f, { ...opts, dropChangedUnits: true });
    const e = on.report.find((r) => r.rule === 'dropChangedUnits')!;
    // 巢湖 2011 changed 合肥 / 芜湖 / 马鞍山; 三沙 created 2012; 襄阳 (rename) and 毕节 (conversion) kept their area
    expect(e.citiesDropped).toEqual(['340100', '340200', '340500', '460300']);
    expect(e.rowsDropped).toBe(20);
    expect(on.frame.nrows).toBe(15);
    expect(e.detail).toContain('340100 (abolition 2011)');
    // a window that starts in the year of the change: the change took effect before the sample
    const late = applySample(frame(['340100', '320100'], [2011, 2012, 2013]), { ...opts, dropChangedUnits: true });
    expect(late.report.find((r) => r.rule === 'dropChangedUnits')!.rowsDropped).toBe(0);
    expect([...unitsChangedWithin(2018, 2019).keys()].sort()).toEqual(['370100', '371200']);
  });
});
