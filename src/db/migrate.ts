import { type Migration, Migrator, sql } from 'kysely';
import { migrations as allMigrations } from '../../db/migrations/index.js';
import type { Db } from './connect.js';

/**
 * The migrations this database has run, by name; empty when it has run none. Two plain reads: the
 * Migrator's own check of its tables introspects every table of the database, which costs a
 * few hundred milliseconds on PGlite at every start.
 */
async function executedMigrationNames(db: Db): Promise<Set<string>> {
  const { rows } = await sql<{
    present: boolean;
  }>`select to_regclass('kysely_migration') is not null as present`.execute(db);
  if (!rows[0]?.present) return new Set();
  const executed = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  return new Set(executed.rows.map((r) => r.name));
}

/**
 * Runs every pending migration; a failure stops the start loudly. When the database has run
 * exactly the listed migrations there is nothing to do and the Migrator is not started; anything
 * else (pending ones, or ones this code does not know) goes through it, which applies or refuses.
 */
export async function migrateToLatest(db: Db, migrations: Record<string, Migration> = allMigrations): Promise<void> {
  const executed = await executedMigrationNames(db);
  const names = Object.keys(migrations);
  if (executed.size === names.length && names.every((name) => executed.has(name))) return;
  const provider = { getMigrations: async () => migrations };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`, {
      cause: error,
    });
  }
}

/** True when the database answers and no migration is pending. */
export async function isMigrated(db: Db): Promise<boolean> {
  const executed = await executedMigrationNames(db);
  return Object.keys(allMigrations).every((name) => executed.has(name));
}
