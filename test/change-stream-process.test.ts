import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeysIn, type GatewayProcess, startGateway } from './helpers/gateway-process.js';
import { gql } from './helpers/graphql.js';
import { openSse, type SseStream } from './helpers/sse.js';
import { createTestDatabase } from './helpers/world.js';

// Two gateway processes (`npm start`) on one Postgres server: a change written through A reaches
// a tenantChanges subscriber on B (LISTEN/NOTIFY). Needs a server: runs when TEST_DATABASE_URL is
// set; the in-process cases of the subscription (both stores) are in change-stream.test.ts.
const serverUrl = process.env.TEST_DATABASE_URL;

const SUBSCRIPTION = gql`subscription($after: String) { tenantChanges(after: $after) { cursor action paths actorKeyId } }`;
const UPDATE_CONFIG = gql`mutation($mb: Int!) { updateTenantConfig(input: { performance: { cache_size_mb: $mb } }) { version } }`;

describe.runIf(serverUrl)('tenantChanges across two gateway processes', () => {
  let a: GatewayProcess;
  let b: GatewayProcess;
  let keys: ReturnType<typeof demoKeysIn>;
  let dropDatabase = async () => {};
  const streams: SseStream[] = [];

  beforeAll(async () => {
    const database = await createTestDatabase(serverUrl!);
    dropDatabase = database.drop;
    const env = {
      DATABASE_URL: database.url,
      SECRETS_KEY: randomBytes(32).toString('hex'),
      RATE_LIMITS: 'off',
      RETENTION_SWEEP_INTERVAL_MS: '0',
    };
    // One after the other: the first migrates and creates the demo tenant.
    a = await startGateway(env);
    await a.waitForOutput(/GraphiQL: .*\n/, 150_000);
    keys = demoKeysIn(a.output());
    b = await startGateway(env);
    await b.waitUntilReady(150_000);
  }, 320_000);

  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await Promise.all([a?.stop(), b?.stop()]);
    await dropDatabase();
  });

  const subscribeOn = async (g: GatewayProcess, variables: Record<string, unknown> = {}) => {
    const stream = await openSse(
      (r) => fetch(r),
      `${g.origin}/graphql`,
      { query: SUBSCRIPTION, variables },
      { authorization: `Bearer ${keys.VIEWER}` },
    );
    streams.push(stream);
    return stream;
  };

  const writeThrough = async (g: GatewayProcess, mb: number) => {
    const res = await fetch(`${g.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.OPERATOR}` },
      body: JSON.stringify({ query: UPDATE_CONFIG, variables: { mb } }),
    });
    const body = await res.json();
    expect(body.errors).toBeUndefined();
  };

  it('a subscriber on B gets a write made through A within 1 s', async () => {
    const stream = await subscribeOn(b);
    expect(stream.status).toBe(200);
    await writeThrough(a, 3333);
    const payload = await stream.next(1000);
    expect(payload.data.tenantChanges).toMatchObject({
      action: 'config.update',
      paths: ['config.performance.cache_size_mb'],
    });
    await stream.close();
  });

  it('a dropped connection resumed on B with `after` gets exactly the changes it missed, in order, then live ones', async () => {
    const first = await subscribeOn(b);
    await writeThrough(a, 100);
    const seen = (await first.next()).data.tenantChanges;
    await first.close();
    for (const mb of [101, 102, 103]) await writeThrough(a, mb);
    const resumed = await subscribeOn(b, { after: seen.cursor });
    const missed = [];
    for (let i = 0; i < 3; i++) missed.push((await resumed.next()).data.tenantChanges);
    expect(missed.map((c) => Number(c.cursor))).toEqual([1, 2, 3].map((i) => Number(seen.cursor) + i));
    await writeThrough(a, 104);
    expect(Number((await resumed.next(1000)).data.tenantChanges.cursor)).toBe(Number(seen.cursor) + 4);
    expect(resumed.pending()).toEqual([]);
  });

  it('revoking a key through A ends its stream on B within 1 s', async () => {
    const created = await fetch(`${a.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.ADMIN}` },
      body: JSON.stringify({ query: gql`{ me { tenant { id } } }` }),
    }).then((r) => r.json());
    const key = await fetch(`${a.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.ADMIN}` },
      body: JSON.stringify({
        query: gql`mutation($t: ID!) { createApiKey(input: { tenantId: $t, role: VIEWER }) { key apiKey { id } } }`,
        variables: { t: created.data.me.tenant.id },
      }),
    }).then((r) => r.json());
    const stream = await openSse(
      (r) => fetch(r),
      `${b.origin}/graphql`,
      { query: SUBSCRIPTION },
      { authorization: `Bearer ${key.data.createApiKey.key}` },
    );
    streams.push(stream);
    expect(stream.status).toBe(200);
    const revoked = await fetch(`${a.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.ADMIN}` },
      body: JSON.stringify({
        query: gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } } }`,
        variables: { id: key.data.createApiKey.apiKey.id },
      }),
    }).then((r) => r.json());
    expect(revoked.errors).toBeUndefined();
    const outcome = await Promise.race([
      stream.ended.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('still open'), 1000)),
    ]);
    expect(outcome).toBe('ended');
  });

  it('stopping a process ends its open streams (the client gets `complete`) and exits cleanly', async () => {
    const stream = await subscribeOn(b);
    expect(await b.stop()).toBe(0);
    await stream.ended;
  });
});
