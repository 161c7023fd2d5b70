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
    // Two files at a time: most of a file's time is spent waiting (processes, sockets, the
    // server), so on 2 cores two workers take the embedded suite from ~460 s to ~390 s (measured
    // quiet). TEST_WORKERS sets another number; four at a time timed out the timing-bound tests
    // on a loaded machine.
    maxWorkers: Number(process.env.TEST_WORKERS) || 2,
    // Migrates one store once; each file then starts from a copy of it (see the file).
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
