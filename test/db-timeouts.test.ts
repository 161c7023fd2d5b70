import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../src/config.js';
import { openStore, type Store } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { isDatabaseUnavailable } from '../src/errors/domain-error.js';
import { type App, createApp } from '../src/yoga.js';
import { gql } from './helpers/graphql.js';
import { createTestDatabase, PLATFORM_KEY } from './helpers/world.js';

/**
 * Slow, not stuck (Postgres server only: PGlite runs each statement on the event loop and
 * cannot cancel one, see src/db/connect.ts): a statement past DB_STATEMENT_TIMEOUT_MS and a
 * wait for a connection past DB_ACQUIRE_TIMEOUT_MS both answer 503.
 */
const serverUrl = process.env.TEST_DATABASE_URL;

describe.runIf(serverUrl)('database timeouts', () => {
  let store: Store;
  let app: App;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase(serverUrl!);
    drop = database.drop;
    store = await openStore({
      databaseUrl: database.url,
      dataDir: 'memory://',
      statementTimeoutMs: 2_500,
      acquireTimeoutMs: 1_000,
    });
    await migrateToLatest(store.db);
    const config: AppConfig = {
      port: 0,
      databaseUrl: database.url,
      dataDir: 'memory://',
      platformAdminKey: PLATFORM_KEY,
      secretsKey: randomBytes(32),
      origin: 'http://localhost:0',
      corsOrigins: [],
      settingsEnv: {},
      retentionSweepIntervalMs: 0,
      rateLimits: { enabled: false },
      dbStatementTimeoutMs: 2_500,
      dbAcquireTimeoutMs: 1_000,
      http: { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 },
    };
    app = createApp({ db: store.db, config, logger: pino({ level: 'silent' }) });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('cancels a statement past the statement timeout, as unavailable (503)', async () => {
    const error = await sql`select pg_sleep(5)`.execute(store.db).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('57014');
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('answers 503 when no pooled connection frees up within the acquire timeout, and /health stays fast', async () => {
    // Ten open connections first (opening one counts against the acquire timeout too).
    for (let attempt = 0; attempt < 20; attempt++) {
      const opened = await Promise.allSettled(
        Array.from({ length: 10 }, () => sql`select pg_sleep(0.05)`.execute(store.db)),
      );
      if (opened.every((o) => o.status === 'fulfilled')) break;
    }
    // Ten slow statements (2 s, under the statement timeout) hold the whole pool.
    const holders = Array.from({ length: 10 }, () => sql`select pg_sleep(2)`.execute(store.db));
    await new Promise((r) => setTimeout(r, 20));
    const res = await app.fetch(
      new Request('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${PLATFORM_KEY}` },
        body: JSON.stringify({ query: gql`{ tenants { nodes { id } } }` }),
      }),
    );
    const started = performance.now();
    expect((await app.fetch(new Request('http://gateway.test/health'))).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(200);
    await Promise.all(holders);
    expect(res.status).toBe(503);
    expect((await res.json()).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
  });
});
