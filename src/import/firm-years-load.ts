// A first load of firm-years: rows that share no key with a stored firm-year need no comparison with the store, so
// a large file goes by COPY straight into firm_year. The checks the staged path makes in SQL are made by the table's
// keys instead: a firm-year already stored or repeated in the file breaks the primary key, a firm not stored the
// foreign key. What pays is set aside during the COPY and put back after (src/import/bulk.ts): for a file at least
// as large as the stored firm-years, the keys and indexes too (so a clash shows only when the keys are rebuilt);
// otherwise the primary key stays and refuses a stored firm-year at its first line. The attempt runs in a savepoint;
// when it has to give up (such a key, or any bad cell) it is rolled back and the caller reads the file again the
// usual way, whose report names every problem by line and which updates stored rows. The kinds of the new rows are
// classified from the rows the savepoint wrote (their xmin is its transaction id), while the keys are rebuilt.
import { open } from 'node:fs/promises';
import type { Db } from '../db/db.js';
import { firmYearFacts, insertFirmKinds, type FirmKindRow } from '../db/queries/domain.js';
import { mayQualifySql } from '../db/queries/kind-filter.js';
import { sql } from '../db/sql.js';
import { DEFAULT_RULE_SET, parseRuleSet } from '../domain/rules.js';
import { asideFor, storedRows } from './bulk.js';
import { classifiedNow, classifyYielding, staleLine } from './classify.js';
import { locateFields, Problems, type FieldSpec } from './csv.js';
import { blockLines, isBlock } from './csv-bytes.js';
import { cellsOf, isRaw, scanCsv } from './csv-scan.js';
import { sniffFormat } from './sniff.js';
import { stageCsv } from './wide.js';
import type { ImporterResult, ImportInput, ImportOptions, Progress } from './types.js';

/** Rows (estimated from the input's size) from which a first load goes straight into firm_year. */
export const STRAIGHT_MIN_ROWS = 10_000;
// a short firm-year line (an id, a year and seven small figures), so that the estimate errs on the side of fewer rows
const LINE_BYTES = 48;

class GiveUp extends Error {}

/** The rows `input` holds by its size, when it may be loaded straight: it can be read again, nothing is only tried
 *  (dry run) or replaced, and it holds at least STRAIGHT_MIN_ROWS rows and a tenth of firm_year's (the new rows are
 *  found by a scan of the table). Otherwise null. */
export async function straightRows(tx: Db, input: ImportInput, opts: ImportOptions): Promise<number | null> {
  if (!input.reread || !input.size || opts.dryRun || opts.replace) return null;
  const rows = Math.floor(input.size / LINE_BYTES);
  return rows >= STRAIGHT_MIN_ROWS && rows * 10 >= await storedRows(tx, 'firm_year') ? rows : null;
}

// the head of the file that is looked at before an attempt
const HEAD_BYTES = 64 * 1024;

/** The first bytes of an input that can be read again, cut after the last whole line. */
async function headOf(input: ImportInput): Promise<Buffer> {
  let head: Buffer;
  if (Buffer.isBuffer(input.body)) head = input.body.subarray(0, HEAD_BYTES);
  else {
    const f = await open(input.path!);
    try {
      const b = Buffer.alloc(HEAD_BYTES);
      head = b.subarray(0, (await f.read(b, 0, HEAD_BYTES, 0)).bytesRead);
    } finally { await f.close(); }
  }
  const nl = head.lastIndexOf(10);
  return head.length < HEAD_BYTES || nl < 0 ? head : head.subarray(0, nl + 1);
}

/**
 * Whether a firm-year among the first lines of the file (its first 64 kB) is stored already, and on which line: a
 * file that revises stored firm-years shows it at once, and is then not tried straight (where, with the keys set
 * aside, the clash would show only once the whole file is in). A CSV only; null when none is, or the head does not
 * read (the real read will say why).
 */
