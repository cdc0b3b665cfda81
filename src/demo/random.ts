// Small seeded PRNG (mulberry32) with the draws the demo generator needs. Pure and deterministic.

export interface Rng {
  /** uniform on [0, 1) */
  next(): number;
  uniform(a: number, b: number): number;
  /** integer in [a, b], both ends included */
  int(a: number, b: number): number;
  normal(mean?: number, sd?: number): number;
  /** normal truncated at ±3 sd (symmetric, so still mean-zero) */
  tnormal(mean: number, sd: number): number;
  bernoulli(p: number): boolean;
  pick<T>(items: readonly T[], weights?: readonly number[]): T;
}

/** 32-bit mix of a seed and a stream number, so that separate streams do not overlap. */
export function mixSeed(seed: number, stream: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream | 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  const stdNormal = () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const rng: Rng = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    normal: (mean = 0, sd = 1) => mean + sd * stdNormal(),
    tnormal: (mean, sd) => {
      let z = stdNormal();
      while (Math.abs(z) > 3) z = stdNormal();
      return mean + sd * z;
    },
    bernoulli: (p) => next() < p,
    pick: (items, weights) => {
      if (!weights) return items[Math.floor(next() * items.length)];
      const total = weights.reduce((s, w) => s + w, 0);
      let u = next() * total;
      for (let i = 0; i < items.length; i++) {
        u -= weights[i];
        if (u < 0) return items[i];
      }
      return items[items.length - 1];
    },
  };
  return rng;
}
