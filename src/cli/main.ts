// Agglomera command line entry (bin/agglomera.mjs): runs one command through the dispatcher of src/cli/run.ts and
// exits with its code (2 user error, 1 unexpected failure). The CLI process names itself in the embedded store's lock.
import { setProcessCommand } from '../db/lock.js';
import { runCli } from './run.js';

setProcessCommand(['agglomera', ...process.argv.slice(2)].join(' ').slice(0, 200));
runCli(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`agglomera: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
