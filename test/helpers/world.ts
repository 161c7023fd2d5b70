import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import pg from 'pg';
import pino from 'pino';
import { inject } from 'vitest';
import type { AppConfig, RateLimitConfig } from '../../src/config.js';
import { openStore, type Store } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { RoleName, TierName } from '../../src/db/tables.js';
import { type App, createApp } from '../../src/yoga.js';
import { gql, type Operation } from './graphql.js';
import { QueryCounter } from './query-counter.js';

export const PLATFORM_KEY = 'platform-admin-test-key-' + randomBytes(8).toString('hex');

/** A movable clock: tests expire things by moving it, never by sleeping. */
export class TestClock {
  private offsetMs = 0;
  now = () => new Date(Date.now() + this.offsetMs);
  advance(ms: number) {
    this.offsetMs += ms;
  }
}

export type Transport = 'bearer' | 'x-api-key' | 'query';
export const TRANSPORTS: Transport[] = ['bearer', 'x-api-key', 'query'];

export interface World {
  app: App;
  store: Store;
  clock: TestClock;
  /** Every log line the app wrote, as parsed JSON. */
  logLines: () => Record<string, unknown>[];
  /** Raw text of every log line (for canary searches). */
  logText: () => string;
  config: AppConfig;
  /** Sends a request through the app (no port), the key on the chosen transport. */
  request(path: string, init?: RequestInit & { key?: string; transport?: Transport }): Promise<Response>;
  /** POST /graphql; returns status, body and headers (`data` typed by a gql<T>`…` operation). */
  gql<T = any>(
    query: Operation<T> | string,
    variables?: Record<string, unknown>,
    key?: string,
    transport?: Transport,
  ): Promise<{ status: number; body: { data?: T; errors?: any }; headers: Headers }>;
  createTenantWithKeys(options?: { name?: string; tier?: TierName; industry?: string }): Promise<TestTenant>;
  /** A new key of the tenant (created by `by`, the platform admin by default): the key, shown once, and its id. */
  createApiKey(tenantId: string, role: RoleName, by?: string): Promise<{ key: string; id: string }>;
  /**
   * SQL statements the app ran since the last reset (every request, the key lookup included);
   * only with `createWorld({ countQueries: true })`, otherwise it throws.
   */
  queryCount(): number;
  /** The statements behind `queryCount()`, e.g. "select tenants" (for failure messages). */
  queryLog(): string[];
  resetQueryCount(): void;
  close(): Promise<void>;
}

export interface TestTenant {
  id: string;
  name: string;
  keys: Record<RoleName, string>;
  keyIds: Record<RoleName, string>;
}

/** A request to the app under test (`http://gateway.test` + path), the key on the chosen transport. */
export function buildRequest(path: string, init: RequestInit & { key?: string; transport?: Transport } = {}): Request {
  const { key, transport = 'bearer', ...rest } = init;
  const headers = new Headers(rest.headers);
  let url = 'http://gateway.test' + path;
  if (key) {
    if (transport === 'bearer') headers.set('authorization', `Bearer ${key}`);
    else if (transport === 'x-api-key') headers.set('x-api-key', key);
    else url += (url.includes('?') ? '&' : '?') + 'api_key=' + encodeURIComponent(key);
  }
  return new Request(url, { ...rest, headers });
}

/**
 * POST /graphql to `app`, as if from `remoteAddress` (the node server puts its request in the
 * server context): for the per-address limits, which `World.gql` cannot reach.
 */
export async function graphqlFrom<T = any>(
  app: App,
  query: Operation<T> | string,
  variables: Record<string, unknown> = {},
  key?: string,
  remoteAddress?: string,
): Promise<{ status: number; body: { data?: T; errors?: any }; headers: Headers }> {
  const request = buildRequest('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    key,
  });
  const res = await app.fetch(request, remoteAddress ? { req: { socket: { remoteAddress } } } : {});
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** A new, empty database on the TEST_DATABASE_URL server; `drop` removes it (forcing out clients). */
export async function createTestDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = 'test_' + randomUUID().replace(/-/g, '');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = '/' + name;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface TestStore {
  store: Store;
  /** Set when the store is a database on the TEST_DATABASE_URL server. */
  databaseUrl?: string;
  /** Closes the store (if still open) and drops its database. */
  dispose(): Promise<void>;
}

/**
 * A fresh store of the kind under test: PGlite in memory, or, when TEST_DATABASE_URL is set, a
 * new database on that server. Empty and un-migrated, except that PGlite starts `migrated` when
 * asked (the caller still runs migrateToLatest: a no-op then). PGlite loads a dump the global
 * set-up made once (test/helpers/global-setup.ts), several times cheaper than a new cluster.
 */
export async function openTestStore(options: { migrated?: boolean } = {}): Promise<TestStore> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  const dumps = serverUrl ? undefined : inject('pgliteDumps');
  const dumpFile = options.migrated ? dumps?.migrated : dumps?.empty;
  const database = serverUrl ? await createTestDatabase(serverUrl) : undefined;
  const initialData = dumpFile ? new Blob([await readFile(dumpFile)]) : undefined;
  const store = await openStore({ databaseUrl: database?.url, dataDir: 'memory://', initialData });
  let closed = false;
  const close = store.close;
  store.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  return {
    store,
    databaseUrl: database?.url,
    dispose: async () => {
      await store.close();
      await database?.drop();
    },
  };
}

