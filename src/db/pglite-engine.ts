import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The installed PGlite package's folder (its engine files are in dist/). */
export function pglitePackageRoot(): string {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  return entry.slice(0, entry.lastIndexOf('/dist/'));
}

/** What PGlite.create otherwise reads and compiles itself: its options of the same names. */
export interface PGliteEngine {
  pgliteWasmModule: WebAssembly.Module;
  fsBundle: Blob;
}

let loading: Promise<PGliteEngine> | undefined;

/**
 * PGlite's engine: postgres compiled to WASM (~10 MB) and the bundle of its share/ files (~6 MB),
 * once per process. Both files are read at once (synchronously: a few milliseconds), and the WASM
 * compiles on V8's background threads, so a caller that goes on with other work (the gateway
 * evaluating its modules) gets them for free; PGlite.create would read them and compile only when
 * called, with the main thread waiting.
 */
export function loadPGliteEngine(): Promise<PGliteEngine> {
  loading ??= (() => {
    const dist = join(pglitePackageRoot(), 'dist');
    const wasm = readFileSync(join(dist, 'pglite.wasm'));
    const fsBundle = new Blob([readFileSync(join(dist, 'pglite.data'))]);
    return WebAssembly.compile(wasm).then((pgliteWasmModule) => ({ pgliteWasmModule, fsBundle }));
  })();
  return loading;
}
