// Synthetic Chinese-style units for the import bench: distinct three-character bases (a syllable table chosen far
// from real place names) with a level suffix (市 / 州 / 地区 / 盟, the suffixes the name matcher strips), a province
// each, and small disjoint squares in the Southern Ocean as boundaries, so they enter the store through the product's
// own `import boundaries` door and collide with no demo unit.

const FIRST = [...'霁翎瑜琅璟珂芷蘅莳棠楠榕槿樾澜溪沅湄渚汀'];
const SECOND = [...'云霞岚霖雯露霜雪虹星月辰曦晖昀晗暄旻昱晟'];
const THIRD = [...'原川谷岭峰泽湾滩洲坪塘坝堡岗屯寨圩埠集桥'];
const SUFFIX = ['市', '州', '地区', '盟'];
const PROVINCES = ['江苏省', '浙江省', '安徽省', '福建省', '江西省', '山东省', '河南省', '湖北省', '湖南省', '广东省', '四川省', '贵州省', '云南省', '陕西省', '甘肃省'];

export interface SyntheticUnit { code: string; name: string; province: string }

/** Up to 8,000 units with distinct names (no base equal to any of `taken`, the names already stored). */
export function syntheticUnits(n: number, taken: Iterable<string> = []): SyntheticUnit[] {
  const avoid = new Set([...taken].map((t) => t.replace(/(自治州|地区|市|州|盟)$/, '')));
  const out: SyntheticUnit[] = [];
  const total = FIRST.length * SECOND.length * THIRD.length;
  // stride through the combinations so neighbouring codes do not share their first two characters
  for (let k = 0; k < total && out.length < n; k++) {
    const j = (k * 7919) % total; // 7919 is prime to 8000: a permutation
    const base = FIRST[j % 20] + SECOND[Math.floor(j / 20) % 20] + THIRD[Math.floor(j / 400)];
    if (avoid.has(base)) continue;
    const i = out.length;
    out.push({ code: `SYN${String(i).padStart(5, '0')}`, name: base + SUFFIX[i % SUFFIX.length], province: PROVINCES[i % PROVINCES.length] });
  }
  if (out.length < n) throw new Error(`only ${out.length} synthetic unit names available (asked for ${n})`);
  return out;
}

/** A FeatureCollection of the units as disjoint 0.01° squares on a grid (100 per row) south of 50°S. */
export function unitsGeoJson(units: SyntheticUnit[]): string {
  const features = units.map((u, i) => {
    const x = 60 + (i % 100) * 0.02, y = -55 - Math.floor(i / 100) * 0.02, d = 0.01;
    return {
      type: 'Feature', properties: { code: u.code, name: u.name, province: u.province },
      geometry: { type: 'Polygon', coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]] },
    };
  });
  return JSON.stringify({ type: 'FeatureCollection', features });
}

/**
 * A unit name in one of the forms yearbooks use: the full name, the name without its level suffix (南京 for 南京市,
 * 大兴安岭 for 大兴安岭地区), ASCII spaces around, a full-width space before.
 */
export function nameForm(name: string, i: number): string {
  switch (i % 4) {
    case 0: return name;
    case 1: return name.replace(/(?<!自治)(地区|市|州|盟)$/, '') || name;
    case 2: return ` ${name} `;
    default: return `\u3000${name}`;
  }
}
