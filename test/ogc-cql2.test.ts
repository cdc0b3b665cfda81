// The CQL2 text parser and its compilation to SQL (no database): precedence, literals, every operator of the subset,
// errors with positions, and that user text only ever reaches SQL as parameters.
import { describe, expect, it } from 'vitest';
import { render, sql } from '../src/db/sql.js';
import type { Prop } from '../src/ogc/collections.js';
import { Cql2Error, geomWkt, parseCql2 } from '../src/ogc/cql2.js';
import { compileFilter, FilterError, propertyEquals, propIndex } from '../src/ogc/filter.js';

const props: Prop[] = [
  { name: 'name', type: 'string', title: '', expr: sql`x`, queryable: true },
  { name: 'gdp', type: 'number', title: '', expr: sql`x`, queryable: true },
  { name: 'nGazelle', type: 'integer', title: '', expr: sql`x`, queryable: true },
  { name: 'listed', type: 'boolean', title: '', expr: sql`x`, queryable: true },
  { name: 'founded', type: 'date', title: '', expr: sql`x`, queryable: true },
  { name: 'year', type: 'integer', title: '', expr: sql`x`, queryable: false },
];
const ix = propIndex(props);
const compile = (f: string) => render(compileFilter(parseCql2(f), ix));

describe('CQL2 text parser', () => {
  it('gives AND precedence over OR and NOT over AND', () => {
    expect(parseCql2("name = 'a' OR gdp > 1 AND NOT listed = true")).toEqual({
      k: 'or', args: [
        { k: 'cmp', op: '=', l: { k: 'prop', name: 'name' }, r: { k: 'str', v: 'a' } },
        { k: 'and', args: [
          { k: 'cmp', op: '>', l: { k: 'prop', name: 'gdp' }, r: { k: 'num', v: 1 } },
          { k: 'not', arg: { k: 'cmp', op: '=', l: { k: 'prop', name: 'listed' }, r: { k: 'bool', v: true } } },
        ] },
      ],
    });
    expect(parseCql2('(gdp > 1 or gdp < -2.5e1) and "nGazelle" >= 3')).toMatchObject({ k: 'and', args: [{ k: 'or' }, { k: 'cmp', l: { name: 'nGazelle' }, r: { v: 3 } }] });
  });

  it('reads strings with doubled quotes, Chinese text, dates and every predicate', () => {
    expect(parseCql2("name = 'O''Brien'")).toMatchObject({ r: { k: 'str', v: "O'Brien" } });
    expect(parseCql2("province='江苏省'")).toMatchObject({ l: { name: 'province' }, r: { v: '江苏省' } });
    expect(parseCql2("founded >= DATE('2010-05-01')")).toMatchObject({ r: { k: 'date', v: '2010-05-01' } });
    expect(parseCql2("name NOT LIKE 'A%'")).toMatchObject({ k: 'like', not: true, pattern: 'A%' });
    expect(parseCql2('gdp BETWEEN 1 AND 2')).toMatchObject({ k: 'between', lo: { v: 1 }, hi: { v: 2 } });
    expect(parseCql2("name IN ('a', 'b')")).toMatchObject({ k: 'in', list: [{ v: 'a' }, { v: 'b' }], not: false });
    expect(parseCql2('gdp IS NOT NULL')).toEqual({ k: 'isnull', l: { k: 'prop', name: 'gdp' }, not: true });
    expect(parseCql2('gdp <> 3')).toMatchObject({ op: '<>' });
    expect(parseCql2('gdp != 3')).toMatchObject({ op: '<>' });
    expect(parseCql2('TRUE')).toEqual({ k: 'literal', v: true });
  });

  it('reads spatial predicates with BBOX, POINT and POLYGON literals (argument order respected)', () => {
    expect(parseCql2('S_INTERSECTS(geometry, BBOX(118, 31, 119.5, 32.5))')).toEqual({ k: 'spatial', op: 'S_INTERSECTS', prop: 'geometry', geom: { k: 'bbox', v: [118, 31, 119.5, 32.5] } });
    expect(parseCql2('S_WITHIN(POINT(118.8 32.05), geometry)')).toMatchObject({ op: 'S_CONTAINS', geom: { type: 'POINT' } });
    const poly = parseCql2('s_intersects(geometry, POLYGON((118 31, 119 31, 119 32, 118 31)))');
    expect(poly).toMatchObject({ k: 'spatial', geom: { type: 'POLYGON' } });
    expect(geomWkt((poly as { geom: Parameters<typeof geomWkt>[0] }).geom)).toBe('POLYGON((118 31,119 31,119 32,118 31))');
    expect(geomWkt({ k: 'bbox', v: [1, 2, 3, 4] })).toBe('POLYGON((1 2,3 2,3 4,1 4,1 2))');
  });

  it('rejects what is outside the subset with the position', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ["name = 'open", /unterminated string/],
      ['gdp >', /expected a property name or a literal/],
      ['gdp > 1 gdp', /expected AND, OR or the end/],
      ['gdp + 1 > 2', /unexpected character "\+"|expected a comparison/],
      ['CASEI(name) = \'a\'', /function CASEI\(\) is not supported/],
      ['(gdp > 1', /expected "\)"/],
      ['S_INTERSECTS(geometry, BBOX(1, 2, 3))', /BBOX takes 4 numbers/],
      ['S_INTERSECTS(geometry, POLYGON((1 1, 2 2, 3 3)))', /rings must be closed/],
      ["founded = DATE('2010-13-45')", /not a valid date/],
      ['gdp ; DROP TABLE city', /unexpected character ";"/],
    ];
    for (const [f, re] of bad) expect(() => parseCql2(f), f).toThrow(re);
    try { parseCql2('gdp > 1 AND AND'); } catch (e) { expect((e as Cql2Error).position).toBe(12); }
  });
});

