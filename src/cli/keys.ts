// `agglomera keys create --name N --role R | list | revoke <id|prefix>`: API keys in the database of DATABASE_URL or
// the embedded folder (AGGLOMERA_DATA_DIR), as the server uses. The secret is printed once, at creation.
import { parseArgs } from 'node:util';
import { openCliStore } from './io.js';
import { createKey, KeyError, listKeys, revokeKey, type ApiKeyInfo } from '../auth/keys.js';
import { ROLES } from '../auth/roles.js';
import { UsageError } from './errors.js';

export const KEYS_USAGE = `usage: agglomera keys create --name NAME --role reader|analyst|admin
       agglomera keys list [--json]
       agglomera keys revoke <id | prefix>

  Roles: reader (queries), analyst (+ estimates, tables, jobs), admin (+ imports and every write).
  Data: DATABASE_URL, else the embedded database in AGGLOMERA_DATA_DIR (default .data/pglite; when a server runs on
  that folder the command runs inside it, and a new key works at once). On PostgreSQL, a server trusts a key it looked
  up for AGGLOMERA_KEY_CACHE_TTL_MS (default 10 s), so a revocation by the CLI reaches it within that time.`;

const iso = (d: Date | null) => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : '-');

function table(keys: ApiKeyInfo[]): string {
  const rows = [['id', 'prefix', 'role', 'name', 'created', 'last used', 'revoked'],
    ...keys.map((k) => [String(k.id), k.prefix, k.role, k.name, iso(k.createdAt), iso(k.lastUsedAt), iso(k.revokedAt)])];
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd()).join('\n');
}

export async function runKeys(argv: string[], out: (s: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h') { out(KEYS_USAGE); return sub ? 0 : 2; }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { name: { type: 'string' }, role: { type: 'string' }, json: { type: 'boolean' } } });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n${KEYS_USAGE}`);
  }
  const { values, positionals } = parsed;
  if (sub === 'create') {
    if (!values.name) throw new UsageError('keys create needs --name');
    if (!values.role || !(ROLES as readonly string[]).includes(values.role)) throw new UsageError(`keys create needs --role ${ROLES.join('|')}`);
  } else if (sub === 'revoke') {
    if (positionals.length !== 1) throw new UsageError('keys revoke needs one id or prefix');
  } else if (sub !== 'list') throw new UsageError(`unknown keys command '${sub}'\n${KEYS_USAGE}`);

  const db = await openCliStore({ loadDemo: false });
  try {
    if (sub === 'create') {
      const { key, info } = await createKey(db, values.name!, values.role!);
      out(`created key ${info.id} "${info.name}" with the ${info.role} role; it is shown only now:`);
      out(key);
    } else if (sub === 'list') {
      const keys = await listKeys(db);
      out(values.json ? JSON.stringify(keys, null, 2) : keys.length ? table(keys) : 'no API keys');
    } else {
      const info = await revokeKey(db, positionals[0]);
      out(`revoked key ${info.id} "${info.name}" (${info.prefix}) at ${iso(info.revokedAt)}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof KeyError) throw new UsageError(e.message);
    throw e;
  } finally {
    await db.close();
  }
}