async function storedAmongFirst(tx: Db, input: ImportInput, opts: ImportOptions, fields: FieldSpec[]): Promise<number | null> {
  const head = await headOf(input);
  if (opts.format === 'xlsx' || sniffFormat(input.fileName, head, 'csv') !== 'csv') return null;
  const keys: { line: number[]; firm: number[]; year: number[] } = { line: [], firm: [], year: [] };
  try {
    const csv = await scanCsv({ fileName: input.fileName, body: head }, opts);
    const [f, y] = locateFields(csv.header, fields, new Problems(1));
    if (f === null || y === null) return null;
    const int = (v: string | undefined) => { const x = Number(v); return Number.isInteger(x) && Math.abs(x) < 2 ** 31 ? x : null; };
    for await (const rec of csv.records) {
      for (const r of isBlock(rec) ? blockLines(rec) : [rec]) {
        const c = isRaw(r) ? cellsOf(r) : r;
        const [firm, year] = [int(c?.values[f]), int(c?.values[y])];
        if (c && firm !== null && year !== null) { keys.line.push(c.line); keys.firm.push(firm); keys.year.push(year); }
      }
    }
  } catch {
    return null;
  }
  const [hit] = await tx.query<{ line: number }>(sql`
    SELECT k.line FROM unnest(${keys.line}::int[], ${keys.firm}::int[], ${keys.year}::int[]) k(line, firm_id, year)
    WHERE EXISTS (SELECT 1 FROM firm_year y WHERE y.firm_id = k.firm_id AND y.year = k.year) ORDER BY k.line LIMIT 1`);
  return hit?.line ?? null;
}

/** The transaction id of the (sub)transaction running: what xmin the rows it writes carry. A write to a temp table
 *  makes sure it has one. */
async function ownXid(tx: Db): Promise<string> {
  await tx.query(sql`CREATE TEMP TABLE IF NOT EXISTS import_load_mark (x int) ON COMMIT DROP`);
  const [r] = await tx.query<{ xid: string }>(sql`INSERT INTO import_load_mark VALUES (1) RETURNING xmin::text AS xid`);
  return r.xid;
}

/**
 * Loads `input` (about `rows` rows; fields: firmYearFields) straight into firm_year, or rolls the attempt back (or
 * does not try: storedAmongFirst) and says so, as a line for the report, and whether `input` was read. `fresh`: the stored classification is current, so the new firm-years' kinds are stored too.
 */
export async function loadFirmYearsStraight(tx: Db, input: ImportInput, opts: ImportOptions, fields: FieldSpec[], rows: number,
  fresh: boolean, progress?: Progress): Promise<ImporterResult | { gaveUp: string; read: boolean }> {
  const stored = await storedAmongFirst(tx, input, opts, fields);
  if (stored !== null) return { gaveUp: `not loaded straight into firm_year: the firm-year on line ${stored} is stored already, so the file is compared with the store`, read: false };
  await tx.query(sql`SAVEPOINT import_load`);
  try {
    // below bulk.ts's size nothing is set aside: readers of firm_year are not kept waiting for a small load
    const restore = await asideFor(tx, 'firm_year', rows);
    const xid = await ownXid(tx);
    const s = await stageCsv(tx, input, opts, 'firm_year', fields, progress, undefined, true);
    if (s.problems.count) throw new GiveUp(`${s.problems.count} bad cell${s.problems.count === 1 ? '' : 's'}`);
    const rules = fresh ? parseRuleSet(DEFAULT_RULE_SET) : null;
    // the rows written here that may meet a kind (a repeat as often as it is written: if there is one, the attempt is
    // given up below anyway), classified while the database builds the keys again
    const facts = rules ? await firmYearFacts(tx, { where: sql`y.xmin = ${xid}::xid AND ${mayQualifySql(rules)}` }) : [];
    const classifying = rules ? classifyYielding(facts, rules) : Promise.resolve([]);
    classifying.catch(() => undefined); // awaited in the keys' rebuild, which may fail before
    let kinds: FirmKindRow[] = [];
    // the kinds are stored once firm_year's keys hold, before firm_kind's key on it is checked (in one go)
    await restore(async () => {
      kinds = await classifying;
      if (rules) await insertFirmKinds(tx, rules.version, kinds);
    });
    await tx.query(sql`RELEASE SAVEPOINT import_load`);
    const n = s.rowsStaged;
    return {
      rowsRead: s.rowsRead, counts: { inserted: n, updated: 0, unchanged: 0, deleted: 0 }, problems: [], problemCount: 0, warnings: [],
      derived: [
        `firm_year: ${n} new rows copied straight in (none of the file's firm-years was stored)`,
        rules ? await classifiedNow(tx, rules.version, `the ${n} new firm-years classified`, kinds.length) : staleLine(DEFAULT_RULE_SET.version),
      ],
    };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = e instanceof GiveUp ? e.message
      : code === '23505' ? 'a firm-year is stored already or repeated in the file'
      : code === '23503' ? 'a firm is not stored'
      : null;
    if (why === null) throw e;
    await tx.query(sql`ROLLBACK TO SAVEPOINT import_load`);
    return { gaveUp: `a first load straight into firm_year was tried and given up (${why}): the file was read again and compared with the store`, read: true };
  }
}
