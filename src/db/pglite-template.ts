import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  type DatabaseConnection,
  type Driver,
  Kysely,
  type Migration,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { migrations as allMigrations } from '../../db/migrations/index.js';
import { migrateToLatest } from './migrate.js';
import { loadPGliteEngine, pglitePackageRoot } from './pglite-engine.js';
import type { Database } from './tables.js';

// A new embedded data folder starts as a copy of a migrated template instead of a new cluster:
// PGlite creating a cluster (initdb) takes seconds, a copy of the ~40 MB folder a fraction of
// that. A template is a folder PGlite made, migrated and closed cleanly, so the copy opens like
// any existing data folder (copying it measured faster than PGlite's own loadDataDir, which
// unpacks a dumpDataDir tarball file by file through its virtual file system).
// Templates are named by what their contents follow from: the PGlite version (its initdb) and
// the SQL of every migration. Another version or another migration list looks for another name,
// so a stale template is never used; with none at hand, one is made (once).

/** Bump when the way a template is made changes: older ones are then never used. */
const FORMAT = 1;
/** Templates kept in the cache folder, most recently used first (each ~40 MB). */
const KEPT = 3;

/** The installed PGlite's version (its initdb makes the cluster a template holds). */
export function pgliteVersion(): string {
  return JSON.parse(readFileSync(join(pglitePackageRoot(), 'package.json'), 'utf8')).version;
}

/**
 * node_modules/.cache/tenant-config-gateway, in the node_modules that holds PGlite: the usual home
 * of a derived, disposable cache, per checkout, and gone with the PGlite it was made by.
 */
export function defaultTemplateCache(): string {
  const root = pglitePackageRoot();
  return join(
    root.slice(0, root.lastIndexOf('/node_modules/') + '/node_modules'.length),
    '.cache',
    'tenant-config-gateway',
  );
}

/** A driver that records the SQL it is given and answers every statement with no rows. */
class RecordingDriver implements Driver {
  constructor(private readonly statements: string[]) {}
  async init() {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return {
      executeQuery: async (query) => {
        const parameters = JSON.stringify(query.parameters, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
        this.statements.push(`${query.sql} ${parameters}`);
        return { rows: [] };
      },
      streamQuery: async function* () {},
    };
  }
  async beginTransaction() {}
  async commitTransaction() {}
  async rollbackTransaction() {}
  async releaseConnection() {}
  async destroy() {}
}

/**
 * The name of the template for `migrations`: a hash of the PGlite version and the SQL each
 * migration runs, compiled without a database. The SQL, not the function text, so that bundling
 * (which renames identifiers) does not change it and any change of what a migration does does.
 */
export async function templateName(migrations: Record<string, Migration> = allMigrations): Promise<string> {
  const statements: string[] = [];
  const db = new Kysely<Record<string, never>>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new RecordingDriver(statements),
      createIntrospector: (kysely) => new PostgresIntrospector(kysely),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  for (const name of Object.keys(migrations).sort()) {
    statements.push(`-- ${name}`);
    await migrations[name].up(db);
  }
  const version = pgliteVersion();
  const hash = createHash('sha256')
    .update(JSON.stringify({ format: FORMAT, pglite: version, statements }))
    .digest('hex')
    .slice(0, 16);
  return `pglite-${version}-${hash}`;
}

/**
 * The folder of the migrated template for `migrations` in `cache`, made first when there is none
 * (PGlite creates a cluster, the migrations run, PGlite closes it; then it is renamed into place,
 * so a folder under a template's name is always complete). Throws when it cannot be made.
 */
export async function migratedTemplate(
  cache: string,
  migrations: Record<string, Migration> = allMigrations,
): Promise<string> {
  const folder = join(cache, await templateName(migrations));
  if (existsSync(join(folder, 'PG_VERSION'))) {
    // Marks it recently used, for pruning.
    const now = new Date();
    utimesSync(folder, now, now);
    return folder;
  }
  mkdirSync(cache, { recursive: true });
  const staging = join(cache, `.making-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const [{ PGlite, options }, { PGliteDialect }] = await Promise.all([
      loadPGliteEngine(),
      import('kysely-pglite-dialect'),
    ]);
    const pglite = await PGlite.create(staging, options);
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    try {
      await migrateToLatest(db, migrations);
    } finally {
      await db.destroy();
    }
    try {
      renameSync(staging, folder);
    } catch (error) {
      // Another process made the same template meanwhile: theirs is as good.
      if (!existsSync(join(folder, 'PG_VERSION'))) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  pruneTemplates(cache, folder);
  return folder;
}

/** Keeps the most recently used templates; the others go (a process still copying one is long done). */
function pruneTemplates(cache: string, keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  const templates = readdirSync(cache)
    .filter((name) => name.startsWith('pglite-'))
    .map((name) => ({ path: join(cache, name), usedAt: statSync(join(cache, name)).mtimeMs }))
    .sort((a, b) => b.usedAt - a.usedAt);
  for (const { path, usedAt } of templates.slice(KEPT))
    if (path !== keep && usedAt < hourAgo) rmSync(path, { recursive: true, force: true });
}

/**
 * Fills a new data folder (one PGlite has not made a cluster in: no PG_VERSION) with a copy of
 * the template. PG_VERSION is copied last: until it is there PGlite sees no cluster, so a copy
 * cut short is simply made again by the next start.
 */
export function copyTemplate(template: string, dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const marker = join(template, 'PG_VERSION');
  cpSync(template, dataDir, { recursive: true, filter: (source) => source !== marker });
  cpSync(marker, join(dataDir, 'PG_VERSION'));
}
