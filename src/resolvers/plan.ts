// Look-ahead planning: a root field that returns cities (Query.cities, Query.city) reads its selection and fetches the
// nested fields it asks for (metrics, firms with their histories, neighbours with their cities and theirs, stored
// outlines) in its own statement, as one JSON value per city and field. The values are then primed into the request's
// loaders under the very keys the field resolvers ask for, so those resolve synchronously with no statement of their
// own. Whatever is not planned (other arguments, other fields, bad arguments, which the resolvers then report) takes
// the DataLoader path as before; a planned value equals what that path would load (same SQL builders).
import type { FieldNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';
import type { Db } from '../db/db.js';
import { cityObject, type CityExtra, type CityRecord } from '../db/queries/cities.js';
import { neighboursJson } from '../db/queries/neighbours.js';
import { geometryVersionSql, isStoredTolerance, keepOutlines, outlineCache, outlineTextSql } from '../db/queries/outlines.js';
import { cityYearsJson, firmPageJson, type CityYearRecord, type FirmPage, type FirmYearRecord } from '../db/queries/panel.js';
import { DEFAULT_RULE_SET } from '../domain/rules.js';
import { boundaryTolerance, firmPageArgs, metricsYears, neighbourArgs } from './city.js';
import type { Loaders, NeighbourRow } from './loaders.js';
import { argsOf, cityRecordFields, cityYearFields, collectFields, firmFields, scopeOf, subSets, type Scope } from './selection.js';

/** Root rows (and nested city objects) carry each planned value under its key, and the geometry version under VERSION. */
type Row = Record<string, unknown> & { code: string };
const VERSION = 'gv';
/** json_build_object takes 50 keys; a nested city uses 8 for its record. */
const MAX_NESTED = 40;

interface Item extends CityExtra {
  prime(l: Loaders, code: string, value: unknown, version: string | undefined): void;
}

export interface CityPlan {
  /** Values to compute per root row (searchCities / citiesByCodes `extras`). */
  extras: CityExtra[];
  /** Primes the loaders with the rows' planned values (and the rows as the cities they are). */
  prime(l: Loaders, rows: readonly CityRecord[]): void;
}

/** The plan for the cities of `cities { nodes { … } }` (a CityConnection field), or null when nothing is planned. */
export function planCityConnection(info: GraphQLResolveInfo, db: Db): CityPlan | null {
  const s = scopeOf(info);
  const sets: SelectionSetNode[] = [];
  for (const [, nodes] of collectFields(s, 'CityConnection', subSets(info.fieldNodes))) {
    if (nodes[0].name.value === 'nodes') sets.push(...subSets(nodes));
  }
  return planRoot(s, sets, db);
}

/** The plan for a field returning one City (`city(code) { … }`), or null when nothing is planned. */
export function planCity(info: GraphQLResolveInfo, db: Db): CityPlan | null {
  return planRoot(scopeOf(info), subSets(info.fieldNodes), db);
}

function planRoot(s: Scope, sets: readonly SelectionSetNode[], db: Db): CityPlan | null {
  const state = { outlines: false };
  const items = planCityFields(s, sets, db, state, Infinity);
  if (!items.length) return null;
  const extras: CityExtra[] = [...items];
  if (state.outlines) extras.push({ key: VERSION, expr: () => geometryVersionSql });
  return {
    extras,
    prime(l, rows) {
      for (const row of rows) {
        l.primeCity(row);
        const r = row as unknown as Row;
        primeCityValues(l, items, r, r[VERSION] as string | undefined);
      }
    },
  };
}

function primeCityValues(l: Loaders, items: readonly Item[], obj: Row, version: string | undefined) {
  for (const it of items) it.prime(l, obj.code, obj[it.key], version);
}

/** The City fields of `sets` that can be fetched ahead, each once per loader key (aliases of the same key share it). */
function planCityFields(s: Scope, sets: readonly SelectionSetNode[], db: Db, state: { outlines: boolean }, max: number): Item[] {
  const items = new Map<string, Item>();
  const key = () => `p${items.size}`;
  const fields = collectFields(s, 'City', sets);
  for (const [, nodes] of fields) {
    if (items.size >= max) break;
    const name = nodes[0].name.value;
    if (name !== 'metrics' && name !== 'firms' && name !== 'neighbours' && name !== 'boundary') continue;
    const args = argsOf(s, 'City', nodes[0]);
    if (!args) continue;
    try {
      switch (name) {
        case 'metrics': {
          const years = metricsYears(args.years as number[] | null | undefined);
          const fields = cityYearFields(s, nodes);
          const id = `metrics:${JSON.stringify([years, fields])}`;
          if (!items.has(id)) {
            items.set(id, {
              key: key(),
              expr: (code, d) => cityYearsJson(code, years, fields, d),
              prime: (l, code, v) => l.primeMetrics(code, years, fields, v as CityYearRecord[]),
            });
          }
          break;
        }
        case 'firms': {
          if (args.filter || (args.orderBy as unknown[] | undefined)?.length) break; // paged per city by the firmSearch loader
          const a = firmPageArgs(args);
          const { fields, history, count } = firmFields(s, nodes);
          const id = `firms:${JSON.stringify([a, fields, count])}`;
          const prev = items.get(id) as (Item & { history: boolean }) | undefined;
          if (prev && (prev.history || !history)) break;
          // the same page asked twice, once with history: plan it once, with history
          const it: Item & { history: boolean } = {
            key: prev?.key ?? key(), history,
            expr: (code, d) => firmPageJson(code, { ...a, ruleVersion: DEFAULT_RULE_SET.version }, fields, count, history, d),
            prime(l, code, v) {
              const page = v as FirmPage<{ id: number; _history?: FirmYearRecord[] }>;
              l.primeFirms(code, a, fields, count, page as FirmPage as never);
              if (history) for (const f of page.rows) l.primeHistory(f.id, f._history ?? []);
            },
          };
          items.set(id, it);
          break;
        }
        case 'neighbours': {
          const { type, opts } = neighbourArgs(args);
          const id = `neighbours:${JSON.stringify([type, opts])}`;
          if (items.has(id)) break;
          // every alias of these same neighbours: their cities' fields are planned together
          const citySets: SelectionSetNode[] = [];
          for (const other of sameNeighbours(s, fields, id)) {
            for (const [, ns] of collectFields(s, 'Neighbour', subSets(other))) if (ns[0].name.value === 'city') citySets.push(...subSets(ns));
          }
          const withCity = citySets.length > 0;
          const nested = withCity ? planCityFields(s, citySets, db, state, MAX_NESTED) : [];
          const recordFields = withCity ? cityRecordFields(s, citySets) : null;
          items.set(id, {
            key: key(),
            expr: (code, d) => neighboursJson(code, type, opts, d, !withCity ? undefined : {
              row: recordFields === null || recordFields.some((f) => f !== 'code'),
              json: (alias, d2) => cityObject(alias, recordFields, d2, nested),
            }),
            prime(l, code, v, version) {
              const rows = v as NeighbourRow[];
              // each row keeps its city: Neighbour.city reads it (only the fields asked for; never primed as a whole city)
              l.primeNeighbours(code, type, opts, rows);
              if (nested.length) for (const r of rows) if (r.city) primeCityValues(l, nested, r.city as unknown as Row, version);
            },
          });
          break;
        }
        case 'boundary': {
          const t = boundaryTolerance(args.simplify as number | undefined);
          if (!isStoredTolerance(t)) break; // computed per request through the loader
          const id = `boundary:${t}`;
          if (items.has(id)) break;
          state.outlines = true;
          const cache = outlineCache(db, t);
          const held = { version: cache.version, codes: cache.version ? [...cache.byCode.keys()] : [] };
          const heldSet = new Set(held.codes);
          items.set(id, {
            key: key(),
            expr: (code) => outlineTextSql(code, t, held),
            prime(l, code, v, version) {
              if (typeof v === 'string') {
                l.primeBoundary(code, t, v);
                if (version !== undefined) keepOutlines(db, t, version, [[code, v]]);
                return;
              }
              // NULL: held by this process under that version (still held unless the cache moved on), or no outline
              if (version === held.version && cache.version === version && heldSet.has(code)) {
                const text = cache.byCode.get(code);
                if (text !== undefined) l.primeBoundary(code, t, text);
              }
            },
          });
          break;
        }
      }
    } catch {
      // bad arguments: not planned; the resolver reports them
    }
  }
  return [...items.values()];
}

/** The field nodes of every `neighbours` response key whose arguments make loader key `id`. */
function sameNeighbours(s: Scope, fields: Map<string, FieldNode[]>, id: string): FieldNode[][] {
  const out: FieldNode[][] = [];
  for (const [, nodes] of fields) {
    if (nodes[0].name.value !== 'neighbours') continue;
    const args = argsOf(s, 'City', nodes[0]);
    if (!args) continue;
    try {
      const { type, opts } = neighbourArgs(args);
      if (`neighbours:${JSON.stringify([type, opts])}` === id) out.push(nodes);
    } catch { /* bad arguments: reported by the resolver */ }
  }
  return out;
}
