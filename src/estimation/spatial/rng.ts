// Seeded pseudo-random numbers (permutation tests, impact simulation, Hutchinson trace probes): reproducible runs.

/** mulberry32: small, fast, good enough for Monte Carlo inference; returns uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box-Muller on a seeded uniform stream. */
export function normalStream(seed: number): () => number {
  const u = mulberry32(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) { const s = spare; spare = null; return s; }
    let a = u();
    while (a <= 1e-300) a = u();
    const r = Math.sqrt(-2 * Math.log(a)), th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

/** In-place Fisher-Yates shuffle. */
export function shuffle(a: Float64Array, u: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    const t = a[i]; a[i] = a[j]; a[j] = t;
  }
}
