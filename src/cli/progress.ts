// A progress display on the command's stderr: a bar that rewrites itself on a terminal, one line per step otherwise.
import { cliErr, cliErrIsTTY } from './io.js';

export interface Progress { step(label: string): void; done(label: string, seconds: number): void; finish(): void }

export function progress(total: number): Progress {
  let k = 0;
  const tty = cliErrIsTTY();
  const bar = (label: string) => {
    const width = 24, filled = Math.round((k / total) * width);
    cliErr(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${k}/${total} ${label}`.padEnd(78));
  };
  return {
    step(label) { if (tty) bar(`${label}…`); },
    done(label, seconds) {
      k++;
      if (tty) bar(`${label} (${seconds.toFixed(1)} s)`);
      else cliErr(`${label} done in ${seconds.toFixed(1)} s (${k}/${total})\n`);
    },
    finish() { if (tty) cliErr('\n'); },
  };
}
