// The cost estimate follows the data: importing more firms into the city that has the most raises the store's
// "firms per city" at the next data version, and with it the cost of a firm page over every city — while `first`
// still caps it. Runs in a rolled-back transaction on the shared demo store (both databases).
import { parse } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../src/db/sql.js';
import { bumpDataVersion } from '../src/import/core.js';
import { firmsImporter } from '../src/import/firms.js';
import { operationCost } from '../src/limits/cost.js';
import { storeStats } from '../src/limits/stats.js';

// this file checks that the statistics follow each write at once: no freshness window
process.env.AGGLOMERA_COST_STATS_MS = '0';
import { dbKind, getStore } from './helpers/store.js';
import { importCsv, rolledBack } from './import-helpers.js';

const ALL_FIRMS = parse('{ cities(first: 1000) { nodes { code firms(first: 1000) { nodes { id name } } } } }');
const TEN_FIRMS = parse('{ cities(first: 1000) { nodes { code firms(first: 10) { nodes { id name } } } } }');
const ADDED = 40;

describe(`cost from the data on ${dbKind}`, () => {
  beforeAll(async () => { await getStore(); }, 900_000); // the demo store loads once, outside the tests' timeouts

  it('importing more firms into the fullest city raises firms per city and the cost; `first` still caps', async () => {
    const { db, schema } = await getStore();
    await rolledBack(db, async (tx) => {
      const before = await storeStats(tx);
      expect(await storeStats(tx)).toBe(before); // same data version: the same statistics, not read again
      const [top] = await tx.query<{ code: string; n: number }>(sql`
        SELECT city_code AS code, count(*)::int AS n FROM firm GROUP BY city_code ORDER BY count(*) DESC, city_code LIMIT 1`);
      expect(top.n).toBe(before.firmsPerCity);
      const costBefore = operationCost(schema, ALL_FIRMS, {}, undefined, before);
      expect(costBefore).toBe(2 + before.cities * (1 + 2 + before.firmsPerCity));

      const csv = ['id,name,code,industry,founded', ...Array.from({ length: ADDED }, (_, i) => `${990000001 + i},Cost Test ${i},${top.code},software,2015`)];
      const { report, rejected } = await importCsv(tx, firmsImporter, csv.join('\n'));
      expect(rejected).toBeNull();
      expect(report!.counts.inserted).toBe(ADDED);
      if ((await storeStats(tx)).version === before.version) await bumpDataVersion(tx); // as the import core does after a write

      const after = await storeStats(tx);
      expect(after.version).toBeGreaterThan(before.version);
      expect(after.firmsPerCity).toBe(before.firmsPerCity + ADDED);
      expect({ ...after, version: 0, firmsPerCity: 0 }).toEqual({ ...before, version: 0, firmsPerCity: 0 });
      const costAfter = operationCost(schema, ALL_FIRMS, {}, undefined, after);
      expect(costAfter - costBefore).toBe(before.cities * ADDED);
      console.log(`cost of a 1000-firm page over every city on ${dbKind}: ${costBefore} at ${before.firmsPerCity} firms per city → `
        + `${costAfter} at ${after.firmsPerCity}`);
      // a page of 10 costs 10 per city whatever the store holds
      expect(operationCost(schema, TEN_FIRMS, {}, undefined, after)).toBe(operationCost(schema, TEN_FIRMS, {}, undefined, before));
      expect(operationCost(schema, TEN_FIRMS, {}, undefined, after)).toBe(2 + after.cities * (1 + 2 + 10));
    });
  }, 300_000);

  it('an empty store costs little; without statistics the page sizes apply', async () => {
    const { schema } = await getStore();
    const empty = { version: 0, cities: 0, firmsPerCity: 0, yearsPerCity: 0, neighboursPerCity: 0, yearsPerFirm: 0 };
    expect(operationCost(schema, ALL_FIRMS, {}, undefined, empty)).toBe(2);
    expect(operationCost(schema, ALL_FIRMS)).toBe(2 + 1000 * (1 + 2 + 1000));
    // KNN neighbours: k, capped by the other cities there are; DISTANCE: any other city
    const knn = parse('{ cities(first: 10) { nodes { neighbours(type: KNN, k: 50) { city { code } } } } }');
    const dist = parse('{ cities(first: 10) { nodes { neighbours(type: DISTANCE, km: 5000) { city { code } } } } }');
    const few = { ...empty, cities: 20 };
    expect(operationCost(schema, knn, {}, undefined, few)).toBe(2 + 10 * (1 + 1 + 19 * 1));
    expect(operationCost(schema, dist, {}, undefined, few)).toBe(2 + 10 * (1 + 1 + 19 * 1));
  });
});
