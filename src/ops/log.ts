// Structured logs: JSON lines through pino on stdout. AGGLOMERA_LOG_LEVEL (default info; silent under vitest).
import pino from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function level(env: NodeJS.ProcessEnv): string {
  const v = env.AGGLOMERA_LOG_LEVEL ?? (env.VITEST ? 'silent' : 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new Error(`AGGLOMERA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${v}"`);
  return v;
}

export const logger = pino({ level: level(process.env), base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