describe('CQL2 compiled to SQL', () => {
  it('binds every literal as a parameter and names columns itself', () => {
    const r = compile("name = 'x''); DROP TABLE city; --' AND gdp > 2 OR nGazelle IN (1, 2) AND listed = false");
    expect(r.text).toBe('(((b.p0 = $1::text) AND (b.p1 > $2::float8)) OR ((b.p2 IN ($3::float8, $4::float8)) AND (b.p3 = $5::bool)))');
    expect(r.values).toEqual(["x'); DROP TABLE city; --", 2, 1, 2, false]);
  });

  it('compiles LIKE, BETWEEN, IS NULL, NOT, dates and spatial functions', () => {
    expect(compile("NOT name LIKE '南%'")).toEqual({ text: '(NOT (b.p0 LIKE $1::text))', values: ['南%'] });
    expect(compile('gdp NOT BETWEEN 1 AND 5').text).toBe('(b.p1 NOT BETWEEN $1::float8 AND $2::float8)');
    expect(compile('gdp IS NULL').text).toBe('(b.p1 IS NULL)');
    expect(compile("founded < '2010-01-01T'")).toEqual({ text: '(b.p4::date < $1::date)', values: ['2010-01-01'] });
    expect(compile("founded BETWEEN DATE('2001-01-01') AND '2002-01-01'").values).toEqual(['2001-01-01', '2002-01-01']);
    expect(compile('S_INTERSECTS(geometry, BBOX(118, 31, 119, 32))')).toEqual({
      text: 'COALESCE(ST_Intersects(b.geom, ST_GeomFromText($1::text, 4326)), FALSE)', values: ['POLYGON((118 31,119 31,119 32,118 32,118 31))'],
    });
    expect(compile('gdp >= nGazelle').text).toBe('(b.p1 >= b.p2)'); // property-property
  });

  it('refuses unknown properties, type mismatches and misuse', () => {
    const bad: [string, RegExp][] = [
      ["colour = 'red'", /unknown property "colour"; queryables: name, gdp, nGazelle, listed, founded/],
      ['year = 2019', /datetime/],
      ["gdp = 'a lot'", /cannot compare property "gdp" \(number\) with 'a lot' \(string\)/],
      ['gdp LIKE \'1%\'', /LIKE needs a string/],
      ['listed > false', /booleans compare only with = or <>/],
      ["name BETWEEN 'a' AND 'b'", /BETWEEN needs numbers or dates/],
      ['S_INTERSECTS(gdp, BBOX(1, 2, 3, 4))', /applies to the property "geometry"/],
      ["founded = 'last year'", /cannot compare/],
      ['geometry IS NULL', /only be used in S_INTERSECTS/],
    ];
    for (const [f, re] of bad) expect(() => compile(f), f).toThrow(re);
    expect(() => compile('gdp = 1')).not.toThrow(FilterError);
  });

  it('reads ?name=value in the property type', () => {
    expect(render(propertyEquals(ix, 'name', '江苏省'))).toEqual({ text: '(b.p0 = $1::text)', values: ['江苏省'] });
    expect(render(propertyEquals(ix, 'nGazelle', '3')).values).toEqual([3]);
    expect(render(propertyEquals(ix, 'listed', 'true')).values).toEqual([true]);
    expect(() => propertyEquals(ix, 'gdp', 'abc')).toThrow(/not a number/);
    expect(() => propertyEquals(ix, 'listed', 'yes')).toThrow(/true or false/);
    expect(() => propertyEquals(ix, 'founded', '2010')).toThrow(/YYYY-MM-DD/);
  });
});
