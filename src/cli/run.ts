// The CLI dispatcher, callable in-process: `runCli(argv)` runs one `agglomera ...` command and resolves with its exit
// code (user errors: one line on stderr, 2; unexpected failures: the stack, 1). It runs the same way in a CLI process
// (src/cli/main.ts) and inside the server on behalf of a CLI process (src/cli/channel.ts).
//
// In a CLI process on the embedded store, output is held back until the command has opened its store: if a running
// server holds the folder, openCliStore throws ForwardToServer, the held-back output is dropped and the whole command
// runs inside that server instead (nothing a command does before opening the store is more than reading arguments).
import { cliContext, cliErr, cliOut, ForwardToServer, withCliContext, type CliContext } from './io.js';
import { isUserError, userMessage, UsageError } from './errors.js';

// every command module is loaded on demand: a CLI process whose command goes to the server loads only what it needs
const usage = async () => `usage: agglomera <command> [options]

commands:
  estimate   fit a model spec on a CSV / GeoJSON file and print the result (json or table)
  weights    spatial neighbours of a GeoJSON file
  replicate  run the paper's tables 1-7 (studies/paper.json) on the loaded data into --out DIR (default ./out)
  study      run a study file (tables, maps, .docx) or validate it (see 'agglomera study --help')
  export-panel  write the stored city (or firm) panel after the sample rules as CSV
  keys       API keys: create --name N --role reader|analyst|admin, list, revoke <id|prefix>
  import     import boundaries, city-years, firms or firm-years from a file (see 'agglomera import --help')
  composite  define a composite index of stored variables (entropy / equal weights); composite list; composite drop NAME
  worker     run estimate jobs from the queue without serving HTTP (PostgreSQL; see 'agglomera worker --help')

Run 'agglomera <command> --help' for the options of a command.
Commands that use the embedded store run inside the server when one is running on it (see README, "One writer").

${(await import('./estimate.js')).ESTIMATE_USAGE}`;

type Runner = (argv: string[], out: (s: string) => void) => Promise<number>;

async function loadWeights(): Promise<Runner> {
  const spec = './weights.js';
  try {
    const mod = (await import(spec)) as { runWeights?: Runner };
    if (typeof mod.runWeights !== 'function') throw new Error('no runWeights export');
    return mod.runWeights;
  } catch (e) {
    throw new UsageError(`the 'weights' command is not available in this build (src/cli/weights.ts: ${(e as Error).message})`);
  }
}

/** Runs one command (no error mapping). */
export async function dispatch(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const out = (s: string) => cliOut(s.endsWith('\n') ? s : `${s}\n`);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { out(await usage()); return cmd ? 0 : 2; }
  switch (cmd) {
    case 'estimate':
      return (await import('./estimate.js')).runEstimate(rest, out);
    case 'weights':
      return (await loadWeights())(rest, out);
    case 'replicate':
      return (await import('./replicate.js')).runReplicate(rest, out);
    case 'export-panel':
      return (await import('./export.js')).runExport(rest, out);
    case 'keys':
      return (await import('./keys.js')).runKeys(rest, out);
    case 'import':
      return (await import('./import.js')).runImportCli(rest, out);
    case 'study':
      return (await import('./study.js')).runStudyCli(rest);
    case 'composite':
      return (await import('./composite.js')).runComposite(rest);
    case 'worker':
      return (await import('./worker.js')).runWorker(rest);
    default:
      throw new UsageError(`unknown command '${cmd}'\n${await usage()}`);
  }
}

/** dispatch with the exit codes of the command line; ForwardToServer passes through. */
async function mapped(argv: string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (e instanceof ForwardToServer) throw e;
    if (isUserError(e)) {
      cliErr(`agglomera: ${userMessage(e)}\n`);
      return 2;
    }
    cliErr(`agglomera: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    return 1;
  }
}

/** Output held back until the command has its own store (or ends). */
class Gate {
  private held: [boolean, string][] = [];
  private open = false;
  constructor(private readonly sink: Pick<CliContext, 'out' | 'err'>) {}
  out = (s: string) => { if (this.open) this.sink.out(s); else this.held.push([true, s]); };
  err = (s: string) => { if (this.open) this.sink.err(s); else this.held.push([false, s]); };
  flush = () => {
    this.open = true;
    for (const [isOut, s] of this.held) (isOut ? this.sink.out : this.sink.err)(s);
    this.held = [];
  };
  drop() { this.held = []; }
}

/**
 * Runs `agglomera <argv>` and resolves with its exit code. Inside the server's channel (a context with the server's
 * store) it runs here; otherwise, when a running server holds the embedded store, inside that server.
 */
export async function runCli(argv: string[]): Promise<number> {
  const outer = cliContext();
  if (outer?.db) return mapped(argv);
  const sink: Pick<CliContext, 'out' | 'err'> = outer ?? { out: (s) => { process.stdout.write(s); }, err: (s) => { process.stderr.write(s); } };
  const cwd = outer?.cwd ?? process.cwd();
  const errIsTTY = outer?.errIsTTY ?? Boolean(process.stderr.isTTY);
  for (let attempt = 1; ; attempt++) {
    const gate = new Gate(sink);
    try {
      return await withCliContext({ out: gate.out, err: gate.err, errIsTTY, cwd, forwardable: true, storeOpened: gate.flush }, () => mapped(argv));
    } catch (e) {
      if (!(e instanceof ForwardToServer)) throw e;
      gate.drop();
      const { runThroughServer, ChannelUnavailable } = await import('./channel.js');
      try {
        // own process: the channel writes to this process's streams (and explains a Ctrl-C)
        return await runThroughServer(e.dataDir, argv, outer ? { ...sink, errIsTTY, cwd } : undefined, e.holder);
      } catch (e2) {
        // a server stopping right now: once it is gone the command opens the store itself
        if (!(e2 instanceof ChannelUnavailable) || attempt >= 5) { sink.err(`agglomera: ${(e2 as Error).message}\n`); return 2; }
        await new Promise((r) => setTimeout(r, 400));
      }
    } finally {
      gate.flush();
    }
  }
}
