import { defineConfig } from 'vitest/config';

// One worker process: the embedded database takes ~15 s to boot, so test files share one instance.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
