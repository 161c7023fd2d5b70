import { createServer } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/connect.js';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createApp } from '../src/yoga.js';
import { gql } from './helpers/graphql.js';
import { buildRequest, createWorld, openTestStore, PLATFORM_KEY, type TestStore, type World } from './helpers/world.js';

let world: World;
let tenantKey: string;
const extraStores: TestStore[] = [];

beforeAll(async () => {
  world = await createWorld();
  tenantKey = (await world.createTenantWithKeys()).keys.VIEWER;
});
afterAll(async () => {
  for (const s of extraStores) await s.dispose();
  await world.close();
});

/** The same app (config, schema, plugins) over another database handle. */
function appOver(db: Db) {
  const app = createApp({ db, config: world.config, logger: pino({ level: 'silent' }) });
  return {
    get: (path: string) => app.fetch(buildRequest(path)),
    gql: async (query: string, key: string) => {
      const res = await app.fetch(
        buildRequest('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
          key,
        }),
      );
      return { status: res.status, body: await res.json() };
    },
  };
}

/** A store of the kind under test, migrated and then closed: the database is gone. */
async function closedStore(): Promise<Db> {
  const s = await openTestStore({ migrated: true });
  extraStores.push(s);
  await migrateToLatest(s.store.db);
  await s.store.close();
  return s.store.db;
}

/** A `pg` store pointed at a loopback port nobody listens on. */
async function unreachableServerStore(): Promise<Db> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
  const store = await openStore({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/nothing`, dataDir: 'unused' });
  extraStores.push({ store, dispose: () => store.close() });
  return store.db;
}

describe('/health and /ready on a migrated store', () => {
  it('/health answers 200', async () => {
    const res = await world.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/ready answers 200', async () => {
    const res = await world.request('/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe.each([
  ['a closed store of the kind under test', closedStore],
  ['a Postgres server on a closed port', unreachableServerStore],
])('database unreachable: %s', (_label, makeDb) => {
  let app: ReturnType<typeof appOver>;
  beforeAll(async () => {
    app = appOver(await makeDb());
  });

  it('/health still answers 200 (it never touches the database)', async () => {
    expect((await app.get('/health')).status).toBe(200);
  });

  it('/ready answers 503', async () => {
    const res = await app.get('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', reason: 'database unreachable' });
  });

  it('GraphQL answers 503 SERVICE_UNAVAILABLE when the key cannot be checked', async () => {
    const res = await app.gql(gql`{ me { role } }`, tenantKey);
    expect(res.status).toBe(503);
    expect(res.body.errors.map((e: any) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
  });

  it('GraphQL answers 503 SERVICE_UNAVAILABLE when a resolver cannot read', async () => {
    // The platform key is checked without the database; listing tenants then fails.
    const res = await app.gql(gql`{ tenants { nodes { id } } }`, PLATFORM_KEY);
    expect(res.status).toBe(503);
    expect(res.body.errors.map((e: any) => e.extensions.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|destroyed|stack/i);
  });
});

describe('migrations pending', () => {
  // Opened in a hook: its time counts against the hook timeout, not the test's.
  let s: TestStore;
  beforeAll(async () => {
    s = await openTestStore();
    extraStores.push(s);
  });

  it('/ready answers 503 on a fresh, un-migrated store', async () => {
    const app = appOver(s.store.db);
    const res = await app.get('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable', reason: 'migrations pending' });

    await migrateToLatest(s.store.db);
    expect((await app.get('/ready')).status).toBe(200);
  });
});
