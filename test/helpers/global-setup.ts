import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/tables.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `dumpDataDir` tarballs of a new PGlite store, before and after every migration (embedded runs). */
    pgliteDumps?: { empty: string; migrated: string };
  }
}

/**
 * Runs once per `vitest run`, before any test file: creates one PGlite store, dumps it, applies
 * the real migrations (so a newly added migration is in it), dumps it again, and hands both
 * dumps to every file through `inject()`. Creating a PGlite cluster costs seconds; loading a dump of one is several
 * times cheaper (bench/test-store-setup.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // On a server, an empty database plus the migrations is as cheap as a copy of a migrated
  // template (~1 s either way, bench/test-store-setup.ts): nothing to prepare.
  if (process.env.TEST_DATABASE_URL) return async () => {};
  // TEST_PGLITE_FRESH=1: no dump, every file creates and migrates its own PGlite (the old set-up,
  // kept to measure against: see the README's "Development").
  if (process.env.TEST_PGLITE_FRESH === '1') return async () => {};

  // The same store openStore makes, built here because the dump needs the PGlite handle.
  const pglite = await PGlite.create('memory://');
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  const folder = await mkdtemp(join(tmpdir(), 'pglite-dump-'));
  const dumps = { empty: join(folder, 'empty.tar'), migrated: join(folder, 'migrated.tar') };
  const dumpTo = async (file: string) =>
    writeFile(file, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  try {
    await dumpTo(dumps.empty);
    await migrateToLatest(db);
    await dumpTo(dumps.migrated);
  } finally {
    await db.destroy();
  }
  project.provide('pgliteDumps', dumps);
  return () => rm(folder, { recursive: true, force: true });
}
