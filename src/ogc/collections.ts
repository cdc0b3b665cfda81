// The two feature collections, `cities` and `firms`: their properties (name, JSON type, SQL expression), which of
// them are queryable, where their rows come from for a chosen year, and their geometry. Every property becomes a
// column p<i> of the page statement's base row set, so filters compile against the same expressions the features show.
import { join, sql, type SqlFragment } from '../db/sql.js';
import type { OgcSnapshot, YearMeasures } from './measures.js';
import { RULE_VERSION } from './measures.js';
import { UNIT_CODE_RE } from '../domain/unit-code.js';

export type PropType = 'string' | 'number' | 'integer' | 'boolean' | 'date';

export interface Prop {
  name: string;
  type: PropType;
  title: string;
  expr: SqlFragment;
  /** usable in filter= and as ?name=value (the year is chosen with datetime instead) */
  queryable: boolean;
  enum?: readonly string[];
}

export interface RowsContext {
  year: number;
  measures: YearMeasures | undefined;
  snap: OgcSnapshot;
}

export interface CollectionDef {
  id: 'cities' | 'firms';
  title: string;
  description: string;
  geometryType: 'MultiPolygon' | 'Point';
  idType: 'string' | 'integer';
  /** expression of the feature id (text) and its sort key */
  idExpr: SqlFragment;
  orderBy: SqlFragment;
  props(snap: OgcSnapshot): Prop[];
  /** FROM clause (with joins) of one feature per row for the year */
  from(ctx: RowsContext): SqlFragment;
  /** the stored geometry (filters test it) */
  geom: SqlFragment;
  /** the geometry served, from the column holding the stored one; `simplify` (degrees) lightens outlines where it applies */
  display(g: SqlFragment, simplify: number): SqlFragment;
  years(snap: OgcSnapshot): number[];
  bbox(snap: OgcSnapshot): OgcSnapshot['cityBbox'];
  /** a syntactically valid feature id (anything else is a 404 without a query) */
  idPattern: RegExp;
  /** vendor parameters of this collection's items (besides the standard ones) */
  extraParams: readonly string[];
}

const p = (name: string, type: PropType, title: string, expr: SqlFragment, queryable = true, extra: Partial<Prop> = {}): Prop => ({ name, type, title, expr, queryable, ...extra });

const METRICS: [string, string, string][] = [
  ['population', 'population', 'population (10k persons)'],
  ['urbanShare', 'urban_share', 'urban population share'],
  ['fiscalSpending', 'fiscal_spending', 'general budget spending'],
  ['fiscalRevenue', 'fiscal_revenue', 'general budget revenue'],
  ['tertiaryShare', 'tertiary_share', 'tertiary industry share of GDP'],
  ['educationShare', 'education_share', 'education share of spending'],
  ['loans', 'loans', 'loans outstanding'],
  ['gdp', 'gdp', 'GDP'],
  ['dfu', 'dfu', 'data-factor use (DFU)'],
  ['rid', 'rid', 'robot installation density (RID)'],
  ['pc', 'pc', 'patents (PC)'],
];

export const CITIES: CollectionDef = {
  id: 'cities',
  title: 'Prefecture-level cities of China',
  description: 'Real outlines with the city attributes and one year\'s city-year metrics (SYNTHETIC demo data), NQP, RTA, '
    + 'the counts of fledgling / gazelle / unicorn firms (sample: ST and financial firms left out) and imported variables. '
    + 'datetime chooses the year (default: the latest); simplify=<degrees> lightens outlines.',
  geometryType: 'MultiPolygon',
  idType: 'string',
  idExpr: sql`c.code`,
  orderBy: sql`c.code`,
  idPattern: UNIT_CODE_RE,
  extraParams: ['simplify'],
  props(snap) {
    const builtIn: Prop[] = [
      p('code', 'string', 'unit code', sql`c.code`),
      p('name', 'string', 'name', sql`c.name`),
      p('province', 'string', 'province', sql`c.province`),
      p('provinceCode', 'string', 'province code', sql`c.province_code`),
      p('region', 'string', 'region', sql`c.region`),
      p('areaKm2', 'number', 'area (km²)', sql`c.area_km2`),
      p('lon', 'number', 'interior point longitude', sql`ST_X(c.centroid)`),
      p('lat', 'number', 'interior point latitude', sql`ST_Y(c.centroid)`),
      p('year', 'integer', 'year of the metrics (chosen with datetime)', sql`y.yr`, false),
      ...METRICS.map(([name, col, title]) => p(name, 'number', title, sql([`cy.${col}`]))),
      p('nqp', 'number', 'new quality productivity (entropy composite, pooled weights)', sql`m.nqp`),
      p('rta', 'number', 'co-agglomeration RTA = 1 / Var(Q1, Q2, Q3)', sql`m.rta`),
      p('nFledgling', 'integer', 'fledgling (雏鹰) firms, Q1', sql`m.q1`),
      p('nGazelle', 'integer', 'gazelle (瞪羚) firms, Q2', sql`m.q2`),
      p('nUnicorn', 'integer', 'unicorn (独角兽) firms, Q3', sql`m.q3`),
      p('nFirms', 'integer', 'sampled firms with a firm-year', sql`m.n_firms`),
    ];
    const taken = new Set(builtIn.map((b) => b.name));
    // named variables keep their own names (a name clashing with a built-in one is left out); composites' values come
    // from the snapshot (columns c0, c1, ... of the unnest joined in from())
    const vars = snap.variables.filter((v) => !taken.has(v)).map((v) => p(v, 'number', `named variable ${v}`,
      sql`(SELECT v.value FROM unit_variable v WHERE v.city_code = c.code AND v.year = y.yr AND v.name = ${v}::text)`));
    const comps = snap.composites.map((v, j) => ({ v, j })).filter(({ v }) => !taken.has(v))
      .map(({ v, j }) => p(v, 'number', `composite index ${v}`, sql([`mc.c${j}`])));
    return [...builtIn, ...vars, ...comps];
  },
  from({ year, measures, snap }) {
    const m = measures ?? { codes: [], q1: [], q2: [], q3: [], nFirms: [], rta: [], nqp: [], composites: snap.composites.map(() => []) };
    const comps = snap.composites.length
      ? sql`LEFT JOIN unnest(${m.codes}::text[], ${join(m.composites.map((c) => sql`${c}::float8[]`))})
          AS ${sql([`mc(code, ${snap.composites.map((_, j) => `c${j}`).join(', ')})`])} ON mc.code = c.code`
      : sql``;
    return sql`city c
      CROSS JOIN (SELECT ${year}::int AS yr) y
      LEFT JOIN city_year cy ON cy.city_code = c.code AND cy.year = y.yr
      LEFT JOIN unnest(${m.codes}::text[], ${m.q1}::int[], ${m.q2}::int[], ${m.q3}::int[], ${m.nFirms}::int[], ${m.rta}::float8[], ${m.nqp}::float8[])
        AS m(code, q1, q2, q3, n_firms, rta, nqp) ON m.code = c.code
      ${comps}`;
  },
  geom: sql`c.boundary`,
  display: (g, simplify) => (simplify > 0 ? sql`ST_Multi(ST_SimplifyPreserveTopology(${g}, ${simplify}::float8))` : g),
  years: (snap) => snap.cityYears,
  bbox: (snap) => snap.cityBbox,
};

