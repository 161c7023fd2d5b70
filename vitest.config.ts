import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node (and so Pothos and Yoga) load graphql's CommonJS build; Vite would pick its .mjs
    // build for our own imports, and two copies of graphql refuse each other's types.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Each file builds its own database (PGlite in memory, or a new database on the server).
    pool: 'forks',
    // Vitest's default is one worker per core but one (1 on a 2-core machine): files then run one
    // after another, though most of their time is spent waiting (database, sockets, child
    // processes, timers). Four files at a time keep the cores busy; `--maxWorkers=1` restores it.
    maxWorkers: 4,
    minWorkers: 1,
    // Migrates one store once; each file then starts from a copy of it (see the file).
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
