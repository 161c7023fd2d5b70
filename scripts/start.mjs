// `npm start`. Bundles our TypeScript (src/main.ts and what it imports; packages stay imports of
// node_modules) with esbuild into .build/, then runs it in this same process with plain Node.
// Why not `tsx src/main.ts`: tsx's loader hooks sit on every module import, packages included,
// which roughly doubled the time spent loading modules at start. The bundle is made on every
// start (esbuild takes a fraction of a second), so it is never stale; it is named by its content
// hash and written with an atomic rename, so gateways starting side by side cannot clash.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.build');

const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts'],
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  write: false,
  outfile: join(outDir, 'main.mjs'),
  logLevel: 'warning',
});
const code = result.outputFiles[0].contents;
const name = `main-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
const file = join(outDir, name);
mkdirSync(outDir, { recursive: true });
try {
  statSync(file);
} catch {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
}
// Bundles of older sources, once nobody can still be about to load them.
for (const old of readdirSync(outDir)) {
  const path = join(outDir, old);
  if (old !== name && Date.now() - statSync(path, { throwIfNoEntry: false })?.mtimeMs > 60_000)
    rmSync(path, { force: true });
}

// Stack traces point into src/*.ts, not the bundle.
process.setSourceMapsEnabled(true);
// The packages' production mode unless told otherwise: graphql-js checks every `instanceof` of
// its type predicates a second time outside it (~6 % of the CPU of a large list, measured).
process.env.NODE_ENV ??= 'production';
await import(pathToFileURL(file).href);
