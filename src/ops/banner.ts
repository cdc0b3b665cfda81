// The start-up line: where the store is, where to point a browser / GIS / program, and how to get a key. One log
// record (fields for log collectors, a sentence for people).
import type { Config } from '../config.js';
import type { LimitSettings } from '../limits/settings.js';

/** DATABASE_URL without its password. */
export function safeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch { return '(DATABASE_URL)'; }
}

export interface Banner { fields: Record<string, string>; message: string }

export function startupBanner(cfg: Pick<Config, 'databaseUrl' | 'dataDir'>, origin: string, s: Pick<LimitSettings, 'anonymousRole' | 'loopbackRole'>): Banner {
  const store = cfg.databaseUrl ? `PostgreSQL ${safeDatabaseUrl(cfg.databaseUrl)}` : `embedded PGlite in ${cfg.dataDir}`;
  const fields = { store, map: `${origin}/`, graphql: `${origin}/graphql`, ogc: `${origin}/ogc`, keys: 'npx agglomera keys create --name NAME --role reader|analyst|admin' };
  const noKey = s.anonymousRole ?? 'nothing';
  const local = s.loopbackRole && s.loopbackRole !== s.anonymousRole ? `, from this machine ${s.loopbackRole}` : '';
  // starts as it always did ("GraphQL ready at <url>"): scripts and tests wait for that; one record, several lines
  const message = [
    `GraphQL ready at ${fields.graphql} (open it in a browser for the IDE)`,
    `  map      ${fields.map}`,
    `  OGC API  ${fields.ogc}`,
    `  store    ${store}`,
    `  no key   ${noKey}${local}; a key for more: ${fields.keys}`,
  ].join('\n');
  return { fields, message };
}
