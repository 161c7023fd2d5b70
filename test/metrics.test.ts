import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeysIn, type GatewayProcess, startGateway } from './helpers/gateway-process.js';
import { gql } from './helpers/graphql.js';
import { createTestDatabase } from './helpers/world.js';

// GET /metrics on the real process: counters read after a known sequence of requests.
const dataDir = mkdtempSync(join(tmpdir(), 'gateway-metrics-'));
const platformKey = `platform-${randomBytes(12).toString('hex')}`;
const metricsToken = `metrics-${randomBytes(12).toString('hex')}`;
// 0.1 × the declared maxima: one configuration update a minute per tenant, so the second is refused.
const env: Record<string, string> = {
  DATA_DIR: dataDir,
  PLATFORM_ADMIN_KEY: platformKey,
  METRICS_TOKEN: metricsToken,
  RATE_LIMIT_SCALE: '0.1',
};
let dropDatabase = async () => {};
let gateway: GatewayProcess;
let keys: ReturnType<typeof demoKeysIn>;
let tenantId: string;

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) {
    const db = await createTestDatabase(process.env.TEST_DATABASE_URL);
    Object.assign(env, { DATABASE_URL: db.url, SECRETS_KEY: randomBytes(32).toString('hex') });
    dropDatabase = db.drop;
  }
  gateway = await startGateway(env);
  await gateway.waitForOutput(/GraphiQL: .*\n/, 170_000);
  keys = demoKeysIn(gateway.output());
  tenantId = gateway.output().match(/Demo tenant ([0-9a-f-]{36}) created/)![1];
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

const call = (path: string, init: RequestInit & { key?: string } = {}) =>
  fetch(`${gateway.origin}${path}`, {
    ...init,
    headers: {
      ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
      ...(init.headers as Record<string, string>),
    },
  });

/** The sample lines of a metric, as `{labels} value` strings keyed by the label text. */
async function scrape(key = metricsToken): Promise<string> {
  const res = await call('/metrics', { key });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)\{([^}]*)\} (\S+)$/.exec(line) ?? /^([a-zA-Z_:][\w:]*)() (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(/,(?=[a-z_]+=")/) : [];
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('needs the platform admin key or METRICS_TOKEN: 401 without a key or with a bad one, 403 for a tenant key', async () => {
    expect((await call('/metrics')).status).toBe(401);
    expect((await call('/metrics', { key: 'not-a-key' })).status).toBe(401);
    for (const key of [keys.VIEWER, keys.ADMIN]) {
      const res = await call('/metrics', { key });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect((await call('/metrics', { key: platformKey })).status).toBe(200);
    expect((await call('/metrics', { key: metricsToken })).status).toBe(200);
  });

  it('counts a known sequence by route pattern, operation and status; times it; counts refusals by policy', async () => {
    const before = await scrape();
    const configRoute = { method: 'GET', route: 'GET /api/v1/tenants/:id/config' };
    const putRoute = { method: 'PUT', route: 'PUT /api/v1/tenants/:id/config' };
    const count = (text: string, labels: Record<string, string>) =>
      sample(text, 'gateway_http_requests_total', labels) ?? 0;

    for (let i = 0; i < 2; i++)
      expect((await call(`/api/v1/tenants/${tenantId}/config`, { key: keys.OPERATOR })).status).toBe(200);
    const put = (body: unknown) =>
      call(`/api/v1/tenants/${tenantId}/config`, {
        method: 'PUT',
        key: keys.OPERATOR,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put({ performance: { cache_size_mb: 1024 } })).status).toBe(200);
    expect((await put({ performance: { cache_size_mb: 2048 } })).status).toBe(429);
    for (let i = 0; i < 3; i++) {
      const res = await call('/graphql', {
        method: 'POST',
        key: keys.VIEWER,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: gql`{ me { role } }` }),
      });
      expect(res.status).toBe(200);
    }
    const shareToken = `tok${randomBytes(16).toString('hex')}`;
    expect((await call(`/share/${shareToken}`)).status).toBe(404);
    const strayId = randomUUID();
    expect((await call(`/nothing/here/${strayId}`)).status).toBe(404);

    const after = await scrape(platformKey);
    const grew = (labels: Record<string, string>) => count(after, labels) - count(before, labels);
    expect(grew({ ...configRoute, status: '200' })).toBe(2);
    expect(grew({ ...putRoute, status: '200' })).toBe(1);
    expect(grew({ ...putRoute, status: '429' })).toBe(1);
    expect(grew({ method: 'POST', route: '/graphql', operation: 'query:me', status: '200' })).toBe(3);
    expect(grew({ method: 'GET', route: 'GET /share/:token', status: '404' })).toBe(1);
    expect(grew({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    // The operation of a REST route is the GraphQL operation it ran, by root field.
    expect(after).toMatch(
      /gateway_http_requests_total\{method="GET",route="GET \/api\/v1\/tenants\/:id\/config",operation="query:[a-zA-Z,]+",status="200"\}/,
    );

    const histogramCount = (text: string) =>
      sample(text, 'gateway_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/graphql',
        operation: 'query:me',
      }) ?? 0;
    expect(histogramCount(after) - histogramCount(before)).toBe(3);
    expect(
      sample(after, 'gateway_http_request_duration_seconds_bucket', {
        route: '/graphql',
        operation: 'query:me',
        le: '+Inf',
      }),
    ).toBeGreaterThanOrEqual(3);

    const refusals = (text: string) =>
      sample(text, 'gateway_rate_limit_refusals_total', { policy: 'config-updates' }) ?? 0;
    expect(refusals(after) - refusals(before)).toBe(1);

    // The repeated reads were served from the read cache, and it says so.
    const lookups = (text: string, result: string) => sample(text, 'gateway_read_cache_lookups_total', { result }) ?? 0;
    expect(lookups(after, 'hit') - lookups(before, 'hit')).toBeGreaterThan(0);
    expect(lookups(after, 'miss')).toBeGreaterThan(0);
    expect(sample(after, 'gateway_read_cache_bytes', { kind: 'max' })).toBe(64 * 1024 * 1024);
    expect(after).toMatch(/^# TYPE gateway_webhook_delivery_attempts_total counter$/m);

    // Nothing that names a tenant, a key or a token: no raw path ever becomes a label.
    for (const secret of [tenantId, shareToken, strayId, platformKey, metricsToken, ...Object.values(keys)])
      expect(after).not.toContain(secret);
  });

  it('reports the store, the pg pool on a server, and the process', async () => {
    const text = await scrape();
    expect(text).toMatch(/^gateway_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^gateway_process_resident_memory_bytes \d/m);
    expect(text).toMatch(/^gateway_nodejs_eventloop_lag_seconds /m);
    if (process.env.TEST_DATABASE_URL) {
      expect(sample(text, 'gateway_db_store_info', { kind: 'postgres' })).toBe(1);
      expect(sample(text, 'gateway_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'gateway_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'gateway_db_pool_waiting', {})).toBe(0);
      expect(sample(text, 'gateway_db_pool_max', {})).toBe(10);
    } else {
      expect(sample(text, 'gateway_db_store_info', { kind: 'pglite' })).toBe(1);
      expect(text).not.toMatch(/^gateway_db_pool_connections\{/m);
    }
  });
});
