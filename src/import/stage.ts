// Staging tables of the CSV importers: a temporary table (dropped at commit or rollback) filled batch by batch —
// COPY FROM STDIN on PostgreSQL, multi-row INSERT ... SELECT FROM unnest(arrays) on the embedded database — so a
// file of any size passes through bounded memory; the checks and the upserts are then set-based SQL.
import type { Db } from '../db/db.js';
import { sql, type SqlFragment } from '../db/sql.js';

export type StageType = 'int' | 'text' | 'float8' | 'bool' | 'date';

export interface StageColumn { name: string; type: StageType }

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad staging identifier ${name}`);
  return name;
};

/** COPY text format: backslash, tab, newline and carriage return escaped; null as \N. */
function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  return String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** Creates the temporary table `table` (dropped at commit or rollback) with `columns`, replacing one left from before
 *  in this transaction. Identifiers are checked constants, never user text. */
export async function createStageTable(db: Db, table: string, columns: readonly StageColumn[]): Promise<void> {
  ident(table);
  columns.forEach((c) => ident(c.name));
  await db.query(sql([`DROP TABLE IF EXISTS ${table}`]));
  await db.query(sql([`CREATE TEMP TABLE ${table} (${columns.map((c) => `${c.name} ${c.type}`).join(', ')}) ON COMMIT DROP`]));
}

export class Stage {
  private rows: unknown[][] = [];
  staged = 0;
  constructor(private readonly db: Db, readonly table: string, readonly columns: StageColumn[], private readonly batch = 20_000) {
    ident(table);
    columns.forEach((c) => ident(c.name));
  }

  /** The table as an SQL fragment (identifiers are checked constants, never user text). */
  get ref(): SqlFragment { return sql([this.table]); }

  async create(): Promise<void> {
    await createStageTable(this.db, this.table, this.columns);
  }

  async add(row: unknown[]): Promise<void> {
    this.rows.push(row);
    if (this.rows.length >= this.batch) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.rows.length) return;
    const rows = this.rows;
    this.rows = [];
    this.staged += rows.length;
    const names = this.columns.map((c) => c.name).join(', ');
    if (this.db.kind === 'postgres' && this.db.copyFrom) {
      // one chunk per batch: a chunk per row would be one CopyData message (and socket write) per row
      let text = '';
      for (const r of rows) text += `${r.map(copyField).join('\t')}\n`;
      await this.db.copyFrom(`COPY ${this.table} (${names}) FROM STDIN`, [text]);
      return;
    }
    const arrays = this.columns.map((c, j) => sql`${rows.map((r) => r[j] ?? null)}::${sql([`${c.type}[]`])}`);
    const strings = ['', ...arrays.slice(1).map(() => ', '), ''];
    const unnest: SqlFragment = { strings, values: arrays, __sql: true };
    await this.db.query(sql`INSERT INTO ${this.ref} (${sql([names])}) SELECT * FROM unnest(${unnest})`);
  }
}
