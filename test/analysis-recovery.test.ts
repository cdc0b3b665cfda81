// Recovery of the generator's true effect of RTA on NQP at the library level (no database): generateDemo(seed) →
// counts of the intended kinds → RTA (domain rta()) and the NQP entropy composite (domain nqpComposite()) → the
// paper's sample rules (applySample) → two-way FE estimate. The direct effect c' (NQP on RTA with the mediators and
// controls) must lie within 2 SE of the truth on the composite's scale: the entropy composite is an affine map of the
// latent NQP whose slope s depends on the draw (min-max normalisation; 0.90-1.21 over seeds 1-6), so the target is
// s · truth.nqp.rta, with s the OLS slope of the composite on the generator's latent NQP (truth.panel[].nqp).
import { describe, expect, it } from 'vitest';
import { loadCityFeatures } from '../src/demo/cities.js';
import { generateDemo } from '../src/demo/generate.js';
import { applySample } from '../src/domain/index.js';
import { estimate } from '../src/estimation/index.js';
import { compositeScale, CTRL, panelFromDemo } from './analysis-helpers.js';

const cities = loadCityFeatures().map((f) => ({ code: f.properties.code, region: f.properties.region }));

describe('library-level recovery of the true RTA effect over seeds', () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: two-way FE direct effect within 2 SE of truth`, () => {
      const demo = generateDemo(cities, { seed });
      const raw = panelFromDemo(demo);
      const scale = compositeScale(raw, demo);
      const { frame, report } = applySample(raw, {});
      expect(report.find((r) => r.rule === 'winsorize')).toBeDefined();
      const r = estimate({
        estimator: 'fe', formula: `NQP ~ RTA + DFU + RID + PC + ${CTRL}`, panel: { id: 'city', time: 'year' },
        effects: 'twoways', vcov: { cluster: ['city'] },
      }, frame);
      const b = r.coefficients.find((c) => c.term === "RTA")!;
      const target = demo.truth.nqp.rta * scale;
      const z = (b.estimate - target) / b.stdError;
      console.log(`seed ${seed}: true c' = ${demo.truth.nqp.rta} × composite scale ${scale.toFixed(4)} = ${target.toFixed(5)}; estimate ${b.estimate.toFixed(5)} (SE ${b.stdError.toFixed(5)}), z = ${z.toFixed(2)}, N = ${r.nobs}`);
      expect(Math.abs(z)).toBeLessThan(2);
      expect(r.nobs).toBeGreaterThan(6000);
    });
  }
});
