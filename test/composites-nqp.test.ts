// The paper's NQP is the built-in composite "NQP" over the 28 indicators read as named variables (view unit_variable):
// its values and weights equal the entropy composite computed on the stored indicator arrays (nqpComposite, the
// computation NQP had before composites existed), pooled and per year.
import { beforeAll, describe, expect, it } from 'vitest';
import { compositeValuesOf, listComposites, namedVariables } from '../src/composites/index.js';
import { nqpIndicatorRows } from '../src/db/queries/domain.js';
import { nqpComposite, nqpScores, NQP_INDICATORS } from '../src/domain/index.js';
import { dbKind, getStore } from './helpers/store.js';

const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)));

// the demo store loads once before the tests (minutes on a loaded machine), so no test times out waiting for it
beforeAll(() => getStore(), 1_800_000);

describe(`built-in composite NQP on the demo (${dbKind})`, { timeout: 600_000 }, () => {
  it('is stored as a definition over the 28 indicators, cost indicators marked', async () => {
    const { db } = await getStore();
    const [nqp] = (await listComposites(db)).filter((c) => c.name === 'NQP');
    expect(nqp).toMatchObject({ builtin: true, method: 'entropy', weighting: 'pooled', years: null, shift: 1e-4, error: null });
    expect(nqp.indicators).toEqual(NQP_INDICATORS.map((d) => (d.direction < 0 ? `-${d.key}` : d.key)));
    expect(nqp.indicators.filter((s) => s.startsWith('-'))).toHaveLength(5);
    const names = new Map((await namedVariables(db)).map((v) => [v.name, v]));
    for (const d of NQP_INDICATORS) expect(names.get(d.key)?.kind).toBe('stored');
    expect(names.get('NQP')).toMatchObject({ kind: 'composite', builtin: true });
  });

  for (const weighting of ['pooled', 'perYear'] as const) {
    it(`gives the values and weights of the indicator arrays' composite, ${weighting} (1e-12)`, async () => {
      const { db } = await getStore();
      const before = nqpComposite(await nqpIndicatorRows(db), { weighting });
      const now = await nqpScores(db, { weighting });
      expect(now.rows.length).toBe(before.rows.length);
      expect(before.rows.length).toBeGreaterThan(5000);
      let compared = 0;
      now.rows.forEach((r, i) => {
        expect([r.cityCode, r.year]).toEqual([before.rows[i].cityCode, before.rows[i].year]);
        expect(close(r.nqp, before.rows[i].nqp), `${r.cityCode} ${r.year}: ${r.nqp} vs ${before.rows[i].nqp}`).toBe(true);
        if (r.nqp !== null) compared++;
      });
      expect(compared).toBeGreaterThan(5000);
      expect(now.weights.length).toBe(weighting === 'pooled' ? 1 : new Set(before.rows.map((r) => r.year)).size);
      now.weights.forEach((w, g) => {
        const b = before.weights[g];
        expect([w.year, w.n, w.names, w.directions]).toEqual([b.year, b.n, b.names, b.directions]);
        w.weights.forEach((x, j) => expect(close(x, b.weights[j])).toBe(true));
        w.entropy.forEach((x, j) => expect(close(x, b.entropy[j])).toBe(true));
      });
      if (weighting === 'pooled') {
        // the stored definition read by name gives the same values
        const c = (await compositeValuesOf(db, 'NQP'))!;
        c.values.forEach((v, i) => expect(close(v, before.rows[i].nqp)).toBe(true));
      }
    });
  }

  it('with a year range and options as before', async () => {
    const { db } = await getStore();
    const before = nqpComposite(await nqpIndicatorRows(db, [2014, 2019]), { shift: 1e-3 });
    const now = await nqpScores(db, { years: [2014, 2019], shift: 1e-3 });
    expect(now.rows.map((r) => r.nqp).every((v, i) => close(v, before.rows[i].nqp))).toBe(true);
    await expect(nqpScores(db, { years: [1950, 1951] })).rejects.toMatchObject({ field: 'nqp.years' });
  });
});
