/**
 * What one test file pays for its store, the old way (a new PGlite cluster or an empty server
 * database, then the migrations) and the new way (a load of the migrated dump, or a copy of a
 * migrated template database). Run: `npx tsx bench/test-store-setup.ts [rounds]`, with
 * TEST_DATABASE_URL set for the server store.
 */
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Database } from '../src/db/tables.js';

const rounds = Number(process.argv[2] ?? 3);
const serverUrl = process.env.TEST_DATABASE_URL;

async function timed(label: string, run: () => Promise<void>) {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await run();
    ms.push(performance.now() - start);
  }
  console.log(`${label}: ${ms.map((m) => (m / 1000).toFixed(2)).join(' s, ')} s`);
}

async function onServer(sql: string) {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  await c.query(sql);
  await c.end();
}
const urlOf = (name: string) => Object.assign(new URL(serverUrl!), { pathname: '/' + name }).toString();

if (serverUrl) {
  const template = 'bench_template_' + randomUUID().replace(/-/g, '');
  await onServer(`create database ${template}`);
  const t = await openStore({ databaseUrl: urlOf(template), dataDir: 'unused' });
  await migrateToLatest(t.db);
  await t.close();
  const fresh = async (sql: (name: string) => string, migrate: boolean) => {
    const name = 'bench_' + randomUUID().replace(/-/g, '');
    await onServer(sql(name));
    const store = await openStore({ databaseUrl: urlOf(name), dataDir: 'unused' });
    if (migrate) await migrateToLatest(store.db);
    await store.db.selectFrom('tenants').select('id').execute();
    await store.close();
    await onServer(`drop database ${name} with (force)`);
  };
  await timed('server: empty database + migrations', () => fresh((n) => `create database ${n}`, true));
  await timed('server: copy of the migrated template', () =>
    fresh((n) => `create database ${n} template ${template}`, false),
  );
  await onServer(`drop database ${template} with (force)`);
} else {
  const pglite = await PGlite.create('memory://');
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  await migrateToLatest(db);
  const dump = await pglite.dumpDataDir('none');
  await db.destroy();
  await timed('pglite: new cluster + migrations', async () => {
    const store = await openStore({ dataDir: 'memory://' });
    await migrateToLatest(store.db);
    await store.close();
  });
  await timed('pglite: load of the migrated dump', async () => {
    const store = await openStore({ dataDir: 'memory://', initialData: dump });
    await store.db.selectFrom('tenants').select('id').execute();
    await store.close();
  });
}
