// A child process that logs JSON lines (the server, `agglomera worker`): its lines as they come, and a wait for one.
import type { ChildProcess } from 'node:child_process';

export interface LogLine { msg?: string; reqId?: string; [k: string]: unknown }

export class JsonLogProcess {
  readonly lines: LogLine[] = [];
  private waiters: { test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly proc: ChildProcess) {
    let buf = '';
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let l: LogLine;
        try { l = JSON.parse(text); } catch { continue; }
        this.lines.push(l);
        this.waiters = this.waiters.filter((w) => (w.test(l) ? (w.resolve(l), false) : true));
      }
    });
    proc.stderr!.on('data', () => undefined);
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  /** The first line (seen or to come) that passes `test`. */
  waitFor(test: (l: LogLine) => boolean): Promise<LogLine> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}
