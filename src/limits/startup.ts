// The start-up line that says who may do what without a key (over the network and on this machine), and the limits in force.
import { limits } from './settings.js';

export function accessLine(): string {
  const s = limits();
  const anon = s.anonymousRole === null
    ? 'every request needs an API key (AGGLOMERA_ANONYMOUS_ROLE=none)'
    : s.anonymousRole === 'reader'
      ? 'without a key: reads open (reader); estimates, jobs and writes need a key (AGGLOMERA_ANONYMOUS_ROLE=reader)'
      : `WARNING: callers without a key act as ${s.anonymousRole} (AGGLOMERA_ANONYMOUS_ROLE=${s.anonymousRole})`;
  const local = s.loopbackRole === null
    ? 'callers on this machine are anonymous too (AGGLOMERA_LOOPBACK_ROLE=none)'
    : s.loopbackRole === 'admin'
      ? 'WARNING: callers on this machine without a key act as admin, every local user and program may write (AGGLOMERA_LOOPBACK_ROLE=admin)'
      : `callers on this machine (loopback, no proxy headers) act as ${s.loopbackRole} without a key (AGGLOMERA_LOOPBACK_ROLE=${s.loopbackRole}; none behind a reverse proxy on this host)`;
  const mb = (n: number) => `${+(n / 1024 / 1024).toFixed(2)} MB`;
  return `access: ${anon}; ${local}; limits: depth ${s.maxDepth}, aliases ${s.maxAliases}, cost ${s.maxCost}, batch ${s.maxBatch}, `
    + `${s.requestTimeoutMs} ms per request, responses ${mb(s.maxResponseBytes)}, bodies ${mb(s.maxBodyBytes)} (uploads ${mb(s.maxUploadBytes)}); `
    + `CORS origins ${s.corsOrigins.join(', ')}`;
}
