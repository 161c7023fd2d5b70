import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_KEY } from '../src/services/change-stream.js';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { openSse, type SseStream } from './helpers/sse.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

// Subscription.tenantChanges over SSE, in process (yoga.fetch), on the store under test.
// Two real gateway processes on one server: change-stream-process.test.ts. yoga answers a
// subscription only once its `subscribe` ran, so a write made after `subscribe()` resolves is
// always delivered.

const SUBSCRIPTION = gql`subscription($tenantId: ID, $after: String) {
  tenantChanges(tenantId: $tenantId, after: $after) { cursor action document version paths actorKeyId actorRole requestId committedAt } }`;

let world: World;
let t: TestTenant;
const streams: SseStream[] = [];

async function subscribe(key: string, variables: Record<string, unknown> = {}): Promise<SseStream> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  const stream = await openSse(
    (r) => world.app.fetch(r),
    'http://gateway.test/graphql',
    { query: SUBSCRIPTION, variables },
    headers,
  );
  streams.push(stream);
  return stream;
}

async function ok(query: string, variables: Record<string, unknown>, key: string) {
  const res = await world.gql(query, variables, key);
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data;
}

const setCache = (key: string, mb: number) =>
  ok(Q.updateTenantConfig, { input: { performance: { cache_size_mb: mb } } }, key);

async function changes(stream: SseStream, n: number) {
  const got = [];
  for (let i = 0; i < n; i++) {
    const payload = await stream.next();
    expect(payload.errors, JSON.stringify(payload)).toBeUndefined();
    got.push(payload.data.tenantChanges);
  }
  return got;
}

beforeAll(async () => {
  world = await createWorld();
  t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
});
afterAll(async () => {
  await Promise.all(streams.map((s) => s.close()));
  await world.close();
});

