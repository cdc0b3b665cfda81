// Name forms of administrative units: the normal form (trimmed, full-width → half-width, traditional → simplified,
// no inner spaces in Chinese names), the short forms yearbooks use (南京 for 南京市, 黔东南州 / 黔东南 for
// 黔东南苗族侗族自治州, 大兴安岭 for 大兴安岭地区, 兴安 for 兴安盟), derived by rule from a stored name, and pinyin keys.
// Names without Chinese characters (FIPS counties, NUTS regions, ...) only get the normal form (lower case).
import * as OpenCC from 'opencc-js';
import { pinyin } from 'pinyin-pro';

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
export const hasCjk = (s: string): boolean => CJK.test(s);

let t2s: ((s: string) => string) | undefined;
/** Traditional → simplified (OpenCC 't' → 'cn'); built on first use (the dictionaries take a moment). */
function simplified(s: string): string {
  const f = t2s ?? (t2s = OpenCC.Converter({ from: 't', to: 'cn' }));
  return f(s);
}

/**
 * The normal form of a name: NFKC (full-width letters, digits and the ideographic space become half-width), trimmed,
 * inner spaces collapsed; Chinese names lose every space and the 中点 (·) and are converted to simplified
 * characters; other names are lower-cased.
 */
export function normalName(raw: string): string {
  const s = raw.normalize('NFKC').replace(/\s+/g, ' ').trim();
  if (!hasCjk(s)) return s.toLowerCase();
  return simplified(s.replace(/[\s·・•]/g, ''));
}

/** The 55 minority nationalities (as they appear in names of autonomous units), longest first. */
const ETHNIC = [
  '蒙古', '回', '藏', '维吾尔', '苗', '彝', '壮', '布依', '朝鲜', '满', '侗', '瑶', '白', '土家', '哈尼', '哈萨克', '傣', '黎',
  '傈僳', '佤', '畲', '高山', '拉祜', '水', '东乡', '纳西', '景颇', '柯尔克孜', '土', '达斡尔', '仫佬', '羌', '布朗', '撒拉',
  '毛南', '仡佬', '锡伯', '阿昌', '普米', '塔吉克', '怒', '乌孜别克', '俄罗斯', '鄂温克', '德昂', '保安', '裕固', '京',
  '塔塔尔', '独龙', '鄂伦春', '赫哲', '门巴', '珞巴', '基诺',
].flatMap((e) => [`${e}族`, e]).sort((a, b) => b.length - a.length);

/** Strips trailing nationality names ("苗族侗族") while at least two characters remain. */
function stripEthnic(s: string): string {
  for (let again = true; again;) {
    again = false;
    for (const e of ETHNIC) {
      if (s.endsWith(e) && s.length - e.length >= 2) { s = s.slice(0, -e.length); again = true; break; }
    }
  }
  return s;
}

/**
 * The base of a Chinese unit name (the name without its level): 南京市 → 南京, 黔东南苗族侗族自治州 → 黔东南,
 * 大兴安岭地区 → 大兴安岭, 兴安盟 → 兴安, 江苏省 → 江苏, 广西壮族自治区 → 广西. Null when the name has no such
 * suffix or the base would be a single character.
 */
export function baseName(normal: string): string | null {
  const m = /^(.+?)(自治州|自治区|特别行政区|地区|省|市|盟|州)$/.exec(normal);
  if (!m) return null;
  const base = m[2] === '自治州' || m[2] === '自治区' ? stripEthnic(m[1]) : m[1];
  return base.length >= 2 ? base : null;
}

/** Short forms of a stored (normalised) Chinese name, derived by rule: the base, and for autonomous prefectures 黔东南州 / 黔东南自治州. */
export function shortForms(normal: string): string[] {
  if (!hasCjk(normal)) return [];
  const base = baseName(normal);
  if (!base) return [];
  const out = [base];
  if (normal.endsWith('自治州')) out.push(`${base}州`, `${base}自治州`);
  return out.filter((f) => f !== normal);
}

/** Pinyin key of a Chinese name's base: letters only, ü as v (南京市 → nanjing, 吕梁 → lvliang). */
export function pinyinKeys(normal: string): string[] {
  if (!hasCjk(normal)) return [];
  const base = baseName(normal) ?? normal;
  const key = pinyin(base, { toneType: 'none', type: 'array', v: true }).join('').toLowerCase().replace(/[^a-z]/g, '');
  return key.includes('v') ? [key, key.replace(/v/g, 'u')] : [key];
}

/** Suffixes English-language sources add to a romanised name, as letters only, longest first. */
const LATIN_SUFFIXES = ['autonomousprefecture', 'prefecturelevelcity', 'prefecture', 'zizhizhou', 'province', 'league', 'region', 'diqu', 'city', 'meng', 'shi', 'sheng', 'zhou'];

/** Lookup keys of a romanised query: the letters as given, then without one level suffix ("Nanjing City" → nanjingcity, nanjing). */
export function latinKeys(raw: string): string[] {
  const s = raw.normalize('NFKD').replace(/ü|u\u0308/gi, 'v').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '');
  if (!s) return [];
  const out = [s];
  for (const suf of LATIN_SUFFIXES) if (s.endsWith(suf) && s.length - suf.length >= 2) out.push(s.slice(0, -suf.length));
  return out;
}

/** Is the text romanised (letters, spaces, apostrophes, hyphens only)? */
export const isLatin = (raw: string): boolean => /^[\p{Script=Latin}\s'’.\-]+$/u.test(raw.normalize('NFKC').trim());

/** Every key a province (or other parent unit) name or code answers to: 江苏省 → 江苏省, 江苏, jiangsu; 320000. */
export function provinceKeys(raw: string): string[] {
  const n = normalName(raw);
  if (!n) return [];
  const keys = new Set([n]);
  if (hasCjk(n)) {
    const base = baseName(n);
    if (base) keys.add(base);
    for (const p of pinyinKeys(n)) keys.add(p);
  } else for (const k of latinKeys(n)) keys.add(k);
  return [...keys];
}
