import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['gateway/**/*.test.ts', 'contracts/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/live/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites that start child processes or share PostgreSQL/Redis keep their own namespaces,
    // so files may run in parallel; the 2-core machine caps the useful concurrency.
    maxWorkers: 2,
  },
});
