import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['gateway/**/*.test.ts', 'contracts/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Deadlines for a stuck test, not speed limits: on a busy machine (two suites at once, other
    // work) a test that takes 5 s alone can take 30. Tests wait on conditions, never on time.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // expect.poll waits on a condition; its default 1 s deadline is a speed limit, not a stuck test.
    expect: { poll: { timeout: 30_000 } },
    // Suites that start child processes or share PostgreSQL/Redis keep their own namespaces,
    // so files may run in parallel; the 2-core machine caps the useful concurrency.
    maxWorkers: 2,
  },
});
