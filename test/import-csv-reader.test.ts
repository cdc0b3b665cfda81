// The streaming CSV reader of the importers (no database): records with their file lines (quoted newlines, blank
// lines, BOM, CRLF), chunked input of any split, missing values and number / year / date / boolean parsing.
import { describe, expect, it } from 'vitest';
import { isMissing, openCsv, parseBool, parseDate, parseNumber, parseYear } from '../src/import/csv.js';

async function read(body: Buffer | AsyncIterable<Buffer>) {
  const csv = await openCsv({ fileName: 'x.csv', body });
  const out: { line: number; values: string[] }[] = [];
  for await (const r of csv.records) out.push(r);
  return { header: csv.header, records: out };
}

async function* chunks(text: string, size: number) {
  const b = Buffer.from(text, 'utf8');
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

describe('openCsv', () => {
  const text = '\uFEFFcode,year,note\r\nA,2019,"two\r\nlines"\r\n\r\nB,2020,plain\r\n"C",2021,"x, y"\r\n';
  it('gives each record the line it starts on (quoted newlines and blank lines counted), BOM and CRLF handled', async () => {
    const r = await read(Buffer.from(text));
    expect(r.header).toEqual(['code', 'year', 'note']);
    expect(r.records).toEqual([
      { line: 2, values: ['A', '2019', 'two\r\nlines'] },
      { line: 5, values: ['B', '2020', 'plain'] },
      { line: 6, values: ['C', '2021', 'x, y'] },
    ]);
  });
  it('reads the same from chunks split anywhere (multi-byte characters included)', async () => {
    const t = 'code,name\n1,北京\n2,"上海\n市"\n3,x\n';
    const whole = await read(Buffer.from(t));
    for (const size of [1, 2, 3, 7]) expect(await read(chunks(t, size))).toEqual(whole);
    expect(whole.records.map((r) => r.line)).toEqual([2, 3, 5]);
  });
  it('a streamed file of 100,000 rows is read record by record', async () => {
    async function* big() {
      yield Buffer.from('code,year,v\n');
      for (let i = 0; i < 100; i++) yield Buffer.from(Array.from({ length: 1000 }, (_, j) => `U${i},${1900 + (j % 200)},${j}\n`).join(''));
    }
    const csv = await openCsv({ fileName: 'big.csv', body: big() });
    let n = 0, last = 0;
    for await (const r of csv.records) { n++; last = r.line; }
    expect(n).toBe(100_000);
    expect(last).toBe(100_001);
  });
  it('an unclosed quote is a syntax error naming a line', async () => {
    await expect(read(Buffer.from('a,b\n1,"2\n3,4\n'))).rejects.toMatchObject({ line: expect.any(Number), message: expect.stringMatching(/CSV does not parse/) });
  });
});

describe('cell parsing', () => {
  it('missing values: empty, NA, NaN, ., NULL, N/A (any case), never 0', () => {
    for (const v of ['', ' ', 'NA', 'na', 'NaN', '.', 'NULL', 'n/a', undefined]) expect(isMissing(v)).toBe(true);
    for (const v of ['0', '-', 'x']) expect(isMissing(v)).toBe(false);
    expect(parseNumber('NA')).toBeNull();
    expect(parseNumber('0')).toBe(0);
  });
  it('numbers: decimal and exponent forms; text, Infinity, overflow and thousands separators are not numbers', () => {
    expect([' 1.5 ', '-2', '+3', '.5', '5.', '1e3', '-2.5E-2'].map(parseNumber)).toEqual([1.5, -2, 3, 0.5, 5, 1000, -0.025]);
    for (const v of ['abc', 'Infinity', '1e999', '1,000', '0x10', '1 2', '--1']) expect(parseNumber(v)).toBeUndefined();
  });
  it('years, dates and booleans', () => {
    expect([parseYear('2019'), parseYear('2019.0'), parseYear('1899'), parseYear('2019.5'), parseYear('x')]).toEqual([2019, 2019, undefined, undefined, undefined]);
    expect([parseDate('2015-03-01'), parseDate('2012'), parseDate('2015-02-30'), parseDate('15/03/2015'), parseDate('')]).toEqual(['2015-03-01', '2012-01-01', undefined, undefined, null]);
    expect(['true', 'T', '1', 'yes', 'false', 'f', '0', 'No', '', 'maybe'].map(parseBool)).toEqual([true, true, true, true, false, false, false, false, null, undefined]);
  });
});