export const FIRMS: CollectionDef = {
  id: 'firms',
  title: 'Innovative firms',
  description: 'Firms with a firm-year in the chosen year (datetime; default: the latest), at their location (a register\'s '
    + 'coordinates, else their unit\'s interior point), with that year\'s figures and kind (fledgling / gazelle / unicorn, '
    + `stored classification under rule set ${RULE_VERSION}; null = none). SYNTHETIC demo data.`,
  geometryType: 'Point',
  idType: 'integer',
  idExpr: sql`f.id::text`,
  orderBy: sql`f.id`,
  idPattern: /^\d{1,9}$/,
  extraParams: [],
  props: () => [
    p('firmId', 'integer', 'firm id', sql`f.id`),
    p('name', 'string', 'name', sql`f.name`),
    p('industry', 'string', 'industry', sql`f.industry`),
    p('cityCode', 'string', 'unit code of the firm\'s city', sql`f.city_code`),
    p('cityName', 'string', 'city name', sql`c.name`),
    p('province', 'string', 'province', sql`c.province`),
    p('founded', 'date', 'founding date', sql`to_char(f.founded, 'YYYY-MM-DD')`),
    p('listed', 'boolean', 'listed', sql`f.listed`),
    p('listedOn', 'date', 'listing date', sql`to_char(f.listed_on, 'YYYY-MM-DD')`),
    p('techIntensive', 'boolean', 'technology-intensive', sql`f.tech_intensive`),
    p('strategicEmerging', 'boolean', 'strategic emerging industry', sql`f.strategic_emerging`),
    p('stFlag', 'boolean', 'ST / *ST', sql`f.st_flag`),
    p('financial', 'boolean', 'financial firm', sql`f.financial`),
    p('year', 'integer', 'year of the figures (chosen with datetime)', sql`y.year`, false),
    p('kind', 'string', 'kind in the year (stored classification)', sql`k.kind`, true, { enum: ['fledgling', 'gazelle', 'unicorn'] }),
    p('revenue', 'number', 'revenue', sql`y.revenue`),
    p('revenueGrowth', 'number', 'revenue growth', sql`y.revenue_growth`),
    p('employees', 'integer', 'employees', sql`y.employees`),
    p('assets', 'number', 'assets', sql`y.assets`),
    p('leverage', 'number', 'leverage', sql`y.leverage`),
    p('rnd', 'number', 'R&D spending', sql`y.rnd`),
    p('patents', 'integer', 'patents', sql`y.patents`),
    p('valuationUsd', 'number', 'valuation (USD)', sql`y.valuation_usd`),
  ],
  from: ({ year }) => sql`firm_year y
      JOIN firm f ON f.id = y.firm_id
      LEFT JOIN city c ON c.code = f.city_code
      LEFT JOIN firm_kind k ON k.firm_id = y.firm_id AND k.year = y.year AND k.rule_version = ${RULE_VERSION}
      WHERE y.year = ${year}::int`,
  geom: sql`f.location`,
  display: (g) => g,
  years: (snap) => snap.firmYears,
  bbox: (snap) => snap.firmBbox,
};

export const COLLECTIONS: readonly CollectionDef[] = [CITIES, FIRMS];
