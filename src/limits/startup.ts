// The start-up line that says who may do what without a key, and the limits in force.
import { limits } from './settings.js';

export function accessLine(): string {
  const s = limits();
  const anon = s.anonymousRole === null
    ? 'every request needs an API key (AGGLOMERA_ANONYMOUS_ROLE=none)'
    : s.anonymousRole === 'reader'
      ? 'without a key: reads open (reader); estimates, jobs and writes need a key (AGGLOMERA_ANONYMOUS_ROLE=reader)'
      : `WARNING: callers without a key act as ${s.anonymousRole} (AGGLOMERA_ANONYMOUS_ROLE=${s.anonymousRole})`;
  const mb = (n: number) => `${+(n / 1024 / 1024).toFixed(2)} MB`;
  return `access: ${anon}; limits: depth ${s.maxDepth}, aliases ${s.maxAliases}, cost ${s.maxCost}, batch ${s.maxBatch}, `
    + `${s.requestTimeoutMs} ms per request, responses ${mb(s.maxResponseBytes)}, bodies ${mb(s.maxBodyBytes)} (uploads ${mb(s.maxUploadBytes)}); `
    + `CORS origins ${s.corsOrigins.join(', ')}`;
}
