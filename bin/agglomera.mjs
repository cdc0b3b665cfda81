#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx agglomera ...` works without a build step.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
// the project's tsconfig (decorators) also when the command runs from another folder
const child = spawn(process.execPath, [tsx, '--tsconfig', path.join(root, 'tsconfig.json'), path.join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
// A stop sent to this process (`kill`, `docker stop`) reaches the command, so `agglomera worker` drains its jobs
// instead of running on orphaned. SIGINT from a terminal already reaches the whole process group: passing it on too
// would be a second one (which stops a draining worker at once), so here it is only not fatal.
for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => {
  if (signal) {
    // end the way the command ended (a shell sees the same signal)
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
