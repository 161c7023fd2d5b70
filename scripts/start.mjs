// `npm start`. Bundles src/main.ts with what it imports, packages included, into one file in
// .build/ with esbuild, then runs it in this same process with plain Node.
// Why a bundle of everything: Node resolving, reading and compiling the ~1,200 module files of
// the packages (kysely, graphql-yoga and theirs) took about a second of every start; one file
// loads in a fraction of that. Why not `tsx src/main.ts`: its loader hooks sit on every import.
// Building takes a second or two, so the bundle is reused while every file it was built from
// (listed with a fingerprint in .build/bundle.json, with this script, package.json, the lockfile
// npm writes on every install and esbuild's version) is unchanged, and rebuilt as soon as one
// is not: it is never stale. Files are named by content and written with an atomic
// rename, so gateways starting side by side cannot clash.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.build');
const manifestFile = join(outDir, 'bundle.json');
/** Read by the build besides the inputs esbuild reports: its options, dependencies and version. */
const buildFiles = [
  'scripts/start.mjs',
  'package.json',
  'tsconfig.json',
  'node_modules/.package-lock.json',
  'node_modules/esbuild/package.json',
];

/**
 * What identifies a file's contents: a hash of them for the project's own files, and for the
 * installed packages (npm writes new files on every install) size, modification time and inode,
 * which cost a stat instead of a read: together a few tens of milliseconds for ~1,200 files.
 */
function fingerprint(path) {
  try {
    if (!path.startsWith('node_modules/'))
      return createHash('sha256')
        .update(readFileSync(join(root, path)))
        .digest('hex')
        .slice(0, 16);
    const { size, mtimeMs, ino } = statSync(join(root, path));
    return `${size}:${mtimeMs}:${ino}`;
  } catch {
    return 'missing';
  }
}

function writeAtomically(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
}

/** The bundle named by the manifest, when every file it lists still has the recorded fingerprint. */
function currentBundle() {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    statSync(join(outDir, manifest.bundle));
  } catch {
    return undefined;
  }
  for (const [path, hash] of Object.entries(manifest.inputs)) if (fingerprint(path) !== hash) return undefined;
  return manifest.bundle;
}

async function buildBundle() {
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/main.ts'],
    bundle: true,
    // Kept as imports of node_modules: PGlite loads its WASM and data files from beside its own
    // module, pg and the GraphiQL page (9 MB) are loaded only when used, pino's transports
    // resolve worker files by path.
    external: ['@electric-sql/pglite', 'pg', '@graphql-yoga/render-graphiql', 'pino'],
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    // Stack traces point into src/*.ts; the sources themselves stay out of the map (smaller,
    // faster to load).
    sourcemap: 'linked',
    sourcesContent: false,
    // The CommonJS packages inside the bundle call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    metafile: true,
    write: false,
    outfile: join(outDir, 'main.mjs'),
    logLevel: 'warning',
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.mjs')).contents;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map')).contents;
  const name = `main-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`;
  mkdirSync(outDir, { recursive: true });
  // The map's name is written into the bundle's last line by esbuild: rename it to match.
  const text = Buffer.from(code)
    .toString('utf8')
    .replace(/\/\/# sourceMappingURL=main\.mjs\.map\s*$/, `//# sourceMappingURL=${name}.map\n`);
  writeAtomically(join(outDir, `${name}.map`), map);
  writeAtomically(join(outDir, name), text);
  const inputs = {};
  for (const path of [...Object.keys(result.metafile.inputs), ...buildFiles]) inputs[path] = fingerprint(path);
  // A file changed while esbuild read it: its fingerprint may not be what was bundled, so no manifest
  // (the next start builds again).
  const changedSince = (path) => (statSync(join(root, path), { throwIfNoEntry: false })?.mtimeMs ?? 0) >= startedAt;
  if (!Object.keys(inputs).some(changedSince)) writeAtomically(manifestFile, JSON.stringify({ bundle: name, inputs }));
  // Bundles of older sources, once nobody can still be about to load them.
  for (const old of readdirSync(outDir)) {
    const path = join(outDir, old);
    if (
      old.startsWith('main-') &&
      !old.startsWith(name) &&
      Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 60_000
    )
      rmSync(path, { force: true });
  }
  return name;
}

const bundle = currentBundle() ?? (await buildBundle());
// Stack traces point into src/*.ts, not the bundle.
process.setSourceMapsEnabled(true);
// The packages' production mode unless told otherwise: graphql-js checks every `instanceof` of
// its type predicates a second time outside it (~6 % of the CPU of a large list, measured).
process.env.NODE_ENV ??= 'production';
await import(pathToFileURL(join(outDir, bundle)).href);