export interface WorldOptions {
  env?: Record<string, string>;
  publicBaseUrl?: string;
  /**
   * Rate limits are off by default in test worlds (other files fire 50 concurrent writes);
   * `true` turns on the production limits, an object sets them (e.g. `{ enabled: true, scale: 0.1 }`).
   */
  rateLimits?: boolean | RateLimitConfig;
  /** Counts the rate limits in this Redis instead of in the process. */
  redisUrl?: string;
  /** Put before the Redis keys; worlds with the same prefix share one budget. Default: unique per world. */
  redisKeyPrefix?: string;
  /** How long the app's calls wait for that Redis before failing open (default: the store's 500 ms). */
  redisCommandTimeoutMs?: number;
  /**
   * Count the SQL statements the app runs (a Kysely plugin on the app's db handle only: seed
   * helpers that use `world.store.db` directly are not counted). See `queryCount()`.
   */
  countQueries?: boolean;
  /** CORS_ORIGINS. */
  corsOrigins?: string[];
  /** Overrides of the operation limits (src/limits/operation-limits.ts). */
  operationLimits?: AppConfig['operationLimits'];
  /** The heartbeat of streamed REST routes (the OFREP events); default the app's 15 s. */
  streamHeartbeatMs?: number;
}

/**
 * A fresh app on a fresh database: PGlite in memory, or, when TEST_DATABASE_URL is set,
 * a new database on that server (dropped on close). One world per test file.
 */
export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const { store, databaseUrl, dispose } = await openTestStore({ migrated: true });
  // A no-op on the migrated copy; migrates when a file runs without the global set-up.
  await migrateToLatest(store.db);

  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = pino({ level: 'debug', base: undefined }, sink);
  const clock = new TestClock();
  const config: AppConfig = {
    port: 0,
    databaseUrl,
    dataDir: 'memory://',
    platformAdminKey: PLATFORM_KEY,
    secretsKey: randomBytes(32),
    publicBaseUrl: options.publicBaseUrl,
    origin: 'http://localhost:0',
    corsOrigins: options.corsOrigins ?? [],
    dbStatementTimeoutMs: 15_000,
    dbAcquireTimeoutMs: 5_000,
    http: { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000 },
    settingsEnv: options.env ?? {},
    retentionSweepIntervalMs: 0,
    rateLimits: {
      ...(typeof options.rateLimits === 'object' ? options.rateLimits : { enabled: options.rateLimits === true }),
      ...(options.redisUrl && {
        redis: {
          url: options.redisUrl,
          keyPrefix: options.redisKeyPrefix ?? `test-${randomUUID()}:`,
          commandTimeoutMs: options.redisCommandTimeoutMs,
        },
      }),
    },
    operationLimits: options.operationLimits,
  };
  const counter = options.countQueries ? new QueryCounter() : undefined;
  const app = createApp({
    db: counter ? store.db.withPlugin(counter) : store.db,
    config,
    logger,
    now: clock.now,
    streamHeartbeatMs: options.streamHeartbeatMs,
  });
  const requireCounter = () => {
    if (!counter) throw new Error('createWorld({ countQueries: true }) is needed to count queries');
    return counter;
  };

  const request: World['request'] = (path, init = {}) => Promise.resolve(app.fetch(buildRequest(path, init)));

  const sendGql: World['gql'] = async (query, variables, key, transport) => {
    const res = await request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query, variables }),
      key,
      transport,
    });
    return { status: res.status, body: await res.json(), headers: res.headers };
  };

  const createApiKey: World['createApiKey'] = async (tenantId, role, by = PLATFORM_KEY) => {
    const res = await sendGql(
      gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }`,
      { input: { tenantId, role } },
      by,
    );
    if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
    return { key: res.body.data.createApiKey.key, id: res.body.data.createApiKey.apiKey.id };
  };

  const createTenantWithKeys: World['createTenantWithKeys'] = async (opts = {}) => {
    const created = await sendGql(
      gql`mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id name } } }`,
      {
        input: {
          name: opts.name ?? 'Tenant ' + randomUUID().slice(0, 8),
          tier: opts.tier ?? 'PRO',
          industry: opts.industry ?? null,
        },
      },
      PLATFORM_KEY,
    );
    if (created.body.errors) throw new Error(JSON.stringify(created.body.errors));
    const tenant = created.body.data.createTenant.tenant;
    const keys = {} as Record<RoleName, string>;
    const keyIds = {} as Record<RoleName, string>;
    for (const role of ['VIEWER', 'OPERATOR', 'ADMIN'] as const) {
      const created = await createApiKey(tenant.id, role);
      keys[role] = created.key;
      keyIds[role] = created.id;
    }
    return { id: tenant.id, name: tenant.name, keys, keyIds };
  };

  return {
    app,
    store,
    clock,
    config,
    logLines: () => lines.map((l) => JSON.parse(l)),
    logText: () => lines.join('\n'),
    request,
    gql: sendGql,
    createTenantWithKeys,
    createApiKey,
    queryCount: () => requireCounter().count(),
    queryLog: () => requireCounter().queries(),
    resetQueryCount: () => requireCounter().reset(),
    close: async () => {
      await app.dispose();
      await dispose();
    },
  };
}
