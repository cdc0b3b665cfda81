// Worker thread bootstrap: registers tsx's loader in this thread (vitest and plain node parents do not pass theirs on),
// then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