describe('Subscription.tenantChanges', () => {
  it('delivers a committed change to a viewer: action, document, version, paths, actor, request id', async () => {
    const stream = await subscribe(t.keys.VIEWER);
    expect(stream.status).toBe(200);
    const write = await world.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: Q.updateTenantConfig,
        variables: { input: { performance: { cache_size_mb: 4096 } } },
      }),
      key: t.keys.OPERATOR,
    });
    const body = await write.json();
    expect(body.errors).toBeUndefined();
    const [change] = await changes(stream, 1);
    expect(change).toMatchObject({
      action: 'config.update',
      document: 'TENANT_CONFIG',
      version: body.data.updateTenantConfig.version,
      paths: ['config.performance.cache_size_mb'],
      actorKeyId: t.keyIds.OPERATOR,
      actorRole: 'OPERATOR',
      requestId: write.headers.get('x-request-id'),
    });
    expect(change.cursor).toMatch(/^\d+$/);
    expect(Date.parse(change.committedAt)).not.toBeNaN();
    await stream.close();
  });

  it('resumes with `after`: exactly the missed changes, in order, then live ones; none doubled', async () => {
    const first = await subscribe(t.keys.VIEWER);
    await setCache(t.keys.OPERATOR, 1000);
    const [seen] = await changes(first, 1);
    await first.close();
    // Missed while disconnected: a config write, a flag, a key.
    await setCache(t.keys.OPERATOR, 1001);
    await ok(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, t.keys.ADMIN);
    await ok(
      gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`,
      { input: { tenantId: t.id, role: 'VIEWER' } },
      t.keys.ADMIN,
    );
    const resumed = await subscribe(t.keys.VIEWER, { after: seen.cursor });
    const missed = await changes(resumed, 3);
    expect(missed.map((c) => c.action)).toEqual(['config.update', 'feature_flag.update', 'api_key.create']);
    expect(missed.map((c) => Number(c.cursor))).toEqual([1, 2, 3].map((i) => Number(seen.cursor) + i));
    await setCache(t.keys.OPERATOR, 1002);
    const [live] = await changes(resumed, 1);
    expect(Number(live.cursor)).toBe(Number(seen.cursor) + 4);
    expect(resumed.pending()).toEqual([]);
    await resumed.close();
  });

  it('writes racing with the catch-up: every cursor once, in order (subscribed before the backlog is read)', async () => {
    const u = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const racing = Array.from({ length: 12 }, (_, i) => setCache(u.keys.OPERATOR, 2000 + i));
    const stream = await subscribe(u.keys.VIEWER, { after: '0' });
    await Promise.all(racing);
    const { change_cursor } = await world.store.db
      .selectFrom('tenants')
      .select('change_cursor')
      .where('id', '=', u.id)
      .executeTakeFirstOrThrow();
    const total = Number(change_cursor);
    const got = await changes(stream, total);
    expect(got.map((c) => Number(c.cursor))).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    await setCache(u.keys.OPERATOR, 3000);
    const [next] = await changes(stream, 1);
    expect(Number(next.cursor)).toBe(total + 1);
    expect(stream.pending()).toEqual([]);
  });

  it('never carries a secret: a signing secret change shows its path only', async () => {
    const secret = 'stream-secret-' + randomBytes(6).toString('hex');
    const stream = await subscribe(t.keys.VIEWER);
    await ok(Q.updateTenantSettings, { input: { webhookSigningSecret: secret } }, t.keys.OPERATOR);
    const [change] = await changes(stream, 1);
    expect(change).toMatchObject({
      action: 'settings.update',
      document: 'SETTINGS',
      paths: ['settings.webhookSigningSecret'],
    });
    expect(stream.raw()).not.toContain(secret);
    await stream.close();
  });

  it("another tenant's id is FORBIDDEN; the platform admin must name a tenant and then streams it", async () => {
    const other = await world.createTenantWithKeys();
    const refused = await subscribe(t.keys.ADMIN, { tenantId: other.id });
    expect((await refused.next()).errors[0].extensions.code).toBe('FORBIDDEN');
    await refused.ended;
    const unnamed = await subscribe(PLATFORM_KEY);
    expect((await unnamed.next()).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const platform = await subscribe(PLATFORM_KEY, { tenantId: other.id });
    await setCache(other.keys.OPERATOR, 1234);
    const [change] = await changes(platform, 1);
    expect(change).toMatchObject({ action: 'config.update', actorKeyId: other.keyIds.OPERATOR });
    await platform.close();
  });

  it('no key: UNAUTHENTICATED; a malformed or future `after`: BAD_USER_INPUT', async () => {
    const anonymous = await openSse((r) => world.app.fetch(r), 'http://gateway.test/graphql', { query: SUBSCRIPTION });
    expect((await anonymous.next()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    for (const after of ['abc', '-1', '99999999']) {
      const s = await subscribe(t.keys.VIEWER, { after });
      expect((await s.next()).errors[0].extensions.code, after).toBe('BAD_USER_INPUT');
    }
  });

  it("ends a revoked key's stream within 1 s", async () => {
    const created = await ok(
      gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }`,
      { input: { tenantId: t.id, role: 'VIEWER' } },
      t.keys.ADMIN,
    );
    const stream = await subscribe(created.createApiKey.key);
    const other = await subscribe(t.keys.VIEWER);
    await ok(
      gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } } }`,
      { id: created.createApiKey.apiKey.id },
      t.keys.ADMIN,
    );
    const outcome = await Promise.race([
      stream.ended.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('still open'), 1000)),
    ]);
    expect(outcome).toBe('ended');
    // Another key's stream goes on, and sees the revocation.
    const [change] = await changes(other, 1);
    expect(change).toMatchObject({ action: 'api_key.revoke' });
    await other.close();
  });

  it('sends heartbeats on an idle stream', async () => {
    const stream = await subscribe(t.keys.VIEWER);
    // yoga pings with an SSE comment (every 12 s; 300 ms under NODE_ENV=test, as vitest sets).
    await new Promise((r) => setTimeout(r, 800));
    expect(stream.raw().split(':\n\n').length - 1).toBeGreaterThanOrEqual(2);
    expect(stream.pending()).toEqual([]);
    await stream.close();
  });

  it(`allows ${MAX_STREAMS_PER_KEY} open streams per key, refuses the next with RATE_LIMITED, and frees a slot on close`, async () => {
    const u = await world.createTenantWithKeys();
    const open = [];
    for (let i = 0; i < MAX_STREAMS_PER_KEY; i++) open.push(await subscribe(u.keys.VIEWER));
    const refused = await subscribe(u.keys.VIEWER);
    const error = (await refused.next()).errors[0];
    expect(error.extensions.code).toBe('RATE_LIMITED');
    expect(error.message).toContain(`At most ${MAX_STREAMS_PER_KEY}`);
    // Another key of the same tenant has its own count.
    const otherKey = await subscribe(u.keys.OPERATOR);
    await open[0].close();
    await new Promise((r) => setTimeout(r, 50));
    const again = await subscribe(u.keys.VIEWER);
    await setCache(u.keys.OPERATOR, 777);
    expect((await changes(again, 1))[0].action).toBe('config.update');
    expect((await changes(otherKey, 1))[0].action).toBe('config.update');
  });

  it("a tenant's stream never carries another tenant's change", async () => {
    const other = await world.createTenantWithKeys();
    const mine = await subscribe(t.keys.VIEWER);
    await setCache(other.keys.OPERATOR, 999);
    await setCache(t.keys.OPERATOR, 998);
    const [change] = await changes(mine, 1);
    expect(change.actorKeyId).toBe(t.keyIds.OPERATOR);
    expect(mine.pending()).toEqual([]);
    await mine.close();
  });
});
