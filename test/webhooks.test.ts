import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '../src/auth/secret-box.js';
import { openStore, type Store } from '../src/db/connect.js';
import {
  createWebhookDeliverer,
  MAX_RESPONSE_BYTES,
  type WebhookDeliverer,
} from '../src/services/webhook-deliverer.js';
import { type App, createApp } from '../src/yoga.js';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { rest } from './helpers/rest.js';
import { startReceiver, verifyStandardWebhook } from './helpers/webhook-receiver.js';
import { buildRequest, createWorld, type TestTenant, type World } from './helpers/world.js';

// Signed webhooks through the transactional outbox, on the store under test: a local receiver on
// loopback (allowed here as WEBHOOKS_ALLOW_PRIVATE=1 would), a deliverer driven by the test's
// clock (no sleeping), signatures checked with the test's own Standard Webhooks verifier.

const logger = pino({ level: 'silent' });
let world: World;
/** The app with WEBHOOKS_ALLOW_PRIVATE=1 (the world's own refuses private endpoints). */
let app: App;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let deliverer: WebhookDeliverer;
let t: TestTenant;
const secret = 'whsec_' + randomBytes(24).toString('base64');

async function ask(query: string, variables: Record<string, unknown>, key: string) {
  const res = await app.fetch(
    buildRequest('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
      key,
    }),
  );
  return (await res.json()) as { data?: any; errors?: any[] };
}
async function ok(query: string, variables: Record<string, unknown>, key: string) {
  const body = await ask(query, variables, key);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
const configure = (webhooks: Record<string, unknown>, tenant = t) =>
  ok(Q.updateAdminSettings, { input: { webhooks } }, tenant.keys.ADMIN);
const setCache = (mb: number, tenant = t) =>
  ok(Q.updateTenantConfig, { input: { performance: { cache_size_mb: mb } } }, tenant.keys.OPERATOR);
const deliveriesOf = (tenant = t) =>
  world.store.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .orderBy('created_at')
    .execute();
const DELIVERIES = gql`query($id: ID!, $first: Int, $after: String) { tenant(id: $id) { webhookDeliveries(first: $first, after: $after) {
  nodes { id endpoint event cursor status attempts lastStatus lastError nextAttemptAt deliveredAt createdAt } pageInfo { endCursor hasNextPage } } } }`;

function newDeliverer(options: { allowPrivate?: boolean; store?: Store } = {}) {
  return createWebhookDeliverer({
    db: (options.store ?? world.store).db,
    logger,
    settingsEnv: {},
    secrets: createSecretBox(world.config.secretsKey),
    allowPrivate: options.allowPrivate ?? true,
    now: world.clock.now,
    random: () => 0.5,
  });
}

beforeAll(async () => {
  world = await createWorld();
  app = createApp({
    db: world.store.db,
    config: { ...world.config, webhooks: { allowPrivate: true, deliveryIntervalMs: 0 } },
    logger,
    now: world.clock.now,
  });
  receiver = await startReceiver();
  deliverer = newDeliverer();
  t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
  await ok(Q.updateTenantSettings, { input: { webhookSigningSecret: secret } }, t.keys.ADMIN);
  await configure({
    enabled: true,
    endpoints: [{ url: receiver.url(), events: ['config.update'] }],
    retry: { max_attempts: 5, backoff_seconds: 30 },
    timeout_seconds: 5,
  });
});
afterAll(async () => {
  await receiver?.close();
  await app?.dispose();
  await world?.close();
});
beforeEach(async () => {
  // Nothing left due from an earlier case.
  await deliverer.deliverDue();
  receiver.received.length = 0;
  receiver.script([]);
});

describe('the outbox', () => {
  it("queues one row per subscribed endpoint in the change's transaction; the deliverer POSTs it signed (Standard Webhooks)", async () => {
    const before = (await deliveriesOf()).length;
    const write = await setCache(1111);
    const rows = await deliveriesOf();
    expect(rows).toHaveLength(before + 1);
    const row = rows[rows.length - 1];
    expect(row).toMatchObject({ status: 'pending', event: 'config.update', endpoint: receiver.url(), attempts: 0 });
    expect(receiver.received).toHaveLength(0);

    // The clock follows real time: the stamp is the second the delivery was signed in.
    const sendingFrom = Math.floor(world.clock.now().getTime() / 1000);
    expect(await deliverer.deliverDue()).toBe(1);
    const sendingUntil = Math.floor(world.clock.now().getTime() / 1000);
    expect(receiver.received).toHaveLength(1);
    const { headers, body } = receiver.received[0];
    expect(verifyStandardWebhook(secret, headers, body)).toBe(true);
    expect(verifyStandardWebhook('whsec_' + randomBytes(24).toString('base64'), headers, body)).toBe(false);
    expect(headers['webhook-id']).toBe(row.id);
    expect(headers['webhook-timestamp']).toMatch(/^\d+$/);
    expect(Number(headers['webhook-timestamp'])).toBeGreaterThanOrEqual(sendingFrom);
    expect(Number(headers['webhook-timestamp'])).toBeLessThanOrEqual(sendingUntil);
    expect(headers['content-type']).toBe('application/json');
    const sent = JSON.parse(body);
    expect(sent).toEqual({
      id: row.id,
      type: 'config.update',
      tenant_id: t.id,
      created_at: row.created_at.toISOString(),
      data: {
        cursor: String(row.cursor),
        document: 'TENANT_CONFIG',
        version: write.updateTenantConfig.version,
        paths: ['config.performance.cache_size_mb'],
        actor: { key_id: t.keyIds.OPERATOR, role: 'OPERATOR' },
      },
    });
    const log = await ok(DELIVERIES, { id: t.id, first: 1 }, t.keys.VIEWER);
    expect(log.tenant.webhookDeliveries.nodes[0]).toMatchObject({
      id: row.id,
      endpoint: receiver.url(),
      event: 'config.update',
      status: 'delivered',
      attempts: 1,
      lastStatus: 200,
      nextAttemptAt: null,
    });
    expect(log.tenant.webhookDeliveries.nodes[0].deliveredAt).not.toBeNull();
  });

  it('a changed secret signs later deliveries (a plain secret keys by its UTF-8 bytes)', async () => {
    const plain = 'plain-secret-' + randomBytes(8).toString('hex');
    await setCache(1200);
    await ok(Q.updateTenantSettings, { input: { webhookSigningSecret: plain } }, t.keys.ADMIN);
    await deliverer.deliverDue();
    expect(receiver.received).toHaveLength(1);
    expect(verifyStandardWebhook(plain, receiver.received[0].headers, receiver.received[0].body)).toBe(true);
    expect(verifyStandardWebhook(secret, receiver.received[0].headers, receiver.received[0].body)).toBe(false);
    expect(receiver.received[0].body).not.toContain(plain);
    await ok(Q.updateTenantSettings, { input: { webhookSigningSecret: secret } }, t.keys.ADMIN);
  });

  it('queues only subscribed events (`*`: all), nothing when webhooks are disabled or no secret is set; a rolled-back write queues nothing', async () => {
    const u = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    await configure(
      {
        enabled: true,
        endpoints: [
          { url: receiver.url('/all'), events: ['*'] },
          { url: receiver.url('/flags'), events: ['feature_flag.update'] },
        ],
      },
      u,
    );
    await setCache(1300, u);
    expect(await deliveriesOf(u)).toHaveLength(0); // no signing secret yet
    await ok(Q.updateTenantSettings, { input: { webhookSigningSecret: secret } }, u.keys.ADMIN);
    const afterSecret = (await deliveriesOf(u)).length; // the secret's own settings.update, to `*`
    expect(afterSecret).toBe(1);
    await setCache(1301, u);
    await ok(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, u.keys.ADMIN);
    const rows = await deliveriesOf(u);
    expect(
      rows
        .slice(afterSecret)
        .map((r) => [r.event, new URL(r.endpoint).pathname])
        .sort(),
    ).toEqual(
      [
        ['config.update', '/all'],
        ['feature_flag.update', '/all'],
        ['feature_flag.update', '/flags'],
      ].sort(),
    );
    // A refused write (stale version) rolls back with its change: no row.
    const stale = await ask(
      Q.updateTenantConfig,
      { input: { performance: { cache_size_mb: 1 } }, v: 0 },
      u.keys.OPERATOR,
    );
    expect(stale.errors?.[0].extensions.code).toBe('CONFLICT');
    expect(await deliveriesOf(u)).toHaveLength(rows.length);
    await configure({ enabled: false }, u);
    await setCache(1302, u);
    await ok(Q.setFeatureFlag, { key: 'ml_features', enabled: false }, u.keys.ADMIN);
    expect(await deliveriesOf(u)).toHaveLength(rows.length);
  });

  it('refuses event names other than the change actions and `*`', async () => {
    const res = await ask(
      Q.updateAdminSettings,
      { input: { webhooks: { endpoints: [{ url: receiver.url(), events: ['scan.completed'] }] } } },
      t.keys.ADMIN,
    );
    expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toContain(
      'webhooks.endpoints [0].events items must be one of: tenant.create, settings.update',
    );
  });
});

describe('retries', () => {
  it('fails 3 times then succeeds: one success, 4 attempts, the same webhook-id, growing delays (backoff doubling, ≤10 % jitter)', async () => {
    receiver.script([{ status: 500, body: 'down' }, { status: 503 }, { status: 502 }, { status: 204 }]);
    await setCache(1400);
    const [row] = (await deliveriesOf()).slice(-1);
    const attemptTimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      attemptTimes.push(world.clock.now().getTime());
      expect(await deliverer.deliverDue()).toBe(1);
      // Not due again until its next attempt time: nothing is sent early.
      expect(await deliverer.deliverDue()).toBe(0);
      const now = await world.store.db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('id', '=', row.id)
        .executeTakeFirstOrThrow();
      if (i < 3) {
        expect(now).toMatchObject({ status: 'pending', attempts: i + 1, last_status: [500, 503, 502][i] });
        const wait = now.next_attempt_at!.getTime() - world.clock.now().getTime();
        const base = 30_000 * 2 ** i;
        expect(wait).toBeGreaterThanOrEqual(base);
        expect(wait).toBeLessThanOrEqual(base * 1.1);
        world.clock.advance(wait);
      } else {
        expect(now).toMatchObject({ status: 'delivered', attempts: 4, last_status: 204, next_attempt_at: null });
      }
    }
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([row.id]));
    expect(receiver.received.every((r) => verifyStandardWebhook(secret, r.headers, r.body))).toBe(true);
    const stamps = receiver.received.map((r) => Number(r.headers['webhook-timestamp']));
    const delays = stamps.slice(1).map((s, i) => s - stamps[i]);
    expect(delays[0]).toBeGreaterThanOrEqual(30);
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(delays[2]).toBeGreaterThan(delays[1]);
  });

  it('gives up after max_attempts retries (status failed, no next attempt); redeliverWebhook (admin) sends it again with the same id', async () => {
    await configure({ retry: { max_attempts: 1, backoff_seconds: 10 } });
    receiver.script([{ status: 500 }, { status: 500 }, { status: 200 }]);
    await setCache(1500);
    const [row] = (await deliveriesOf()).slice(-1);
    await deliverer.deliverDue();
    world.clock.advance(11_001);
    await deliverer.deliverDue();
    world.clock.advance(3_600_000);
    expect(await deliverer.deliverDue()).toBe(0);
    const log = await ok(DELIVERIES, { id: t.id, first: 1 }, t.keys.VIEWER);
    expect(log.tenant.webhookDeliveries.nodes[0]).toMatchObject({
      id: row.id,
      status: 'failed',
      attempts: 2,
      lastStatus: 500,
      nextAttemptAt: null,
      deliveredAt: null,
    });

    const REDELIVER = gql`mutation($id: ID!) { redeliverWebhook(id: $id) { id status attempts } }`;
    expect((await ask(REDELIVER, { id: row.id }, t.keys.OPERATOR)).errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect((await ok(REDELIVER, { id: row.id }, t.keys.ADMIN)).redeliverWebhook).toEqual({
      id: row.id,
      status: 'pending',
      attempts: 0,
    });
    expect(await deliverer.deliverDue()).toBe(1);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([row.id, row.id, row.id]);
    expect(
      (await ok(DELIVERIES, { id: t.id, first: 1 }, t.keys.VIEWER)).tenant.webhookDeliveries.nodes[0],
    ).toMatchObject({ status: 'delivered', attempts: 1 });
    await configure({ retry: { max_attempts: 5, backoff_seconds: 30 } });
  });

  it('follows no redirect, reads at most 64 KB of a response and stores a short excerpt, times out per timeout_seconds', async () => {
    receiver.script([{ status: 302, headers: { location: receiver.url('/elsewhere') } }]);
    await setCache(1600);
    await deliverer.deliverDue();
    expect(receiver.received.map((r) => r.path)).toEqual(['/hook']);
    let [row] = (await deliveriesOf()).slice(-1);
    expect(row).toMatchObject({ status: 'pending', last_status: 302 });

    world.clock.advance(3_600_000);
    receiver.script([{ status: 500, body: Buffer.alloc(MAX_RESPONSE_BYTES * 16, 'x') }]);
    await deliverer.deliverDue();
    [row] = (await deliveriesOf()).slice(-1);
    expect(row.last_status).toBe(500);
    expect(row.last_error!.length).toBeLessThanOrEqual(200);

    await configure({ timeout_seconds: 1 });
    world.clock.advance(3_600_000);
    receiver.script([{ status: 0, hang: true }, { status: 200 }]);
    await deliverer.deliverDue();
    [row] = (await deliveriesOf()).slice(-1);
    expect(row).toMatchObject({ status: 'pending', last_status: null });
    expect(row.last_error).toContain('timed out');
    world.clock.advance(3_600_000);
    await deliverer.deliverDue();
    [row] = (await deliveriesOf()).slice(-1);
    expect(row).toMatchObject({ status: 'delivered', attempts: 4 });
    await configure({ timeout_seconds: 5 });
  });
});

