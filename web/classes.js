// Classing of a choropleth: quantile breaks, the class of a value, colours and number formats.
// The rule (also in docs/map.md, and checked by the browser test):
//   breaks = quantiles (R type 7) at 1/k … (k-1)/k of the non-missing values, rounded down for counts;
//   breaks that repeat or equal the maximum are dropped (fewer classes when values tie);
//   a value falls into the first class whose upper break is ≥ the value; missing values get no class.

/** ColorBrewer YlGnBu, 5 classes (light = low). */
export const RAMP = ['#ffffcc', '#a1dab4', '#41b6c4', '#2c7fb8', '#253494'];
export const MISSING = '#c3c7cc';

/** Local Moran cluster colours (GeoDa's conventions). */
export const LISA = {
  HH: { color: '#d7191c', label: 'High-High', note: 'high values among high neighbours' },
  LL: { color: '#2c7bb6', label: 'Low-Low', note: 'low values among low neighbours' },
  HL: { color: '#fdae61', label: 'High-Low', note: 'high value among low neighbours' },
  LH: { color: '#abd9e9', label: 'Low-High', note: 'low value among high neighbours' },
  NS: { color: '#f1efe9', label: 'Not significant', note: '' },
  OUT: { color: MISSING, label: 'Not in the statistics', note: 'no value, or no neighbours' },
};

/** Quantile of sorted numbers, R's type 7 (linear interpolation between order statistics). */
export function quantile(sorted, p) {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h), hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** @returns {{ breaks: number[], min: number|null, max: number|null, n: number }} */
export function quantileBreaks(values, k = RAMP.length, integer = false) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return { breaks: [], min: null, max: null, n: 0 };
  const max = v[v.length - 1];
  const breaks = [];
  for (let i = 1; i < k; i++) {
    let q = quantile(v, i / k);
    if (integer) q = Math.floor(q);
    if (q < max && (!breaks.length || q > breaks[breaks.length - 1])) breaks.push(q);
  }
  return { breaks, min: v[0], max, n: v.length };
}

/** Class index of a value (0 = lowest), or -1 when missing. */
export function classOf(value, breaks) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return -1;
  const i = breaks.findIndex((b) => value <= b);
  return i === -1 ? breaks.length : i;
}

/** Colours for m classes, spread over the ramp so that fewer classes still span light to dark. */
export function rampColours(m) {
  if (m <= 1) return [RAMP[2]];
  return Array.from({ length: m }, (_, i) => RAMP[Math.round((i * (RAMP.length - 1)) / (m - 1))]);
}

const sig = new Intl.NumberFormat('en', { maximumSignificantDigits: 4 });
const big = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const whole = new Intl.NumberFormat('en');

/** Short human number: 4 significant digits, thousands grouped; '—' when missing. */
export function fmt(v, integer = false) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  if (integer) return whole.format(v);
  return Math.abs(v) >= 10000 ? big.format(v) : sig.format(v);
}

/** Legend rows of a classing: [{ lo, hi, label, color }] */
export function legendClasses({ breaks, min, max }, integer = false) {
  if (min === null) return [];
  const colours = rampColours(breaks.length + 1);
  const bounds = [min, ...breaks, max];
  return colours.map((color, i) => {
    const lo = bounds[i], hi = bounds[i + 1];
    let label;
    if (integer) {
      const a = i === 0 ? lo : lo + 1;
      label = a === hi ? fmt(hi, true) : `${fmt(a, true)}–${fmt(hi, true)}`;
    } else {
      label = `${fmt(lo)} – ${fmt(hi)}`;
    }
    return { lo, hi, label, color };
  });
}

/** Outline colours of the clicked city and its queen neighbours (not used by any fill). */
export const SELECTED_COLOUR = '#111111';
export const NEIGHBOUR_COLOUR = '#7b2cbf';
