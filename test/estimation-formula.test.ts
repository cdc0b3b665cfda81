import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseFormula, instrumentSpec, exprName, parseExpression } from '../src/estimation/formula.js';
import { frameFromColumns, frameFromRecords, Evaluator, PanelIndex, evalWhere } from '../src/estimation/frame.js';
import { buildDesign } from '../src/estimation/design.js';
import { EstimationInputError } from '../src/estimation/result.js';

const expected = JSON.parse(readFileSync(new URL('./fixtures/cigar_gmm/expected.json', import.meta.url), 'utf8'));

describe('formula parsing and term names', () => {
  it('normalises whitespace to the oracle names', () => {
    const a = parseFormula('log(sales)~lag(log(sales),1)+log(price)+log( ndi )');
    const b = parseFormula('log(sales) ~ lag( log(sales) , 1 ) + log(price) + log(ndi)');
    expect(a.terms.map((t) => t.name)).toEqual(Object.keys(expected.onestep.coef));
    expect(b.terms.map((t) => t.name)).toEqual(a.terms.map((t) => t.name));
    expect(a.lhsName).toBe('log(sales)');
  });

  it('expands lag ranges, lag 0 is the bare expression, lag(x) is lag(x, 1)', () => {
    const f = parseFormula('y ~ lag(x, 0:2) + lag(z) + lead(w, 1)');
    expect(f.terms.map((t) => t.name)).toEqual(['x', 'lag(x, 1)', 'lag(x, 2)', 'lag(z, 1)', 'lead(w, 1)']);
  });

  it('parses interactions, I() arithmetic, diff and the intercept switches', () => {
    const f = parseFormula('y ~ a:b + I(a*b) + I((a+b)^2) + diff(x) + diff(x, 2) + sqrt(exp(x)) - 1');
    expect(f.terms.map((t) => t.name)).toEqual(['a:b', 'I(a*b)', 'I((a+b)^2)', 'diff(x)', 'diff(x, 2)', 'sqrt(exp(x))']);
    expect(f.intercept).toBe(false);
    expect(parseFormula('y ~ 0 + x').intercept).toBe(false);
    expect(parseFormula('y ~ x + 1').intercept).toBe(true);
  });

  it('keeps the part after | raw (fixed effects or GMM instruments)', () => {
    const f = parseFormula('y ~ x | firm + year');
    expect(f.parts[0].map((e) => exprName(e))).toEqual(['firm', 'year']);
    const g = parseFormula(expected.formula);
    const inst = instrumentSpec(g.parts[0][0], 'gmm');
    expect(inst).toMatchObject({ name: 'log(sales)', minLag: 2, maxLag: 99 });
  });

  it('rejects bad input with the culprit named', () => {
    expect(() => parseFormula('y ~ foo(x)')).toThrow(/unknown function 'foo'/);
    expect(() => parseFormula('y ~ x*z')).toThrow(/I\(x\*z\)/);
    expect(() => parseFormula('y x')).toThrow(/'~'/);
    expect(() => parseFormula('y ~ log(x')).toThrow(EstimationInputError);
    expect(() => parseFormula('y ~ x + ')).toThrow(/empty term/);
    expect(() => parseFormula('y ~ lag(x, 1.5)')).toThrow(/integer/);
    expect(() => parseFormula('y ~ x $ z')).toThrow(/unexpected character '\$'/);
    expect(() => parseExpression('year >= ')).toThrow(/sample|expression/);
  });
});

describe('panel lags respect gaps', () => {
  // id 1 has years 1,2,4 (3 missing); id 2 has 1,2,3; rows shuffled
  const frame = frameFromColumns({
    id: ['a', 'b', 'a', 'b', 'a', 'b'],
    t: [4, 1, 1, 3, 2, 2],
    x: [40, 1, 10, 3, 20, 2],
  });
  const panel = new PanelIndex(frame, 'id', 't');
  const ev = new Evaluator(frame, panel);
  const evalTerm = (s: string) => {
    const f = parseFormula(`x ~ ${s}`);
    return Array.from(ev.evalProduct(f.terms[0].factors, f.terms[0].name));
  };

  it('lag of t is the row at t-1 of the same id, NaN across a gap', () => {
    expect(evalTerm('lag(x, 1)')).toEqual([NaN, NaN, NaN, 2, 10, 1]);
    expect(evalTerm('lag(x, 2)')).toEqual([20, NaN, NaN, 1, NaN, NaN]);
    expect(evalTerm('lead(x, 1)')).toEqual([NaN, 2, 20, NaN, NaN, 3]);
    expect(evalTerm('diff(x)')).toEqual([NaN, NaN, NaN, 1, 10, 1]);
    const ll = evalTerm('lag(log(x), 1)').map((v) => Math.exp(v));
    expect(ll.slice(0, 3)).toEqual([NaN, NaN, NaN]);
    ll.slice(3).forEach((v, i) => expect(v).toBeCloseTo([2, 10, 1][i], 12));
  });

  it('lag without a panel, an unknown column and duplicate panel rows are named errors', () => {
    expect(() => buildDesign(frame, parseFormula('x ~ lag(x, 1)'))).toThrow(/no panel/);
    expect(() => buildDesign(frame, parseFormula('x ~ log(nope)'))).toThrow(/unknown column 'nope' in term 'log\(nope\)'/);
    const dup = frameFromColumns({ id: [1, 1], t: [1, 1], x: [1, 2] });
    expect(() => new PanelIndex(dup, 'id', 't').order).toThrow(/duplicate rows for id = 1, t = 1/);
    expect(() => buildDesign(frame, parseFormula('x ~ id'))).toThrow(/'id' .* not numeric/);
  });

  it('listwise deletion counts dropped rows and sample.where filters after lags', () => {
    const d = buildDesign(frame, parseFormula('x ~ lag(x, 1)'), { panel: { id: 'id', time: 't' } });
    expect(d.y.length).toBe(3);
    expect(d.nobsDropped).toBe(3);
    expect(Array.from(d.X.data.subarray(3))).toEqual([2, 10, 1]);
    const w = buildDesign(frame, parseFormula('x ~ lag(x, 1)'), { panel: { id: 'id', time: 't' }, where: 't >= 3 & id == "b"' });
    expect(Array.from(w.y)).toEqual([3]);
    expect(Array.from(w.X.data.subarray(1))).toEqual([2]);
    expect(Array.from(evalWhere(frame, 'id != "a" | t == 4'))).toEqual([1, 1, 0, 1, 0, 1]);
  });

  it('frameFromRecords keeps text columns as strings and treats NA / empty as missing', () => {
    const fr = frameFromRecords([{ c: 'x', v: '1.5' }, { c: 'y', v: 'NA' }, { c: null, v: '' }]);
    expect(fr.columns.c).toEqual(['x', 'y', null]);
    expect(Array.from(fr.columns.v as Float64Array)).toEqual([1.5, NaN, NaN]);
  });
});
