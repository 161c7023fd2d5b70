import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type Migration, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrations } from '../db/migrations/index.js';
import { type Db, openStore, type Store } from '../src/db/connect.js';
import { isMigrated, migrateToLatest } from '../src/db/migrate.js';
import { migratedTemplate, pgliteVersion, templateName } from '../src/db/pglite-template.js';

// The embedded store's data folders, whichever store the rest of the suite runs on.
const root = mkdtempSync(join(tmpdir(), 'pglite-template-'));
const opened: Store[] = [];
let reference: string[];

async function open(dataDir: string, templateCache: string): Promise<Store> {
  const store = await openStore({ dataDir: join(root, dataDir), templateCache });
  opened.push(store);
  return store;
}

/** Everything the migrations made, as comparable lines: columns, indexes, constraints, triggers, functions, sequences, migrations run. */
async function schemaOf(db: Db): Promise<string[]> {
  const { rows } = await sql<{ line: string }>`
    select 'column ' || table_name || '.' || column_name || ' ' || concat_ws(' ', data_type, is_nullable, column_default) as line
      from information_schema.columns where table_schema = 'public'
    union all select 'index ' || indexname || ' ' || indexdef from pg_indexes where schemaname = 'public'
    union all select 'constraint ' || conrelid::regclass || '.' || conname || ' ' || pg_get_constraintdef(oid)
      from pg_constraint where connamespace = 'public'::regnamespace
    union all select 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
    union all select 'function ' || proname || ' ' || pg_get_functiondef(oid) from pg_proc
      where pronamespace = 'public'::regnamespace and prokind = 'f'
    union all select 'sequence ' || sequence_name || ' ' || data_type from information_schema.sequences
      where sequence_schema = 'public'
    union all select 'migration ' || name from kysely_migration
    order by 1`.execute(db);
  return rows.map((r) => r.line);
}

async function executedMigrations(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}

beforeAll(async () => {
  // Migrated from scratch: a new cluster and every migration (the global set-up's dump of
  // exactly that on embedded runs; made here on server runs).
  const dump = inject('pgliteDumps')?.migrated;
  const store = await openStore({
    dataDir: 'memory://',
    initialData: dump ? new Blob([readFileSync(dump)]) : undefined,
  });
  opened.push(store);
  await migrateToLatest(store.db);
  reference = await schemaOf(store.db);
  expect(reference.filter((line) => line.startsWith('migration ')).length).toBe(Object.keys(migrations).length);
}, 120_000);

afterAll(async () => {
  for (const store of opened) await store.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a new embedded data folder starts from a migrated template', () => {
  const cache = join(root, 'cache');

  it('makes the template once; folders started from it have the schema and migrations of one migrated from scratch, and no rows', async () => {
    const first = await open('a', cache);
    expect(first.dataFolder).toEqual({ from: 'template' });
    // Migrated before migrateToLatest runs (a no-op then).
    expect(await schemaOf(first.db)).toEqual(reference);
    await migrateToLatest(first.db);
    expect(await schemaOf(first.db)).toEqual(reference);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from tenants`.execute(first.db);
    expect(rows[0].n).toBe(0);

    const name = await templateName();
    expect(readdirSync(cache)).toEqual([name]);
    const made = statSync(join(cache, name)).ino;

    const second = await open('b', cache);
    expect(second.dataFolder).toEqual({ from: 'template' });
    expect(await schemaOf(second.db)).toEqual(reference);
    // The same folder, not made again.
    expect(readdirSync(cache)).toEqual([name]);
    expect(statSync(join(cache, name)).ino).toBe(made);

    // Folders are copies: a write in one is in neither the other nor the template.
    await sql`insert into tenants (name, tier, industry) values ('only in b', 'PRO', 'financial')`.execute(second.db);
    const third = await open('c', cache);
    const { rows: inThird } = await sql<{ n: number }>`select count(*)::int as n from tenants`.execute(third.db);
    expect(inThird[0].n).toBe(0);
  }, 180_000);

  it('copies again into a folder whose copy was cut short (no PG_VERSION yet)', async () => {
    const template = join(cache, await templateName());
    const dataDir = join(root, 'cut-short');
    cpSync(template, dataDir, { recursive: true, filter: (source) => basename(source) !== 'PG_VERSION' });
    writeFileSync(join(dataDir, 'secrets.key'), 'kept');
    const store = await open('cut-short', cache);
    expect(store.dataFolder).toEqual({ from: 'template' });
    expect(await schemaOf(store.db)).toEqual(reference);
    // The gateway's own files in the folder stay.
    expect(readFileSync(join(dataDir, 'secrets.key'), 'utf8')).toBe('kept');
  }, 120_000);

  it('opens a folder that holds a cluster as it is', async () => {
    const store = await open('a-again', cache);
    await store.close();
    opened.splice(opened.indexOf(store), 1);
    const again = await open('a-again', cache);
    expect(again.dataFolder).toEqual({ from: 'existing' });
  }, 120_000);
});

describe('a stale template is never used', () => {
  const names = Object.keys(migrations).sort();
  const withoutLast: Record<string, Migration> = Object.fromEntries(names.slice(0, -1).map((n) => [n, migrations[n]]));

  it('names a template by the PGlite version and the SQL of every migration', async () => {
    const current = await templateName();
    expect(current).toMatch(new RegExp(`^pglite-${pgliteVersion().replace(/\./g, '\\.')}-[0-9a-f]{16}$`));
    expect(await templateName({ ...migrations })).toBe(current);
    expect(await templateName(withoutLast)).not.toBe(current);
    // The same names, one migration doing something else: another template.
    const last = names[names.length - 1];
    const changed: Migration = {
      up: async (db) => {
        await migrations[last].up(db);
        await sql`create index stale_probe on tenants (name)`.execute(db);
      },
    };
    expect(await templateName({ ...migrations, [last]: changed })).not.toBe(current);
  });

  it('a template made for another migration list is not used: a current one is made and used', async () => {
    const cache = join(root, 'stale-cache');
    const stale = await migratedTemplate(cache, withoutLast);
    const store = await open('from-stale-cache', cache);
    expect(store.dataFolder).toEqual({ from: 'template' });
    // Every migration run before migrateToLatest: the copy is of a current template, not the stale one.
    expect(await executedMigrations(store.db)).toEqual(names);
    expect(await schemaOf(store.db)).toEqual(reference);
    expect(readdirSync(cache).sort()).toEqual([basename(stale), await templateName()].sort());
  }, 240_000);

  it('with no template to be had, the folder gets a new cluster and the migrations, as without a cache', async () => {
    const notAFolder = join(root, 'not-a-folder');
    writeFileSync(notAFolder, '');
    const store = await open('no-cache', notAFolder);
    expect(store.dataFolder).toMatchObject({
      from: 'new cluster',
      templateError: expect.stringMatching(/EEXIST|ENOTDIR/),
    });
    expect(await isMigrated(store.db)).toBe(false);
    await migrateToLatest(store.db);
    expect(await schemaOf(store.db)).toEqual(reference);
  }, 180_000);
});
