import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const protocolSource = fileURLToPath(new URL('./packages/protocol/src/index.ts', import.meta.url));
const protocolWireSource = fileURLToPath(
  new URL('./packages/protocol/src/wire.ts', import.meta.url),
);

/**
 * The server suite runs twice: on a fresh SQLite file per test file, and on PostgreSQL
 * (TEST_PG_URL, a fresh schema per test file). Engine-free tests run once: `unit` holds only
 * what runs in milliseconds (no database, server, FFmpeg, child process or network), so
 * `npx vitest run --project unit` answers in seconds; `server-misc` holds the engine-free tests
 * that do real work (media through FFmpeg, file stores, SQLite files, the built process).
 */
export default defineConfig({
  resolve: {
    // The subpath first: the bare name would also match '@servicesystem/protocol/wire'.
    alias: {
      '@servicesystem/protocol/wire': protocolWireSource,
      '@servicesystem/protocol': protocolSource,
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/test/**/*.test.ts',
            'apps/server/test/unit/**/*.test.ts',
            // The console's pure parts (no DOM): key matching.
            'apps/console/test/**/*.test.ts',
          ],
          // Pure tests: worker threads start faster than child processes (about a third off).
          pool: 'threads',
        },
      },
      {
        extends: true,
        test: {
          name: 'server-misc',
          include: ['apps/server/test/misc/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'server-sqlite',
          include: ['apps/server/test/engine/**/*.test.ts'],
          env: { TEST_DB: 'sqlite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'scaleout',
          include: ['apps/server/test/scaleout/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'faults',
          include: ['apps/server/test/faults/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // A page that is slow to answer on a busy 2-core machine (a login, then the list) is
          // not a failure: polls wait up to 10 s (Vitest's default is 1 s), and still fail then.
          expect: { poll: { timeout: 10_000 } },
          // One browser at a time on a 2-core machine.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'server-postgres',
          include: ['apps/server/test/engine/**/*.test.ts'],
          env: { TEST_DB: 'postgres' },
        },
      },
    ],
  },
});
