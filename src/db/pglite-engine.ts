import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

/** The installed PGlite package's folder (its engine files are in dist/). */
export function pglitePackageRoot(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  return entry.slice(0, entry.lastIndexOf('/dist/'));
}

/**
 * PGlite's buffer cache. Postgres's default, 128MB, is zeroed page by page when the engine starts
 * (~115 ms of every start, measured, and as much resident memory); the gateway's database is a
 * few MB (reads are served from memory by services/read-cache.ts, and a block outside the cache
 * is one read of the OS's page cache away).
 */
const SHARED_BUFFERS = '32MB';

/** PGlite, and the options every PGlite of the gateway is created with. */
export interface PGliteEngine {
  PGlite: typeof PGlite;
  options: Pick<PGliteOptions, 'pgliteWasmModule' | 'fsBundle' | 'startParams'>;
}

let loading: Promise<PGliteEngine> | undefined;

/**
 * PGlite's engine, once per process: its module, postgres compiled to WASM (~10 MB) and the
 * bundle of its share/ files (~6 MB). Both files are read at once (synchronously: a few
 * milliseconds) and the WASM compiles on V8's background threads, so a caller that goes on with
 * other work (the gateway evaluating its modules) has them when it needs them; PGlite.create
 * would read and compile them itself only when called, the main thread waiting.
 */
export function loadPGliteEngine(): Promise<PGliteEngine> {
  loading ??= (() => {
    const dist = join(pglitePackageRoot(), 'dist');
    const wasm = readFileSync(join(dist, 'pglite.wasm'));
    const fsBundle = new Blob([readFileSync(join(dist, 'pglite.data'))]);
    return Promise.all([import('@electric-sql/pglite'), WebAssembly.compile(wasm)]).then(
      ([{ PGlite }, pgliteWasmModule]) => ({
        PGlite,
        options: {
          pgliteWasmModule,
          fsBundle,
          startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
        },
      }),
    );
  })();
  return loading;
}
