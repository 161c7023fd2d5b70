import { type MigrationProvider, Migrator } from 'kysely';
import { migrations } from '../../db/migrations/index.js';
import type { Db } from './connect.js';

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Runs every pending migration; a failure stops the start loudly. */
export async function migrateToLatest(db: Db): Promise<void> {
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
  const all = await new Migrator({ db, provider }).getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
