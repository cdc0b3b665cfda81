// Logs through pino on stdout: readable lines (pino-pretty) when stdout is a terminal, JSON lines otherwise (files,
// pipes, log collectors). AGGLOMERA_LOG_FORMAT=pretty|json forces one; AGGLOMERA_LOG_LEVEL (default info; silent
// under vitest).
import pino from 'pino';
import pretty from 'pino-pretty';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;

function level(env: NodeJS.ProcessEnv): string {
  const v = env.AGGLOMERA_LOG_LEVEL ?? (env.VITEST ? 'silent' : 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new Error(`AGGLOMERA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${v}"`);
  return v;
}

/** Whether lines are pretty: the setting, else whether stdout is a terminal. */
export function prettyLogs(env: NodeJS.ProcessEnv, stdoutIsTTY: boolean): boolean {
  const v = (env.AGGLOMERA_LOG_FORMAT ?? 'auto').trim().toLowerCase();
  if (!(LOG_FORMATS as readonly string[]).includes(v)) throw new Error(`AGGLOMERA_LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}, got "${env.AGGLOMERA_LOG_FORMAT}"`);
  return v === 'auto' ? stdoutIsTTY : v === 'pretty';
}

const options: pino.LoggerOptions = { level: level(process.env), base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };

// pretty: synchronous on the main thread (no transport worker), local time, no pid/hostname noise; a request line
// reads "GET /graphql 200 12.3 ms" rather than a bag of fields
export const logger = prettyLogs(process.env, Boolean(process.stdout.isTTY))
  ? pino(options, pretty({
    colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,reqId,method,path,status,durationMs,url,store,map,graphql,ogc,keys',
    messageFormat: (log, key) => (log[key] === 'request' ? `${log.method} ${log.path} ${log.status} ${log.durationMs} ms` : String(log[key])),
  }))
  : pino(options);
