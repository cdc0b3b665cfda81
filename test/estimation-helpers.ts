// Shared by the estimation tests: read a fixture CSV into a DataFrame, relative comparison.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { expect } from 'vitest';
import { frameFromRecords, type DataFrame } from '../src/estimation/frame.js';

export const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

export function readFixtureCsv(name: string): DataFrame {
  const rows = parse(readFileSync(fixture(name)), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return frameFromRecords(rows);
}

export function readExpected(name: string) {
  return JSON.parse(readFileSync(fixture(`${name}/expected.json`), 'utf8'));
}

/** |a - b| <= tol * max(|b|, tiny) */
export function expectRel(actual: number, expected: number, tol = 1e-6, what = '') {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
  if (!(err <= tol)) expect.fail(`${what}: ${actual} vs ${expected} (rel err ${err.toExponential(2)} > ${tol})`);
}
