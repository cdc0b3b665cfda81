// Agglomera command line: `agglomera estimate ...` and `agglomera weights ...` (see --help).
// User errors print one line to stderr and exit 2; unexpected failures print the stack and exit 1.
import { runEstimate, ESTIMATE_USAGE } from './estimate.js';
import { isUserError, userMessage, UsageError } from './errors.js';

const USAGE = `usage: agglomera <command> [options]

commands:
  estimate   fit a model spec on a CSV / GeoJSON file and print the result (json or table)
  weights    spatial neighbours of a GeoJSON file
  replicate  run the paper's tables 1-7 (studies/paper.json) on the loaded data into --out DIR (default ./out)
  study      run a study file (tables, maps, .docx) or validate it (see 'agglomera study --help')
  export-panel  write the stored city (or firm) panel after the sample rules as CSV
  keys       API keys: create --name N --role reader|analyst|admin, list, revoke <id|prefix>
  import     import boundaries, city-years, firms or firm-years from a file (see 'agglomera import --help')
  composite  define a composite index of stored variables (entropy / equal weights); composite list; composite drop NAME

Run 'agglomera <command> --help' for the options of a command.

${ESTIMATE_USAGE}`;

type Runner = (argv: string[]) => Promise<number>;

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

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { out(USAGE); return cmd ? 0 : 2; }
  switch (cmd) {
    case 'estimate':
      return runEstimate(rest, out);
    case 'weights':
      return (await loadWeights())(rest);
    case 'replicate':
      // loaded on demand: they open the store (PGlite, GraphQL schema), which `estimate` never needs
      return (await import('./replicate.js')).runReplicate(rest, out);
    case 'study':
      return (await import('./study.js')).runStudyCli(rest);
    case 'export-panel':
      return (await import('./export.js')).runExport(rest, out);
    case 'keys':
      return (await import('./keys.js')).runKeys(rest, out);
    case 'import':
      return (await import('./import.js')).runImportCli(rest, out);
    case 'composite':
      return (await import('./composite.js')).runComposite(rest);
    default:
      throw new UsageError(`unknown command '${cmd}'\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (isUserError(e)) {
      process.stderr.write(`agglomera: ${userMessage(e)}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`agglomera: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
