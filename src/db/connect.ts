import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import { loadPGliteEngine } from './pglite-engine.js';
import { copyTemplate, migratedTemplate } from './pglite-template.js';
import type { Database } from './tables.js';

export type Db = Kysely<Database>;
/** A query function's first argument: the database, or the transaction it must run inside. */
export type DbOrTrx = Kysely<Database> | Transaction<Database>;

export interface StoreOptions {
  /** A Postgres server; when absent the embedded PGlite store in `dataDir` is used. */
  databaseUrl?: string;
  /** Folder of the embedded store; `memory://` keeps it in memory (tests). */
  dataDir: string;
  /** A `dumpDataDir` tarball the embedded store starts from instead of a new cluster (tests). */
  initialData?: Blob;
  /**
   * Where migrated templates are kept (db/pglite-template.ts): a new data folder starts as a copy
   * of one instead of a new cluster. Unset: a new cluster.
   */
  templateCache?: string;
  /**
   * Postgres server only: the server cancels a statement running longer (SQLSTATE 57014, answered
   * 503). PGlite runs statements on the event loop and cannot interrupt one.
   */
  statementTimeoutMs?: number;
  /** Postgres server only: how long a query waits for a pooled connection before failing (503). */
  acquireTimeoutMs?: number;
}

export interface Store {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** The pg pool's counters on a server (for /metrics); none on PGlite. */
  pool?: Pick<import('pg').Pool, 'totalCount' | 'idleCount' | 'waitingCount' | 'options'>;
  close(): Promise<void>;
  /** How the embedded store's data folder came to be; `templateError` says why no template was used. */
  dataFolder?: { from: 'existing' | 'template' | 'new cluster'; templateError?: string };
}

// pg returns bigint (int8) as a string; audit ids are bigserial and stay strings on purpose
// (JS numbers lose precision past 2^53), so no type parser override here.
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    // Loaded lazily too: the embedded store never needs the pg driver.
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 10,
      connectionTimeoutMillis: options.acquireTimeoutMs ?? 5_000,
      ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', pool, close: () => db.destroy() };
  }
  // Loaded lazily: a server deployment never pays PGlite's WASM start-up. The engine first: its
  // WASM compiles in the background while this caller goes on (see loadPGliteEngine).
  const [{ PGlite, options: engineOptions }, { PGliteDialect }, dataFolder] = await Promise.all([
    loadPGliteEngine(),
    import('kysely-pglite-dialect'),
    prepareDataFolder(options),
  ]);
  const pglite = await PGlite.create(options.dataDir, {
    ...engineOptions,
    ...(options.initialData && { loadDataDir: options.initialData }),
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, kind: 'pglite', close: () => db.destroy(), dataFolder };
}

/** Creates the data folder; a new one is filled from the migrated template when there is a cache of them. */
async function prepareDataFolder(options: StoreOptions): Promise<Store['dataFolder']> {
  if (options.dataDir.startsWith('memory://')) return undefined;
  mkdirSync(options.dataDir, { recursive: true });
  // PGlite's own test: a folder with PG_VERSION holds a cluster.
  if (existsSync(join(options.dataDir, 'PG_VERSION'))) return { from: 'existing' };
  if (!options.templateCache || options.initialData) return { from: 'new cluster' };
  let template: string;
  try {
    template = await migratedTemplate(options.templateCache);
  } catch (error) {
    // No template (say, a read-only node_modules): PGlite creates the cluster, as without one.
    return { from: 'new cluster', templateError: error instanceof Error ? error.message : String(error) };
  }
  // A failure here is the data folder's (not writable, full): reported as such.
  copyTemplate(template, options.dataDir);
  return { from: 'template' };
}
