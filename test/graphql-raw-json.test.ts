import { describe, expect, it } from 'vitest';
import { RawJson, stringifyResult } from '../src/graphql/raw-json.js';

describe('RawJson splicing', () => {
  const geo = '{"type":"Point","coordinates":[118.79647,32.05838]}';
  it('splices raw text verbatim and equals a plain stringify of the parsed value', () => {
    const v = { data: { a: [new RawJson(geo), null, new RawJson('[1,2.50,3]')], s: 'x' } };
    const s = stringifyResult(v);
    expect(s).toBe(`{"data":{"a":[${geo},null,[1,2.50,3]],"s":"x"}}`);
    expect(JSON.parse(s)).toEqual(JSON.parse(JSON.stringify(v)));
  });
  it('outside stringifyResult a RawJson serialises as its parsed value', () => {
    expect(JSON.stringify({ g: new RawJson(geo) })).toBe(`{"g":${geo}}`);
  });
  it('user strings that look like placeholders are left alone', () => {
    const v = { s: '\uE000abc:0', g: new RawJson('1') };
    expect(JSON.parse(stringifyResult(v))).toEqual({ s: '\uE000abc:0', g: 1 });
  });
  it('works with no raw values and nested calls', () => {
    expect(stringifyResult({ a: 1 })).toBe('{"a":1}');
    const inner = { toJSON: () => JSON.parse(stringifyResult({ r: new RawJson('2') })) };
    expect(JSON.parse(stringifyResult({ x: inner, y: new RawJson('3') }))).toEqual({ x: { r: 2 }, y: 3 });
  });
});