describe('two deliverers (two instances)', () => {
  it('deliver each row once', async () => {
    // On a server the second deliverer has its own connection pool, as another process would.
    const second = world.config.databaseUrl
      ? await openStore({ databaseUrl: world.config.databaseUrl, dataDir: 'memory://' })
      : undefined;
    try {
      const other = newDeliverer({ store: second });
      for (let i = 0; i < 30; i++) await setCache(1700 + i);
      const due = (await deliveriesOf()).filter((r) => r.status === 'pending');
      expect(due.length).toBe(30);
      await Promise.all([deliverer.deliverDue(), other.deliverDue(), deliverer.deliverDue(), other.deliverDue()]);
      const ids = receiver.received.map((r) => r.headers['webhook-id']);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
      expect((await deliveriesOf()).filter((r) => r.status !== 'delivered')).toEqual([]);
    } finally {
      await second?.close();
    }
  });
});

describe('the SSRF guard', () => {
  const REFUSED = [
    'https://127.0.0.1/hook',
    'https://10.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/hook',
    'https://localhost/hook',
    'https://[::ffff:127.0.0.1]/x',
    'https://2130706433/x',
  ];

  it('refuses private, loopback, link-local and metadata endpoints (and http) at write time with a clear 400', async () => {
    // The world's app: WEBHOOKS_ALLOW_PRIVATE is off.
    for (const url of REFUSED) {
      const res = await world.gql(
        Q.updateAdminSettings,
        { input: { webhooks: { endpoints: [{ url, events: ['*'] }] } } },
        t.keys.ADMIN,
      );
      expect(res.status, url).toBe(400);
      expect(res.body.errors[0].extensions.code, url).toBe('BAD_USER_INPUT');
      expect(res.body.errors[0].message, url).toMatch(
        /^webhooks\.endpoints \[0\]\.url must not resolve to a loopback, private, link-local or metadata address/,
      );
      expect(res.body.errors[0].extensions.details[0].path).toBe('webhooks.endpoints');
    }
    const http = await world.gql(
      Q.updateAdminSettings,
      { input: { webhooks: { endpoints: [{ url: 'http://hooks.example.com/in', events: ['*'] }] } } },
      t.keys.ADMIN,
    );
    expect(http.body.errors[0].message).toBe('webhooks.endpoints [0].url must be an https:// URL');
    // The seed 001 REST path answers 400 with the same message.
    const viaRest = await rest(world, 'PUT', '/api/admin/settings/webhooks', {
      key: t.keys.ADMIN,
      body: { endpoints: [{ url: 'https://localhost/x', events: ['*'] }] },
    });
    expect(viaRest.status).toBe(400);
    expect(viaRest.text).toContain('webhooks.endpoints [0].url must not resolve to a loopback');
    // A public-looking name that does not resolve now cannot be checked: accepted (delivery checks again).
    const ok2 = await world.gql(
      Q.updateAdminSettings,
      { input: { webhooks: { endpoints: [{ url: 'https://hooks.example.invalid/in', events: ['*'] }] } } },
      t.keys.ADMIN,
    );
    expect(ok2.body.errors).toBeUndefined();
    await configure({ endpoints: [{ url: receiver.url(), events: ['config.update'] }] });
  });

  it('checks again at delivery: without the switch a loopback endpoint is not contacted', async () => {
    const strict = newDeliverer({ allowPrivate: false });
    await setCache(1800);
    expect(await strict.deliverDue()).toBe(1);
    expect(receiver.received).toHaveLength(0);
    const [row] = (await deliveriesOf()).slice(-1);
    expect(row).toMatchObject({ status: 'pending', last_status: null });
    expect(row.last_error).toMatch(/^refused/);
    await configure({
      endpoints: [{ url: receiver.url().replace('127.0.0.1', 'localhost'), events: ['config.update'] }],
    });
    world.clock.advance(3_600_000);
    await setCache(1801);
    await strict.deliverDue();
    expect(receiver.received).toHaveLength(0);
    await configure({ endpoints: [{ url: receiver.url(), events: ['config.update'] }] });
  });
});
