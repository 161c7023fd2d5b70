import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrontListener } from '../src/http/front.js';
import { DEFAULT_OPERATION_LIMITS } from '../src/limits/operation-limits.js';
import { metricsRegistry } from '../src/metrics/registry.js';
import type { Route } from '../src/rest/route.js';
import { routes } from '../src/rest/routes/index.js';
import { readCacheStats } from '../src/services/read-cache.js';
import { nodeListener } from '../src/yoga.js';
import { gql } from './helpers/graphql.js';
import { routeSamples } from './helpers/route-samples.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

/**
 * The node:http front (src/http/front.ts) answers what it takes itself, without yoga's node
 * adapter. This file sends each request twice on one world — to a real port served by the front,
 * and to `app.fetch` (yoga's own pipeline, no front) — and asserts the same status, the same body
 * (request ids, times and ids of things created by the call aside), the same headers, the same
 * request log line and the same metrics; and that the front did take the request (its counts).
 */

interface Call {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** How the front must have served it: itself (`rest`, `graphql`) or through yoga. */
  expect: 'rest' | 'graphql' | 'yoga';
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  requestId: string;
  log: Record<string, unknown>;
  metrics: string[];
}

/** A world, and its app behind the front on a real port. */
interface Served {
  world: World;
  front: FrontListener;
  origin: string;
  close(): Promise<void>;
}

async function serve(world: World): Promise<Served> {
  const front = nodeListener(world.app);
  const server: Server = createServer(front);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    world,
    front,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await world.close();
    },
  };
}

let main: Served;
/** Rate limits of a twentieth of production: a few calls use them up. */
let strict: Served;
let world: World;
let tenant: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  // Limits on, scaled up so that only the calls meant to be refused are.
  main = await serve(await createWorld({ rateLimits: { enabled: true, scale: 1000 } }));
  strict = await serve(await createWorld({ rateLimits: { enabled: true, scale: 0.05 } }));
  world = main.world;
  tenant = await world.createTenantWithKeys({ name: 'Differential Tenant', tier: 'ENTERPRISE' });
  other = await world.createTenantWithKeys({ name: 'Other Tenant' });
});
afterAll(async () => {
  await main?.close();
  await strict?.close();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
/** Headers of the connection, not of the answer. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/** What may differ between two equal answers made a moment apart: ids, times, tokens of new things. */
function normalized(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalized(v));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalized(v, k)]));
  if (typeof value === 'string') {
    if (UUID_IN_TEXT.test(value)) return value.replace(UUID_IN_TEXT, '<uuid>');
    if (ISO_TIME.test(value)) return '<time>';
    if (key === 'token' || key === 'url')
      return value.replace(/\/share\/[^/?#"]+/, '/share/<token>').replace(/^[\w-]{40,}$/, '<token>');
  }
  if (typeof value === 'number' && /(_at|At)$/.test(key)) return '<time>';
  return value;
}

async function metricSeries(name: string): Promise<Map<string, number>> {
  const metric = metricsRegistry.getSingleMetric(name);
  const values = metric ? (await metric.get()).values : [];
  return new Map(values.map((v) => [JSON.stringify(v.labels), v.value]));
}

/** The metric series a call moved (requests by route/operation/status, rate-limit refusals). */
async function movedBy(call: () => Promise<Response>): Promise<{ res: Response; moved: string[] }> {
  const names = ['gateway_http_requests_total', 'gateway_rate_limit_refusals_total'];
  const before = await Promise.all(names.map(metricSeries));
  const res = await call();
  await res.clone().arrayBuffer();
  const after = await Promise.all(names.map(metricSeries));
  const moved = names.flatMap((name, i) =>
    [...after[i]]
      .filter(([labels, v]) => v !== (before[i].get(labels) ?? 0))
      .map(([labels, v]) => `${name} ${labels} +${v - (before[i].get(labels) ?? 0)}`),
  );
  return { res, moved };
}

async function answerOf(on: Served, res: Response, moved: string[]): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : '';
  } catch {
    // HTML or empty: compared as text
  }
  const headers: Record<string, string> = {};
  // Names compared lower-cased (yoga's own answers keep the case they were written in).
  res.headers.forEach((value, name) => {
    if (!TRANSPORT.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  });
  const requestId = headers['x-request-id'];
  delete headers['x-request-id'];
  const lines = on.world.logLines().filter((l) => l.requestId === requestId && 'status' in l);
  expect(lines, `one request line for ${requestId}`).toHaveLength(1);
  const { time: _t, durationMs: _d, requestId: _r, ...log } = lines[0];
  return { status: res.status, headers, body, requestId, log, metrics: moved };
}

async function viaFront(call: Call, on = main): Promise<Answer> {
  const before = { ...on.front.counts };
  const { res, moved } = await movedBy(() =>
    fetch(on.origin + call.path, { method: call.method, headers: { accept: '*/*', ...call.headers }, body: call.body }),
  );
  const answer = await answerOf(on, res, moved);
  const way = (['rest', 'graphql', 'yoga'] as const).find((w) => on.front.counts[w] === before[w] + 1);
  expect(way, `${call.method} ${call.path} went ${way}`).toBe(call.expect);
  return answer;
}

async function viaApp(call: Call, on = main): Promise<Answer> {
  const { res, moved } = await movedBy(async () =>
    on.world.app.fetch(
      new Request(`http://gateway.test${call.path}`, {
        method: call.method,
        headers: { accept: '*/*', ...call.headers },
        body: call.body,
      }),
    ),
  );
  return answerOf(on, res, moved);
}

/** Sends the call to the front, then the same to yoga's own pipeline, and compares. */
async function same(call: Call, second: Call = call, on = main): Promise<Answer> {
  const a = await viaFront(call, on);
  const b = await viaApp(second, on);
  expect(a.requestId).toMatch(UUID);
  expect(b.requestId).toMatch(UUID);
  expect(a.status, JSON.stringify(a.body)).toBe(b.status);
  expect(normalized(a.body)).toEqual(normalized(b.body));
  // 5xx bodies carry the request id: each its own.
  if (a.status >= 500) expect(JSON.stringify(a.body)).toContain(a.requestId);
  expect(a.headers).toEqual(b.headers);
  expect(a.headers['x-content-type-options']).toBe('nosniff');
  expect(normalized(a.log)).toEqual(normalized(b.log));
  expect(a.metrics).toEqual(b.metrics);
  return a;
}

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const json = { 'content-type': 'application/json' };
const graphqlCall = (
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Call => ({
  method: 'POST',
  path: '/graphql',
  headers: { ...json, ...headers },
  body: JSON.stringify({ query, variables }),
  expect: 'graphql',
});

describe('every route of the table, front and app.fetch alike', () => {
  const samples = routeSamples(() => ({ world, tenant }));
  const label = (r: Route) => `${r.method} ${r.path}`;

  // An event stream never ends, so it has no whole answer to compare; the front leaves it, and
  // any other streamed body (a paged export), to yoga (its fastWay).
  it.each(routes.filter((r) => !r.events).map((r) => [label(r), r] as const))('%s', async (_l, route) => {
    const call = async (): Promise<Call> => {
      const sample = await samples[label(route)]();
      return {
        method: route.method,
        path: sample.path,
        headers: { ...(route.auth === 'key' ? auth(tenant.keys.ADMIN) : {}), ...(sample.body ? json : {}) },
        body: sample.body === undefined ? undefined : JSON.stringify(sample.body),
        expect: route.pages ? 'yoga' : 'rest',
      };
    };
    // Once before: a write's effect is then made, and the two compared calls change nothing more.
    await viaApp(await call());
    const answer = await same(await call(), await call());
    expect(answer.status).toBe(route.status ?? 200);
    expect(answer.log.operation).toBeTruthy();
  });
});

describe('REST answers other than success', () => {
  const settings = (headers: Record<string, string>, extra: Partial<Call> = {}): Call => ({
    method: 'GET',
    path: '/tenant/settings',
    headers,
    expect: 'rest',
    ...extra,
  });

  it('no key, a bad key, each key transport, a client request id', async () => {
    expect((await same(settings({}))).status).toBe(401);
    expect((await same(settings(auth('tcg_not-a-key')))).status).toBe(401);
    await same(settings({ 'x-api-key': tenant.keys.VIEWER }));
    await same(settings({}, { path: `/tenant/settings?api_key=${tenant.keys.VIEWER}` }));
    const a = await same(settings({ ...auth(tenant.keys.VIEWER), 'x-request-id': 'client-chosen-7' }));
    expect(a.log.clientRequestId).toBe('client-chosen-7');
  });

  it('ETag / If-None-Match (304) and If-Match (412), on the read and the write', async () => {
    const first = await same(settings(auth(tenant.keys.VIEWER)));
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"\d+"$/);
    expect((await same(settings({ ...auth(tenant.keys.VIEWER), 'if-none-match': etag }))).status).toBe(304);
    const stale = {
      method: 'PUT',
      path: '/tenant/settings',
      headers: { ...auth(tenant.keys.ADMIN), ...json, 'if-match': '"999999"' },
      body: JSON.stringify({ certExpiryDays: 31 }),
      expect: 'rest' as const,
    };
    expect((await same(stale)).status).toBe(412);
  });

  it('invalid input, a body that is not JSON, another media type, a role too low', async () => {
    const put = (body: string, headers: Record<string, string> = json, key = tenant.keys.ADMIN): Call => ({
      method: 'PUT',
      path: '/tenant/settings',
      headers: { ...auth(key), ...headers },
      body,
      expect: 'rest',
    });
    expect((await same(put(JSON.stringify({ certExpiryDays: -5 })))).status).toBe(422);
    expect((await same(put('{"certExpiryDays":'))).status).toBe(422);
    expect((await same(put('certExpiryDays=5', { 'content-type': 'application/x-www-form-urlencoded' }))).status).toBe(
      415,
    );
    expect((await same(put(JSON.stringify({ certExpiryDays: 40 }), json, tenant.keys.VIEWER))).status).toBe(403);
    expect((await same(put(JSON.stringify({ certExpiryDays: 'x\u0000' })))).status).toBe(422);
  });

  it("another tenant's id, an id that cannot be one, an unknown category", async () => {
    const get = (path: string): Call => ({ method: 'GET', path, headers: auth(tenant.keys.ADMIN), expect: 'rest' });
    expect((await same(get(`/api/v1/tenants/${other.id}/config`))).status).toBe(403);
    await same(get('/api/v1/tenants/not-a-uuid/config'));
    expect((await same(get('/api/admin/settings/no-such-category'))).status).toBe(404);
    expect((await same(get('/tenant/settings?x=1'))).status).toBe(200);
    // The front reads path and query from the target without a URL parser: a bare `?`, and a
    // `'` (which a parser escapes in the query) in a parameter's value, read the same (the
    // refusals quote the value as read).
    expect((await same(get('/tenant/settings?'))).status).toBe(200);
    expect((await same(get("/api/admin/audit-logs?action=it's.x&limit=2"))).status).toBe(400);
    expect((await same(get("/api/admin/audit-logs?limit=2'"))).status).toBe(400);
  });

  it('the share page as HTML, and a share token never logged', async () => {
    const samples = routeSamples(() => ({ world, tenant }));
    const { path } = await samples['GET /share/:token']();
    const html = await same({ method: 'GET', path, headers: { accept: 'text/html' }, expect: 'rest' });
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(html.log.path).toBe('/share/[redacted]');
    expect((await same({ method: 'GET', path: '/share/forged-token', expect: 'rest' })).status).toBe(404);
  });

  it('what the front leaves to yoga answers as before: 405, HEAD, a body over the cap, compressed or chunked bodies, CORS', async () => {
    await same({ method: 'DELETE', path: '/tenant/settings', headers: auth(tenant.keys.ADMIN), expect: 'yoga' });
    await same({ method: 'HEAD', path: '/tenant/settings', headers: auth(tenant.keys.ADMIN), expect: 'yoga' });
    const big = JSON.stringify({ certExpiryDays: 30, pad: 'x'.repeat(300 * 1024) });
    const over = await same({
      method: 'PUT',
      path: '/tenant/settings',
      headers: { ...auth(tenant.keys.ADMIN), ...json },
      body: big,
      expect: 'yoga',
    });
    expect(over.status).toBe(413);
    await same({
      method: 'GET',
      path: '/tenant/settings',
      headers: { ...auth(tenant.keys.ADMIN), origin: 'https://elsewhere.example' },
      expect: 'yoga',
    });
    await same({ method: 'GET', path: '/health', expect: 'yoga' });
    await same({ method: 'GET', path: '/metrics', expect: 'yoga' });
    await same({ method: 'GET', path: '/ofrep/v1/events', expect: 'yoga' });
    await same({ method: 'GET', path: '/no/such/path', expect: 'yoga' });
    await same({ method: 'GET', path: '/openapi.json', expect: 'yoga' });
  });
});

describe('GraphQL, front and app.fetch alike', () => {
  it('a query, the settings document, a mutation with variables', async () => {
    const me = await same(graphqlCall(gql`{ me { role tenant { id name } } }`, undefined, auth(tenant.keys.VIEWER)));
    expect(me.body).toEqual({ data: { me: { role: 'VIEWER', tenant: { id: tenant.id, name: tenant.name } } } });
    await same(
      graphqlCall(gql`{ currentTenant { settings { tenantSettings version } } }`, undefined, auth(tenant.keys.VIEWER)),
    );
    const mutation = gql`mutation($input: TenantSettingsPatch!) { updateTenantSettings(input: $input) { version } }`;
    await world.gql(mutation, { input: { certExpiryDays: 44 } }, tenant.keys.ADMIN);
    await same(graphqlCall(mutation, { input: { certExpiryDays: 44 } }, auth(tenant.keys.ADMIN)));
  });

  it('a variables error, an invalid document, a document over a limit, an unknown operation name', async () => {
    const mutation = gql`mutation($input: TenantSettingsPatch!) { updateTenantSettings(input: $input) { version } }`;
    expect(
      (await same(graphqlCall(mutation, { input: { certExpiryDays: 'many' } }, auth(tenant.keys.ADMIN)))).status,
    ).toBe(400);
    expect((await same(graphqlCall(gql`{ me { role `, undefined, auth(tenant.keys.VIEWER)))).body).toMatchObject({
      errors: [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }],
    });
    await same(graphqlCall(gql`{ me { rol } }`, undefined, auth(tenant.keys.VIEWER)));
    // Suggestions are hidden from callers without a valid key.
    const hidden = await same(graphqlCall(gql`{ me { rol } }`));
    expect(JSON.stringify(hidden.body)).not.toContain('Did you mean');
    const tooDeep = gql`{ ${'a { '.repeat(20)}b${' }'.repeat(20)} }`;
    const refused = await same(graphqlCall(tooDeep, undefined, auth(tenant.keys.VIEWER)));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ errors: [{ extensions: { code: 'OPERATION_LIMIT_EXCEEDED' } }] });
    const named = { ...graphqlCall(gql`query A { me { role } }`, undefined, auth(tenant.keys.VIEWER)) };
    named.body = JSON.stringify({ query: gql`query A { me { role } }`, operationName: 'B' });
    await same(named);
  });

  it('no key, a bad key, another tenant, the GraphQL media type', async () => {
    await same(graphqlCall(gql`{ me { role } }`));
    await same(graphqlCall(gql`{ me { role } }`, undefined, auth('tcg_not-a-key')));
    const forbidden = await same(
      graphqlCall(gql`{ tenant(id: "${other.id}") { name } }`, undefined, auth(tenant.keys.ADMIN)),
    );
    expect(forbidden.body).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    const spec = await same(
      graphqlCall(gql`{ me { rol } }`, undefined, { accept: 'application/graphql-response+json' }),
    );
    expect(spec.status).toBe(400);
    await same(graphqlCall(gql`{ me { role } }`, undefined, { ...auth(PLATFORM_KEY), 'x-request-id': 'client-id-9' }));
  });

  it('bodies yoga refuses, answered by yoga after the front read them', async () => {
    const raw = (body: string): Call => ({ ...graphqlCall(''), body });
    expect((await same(raw('{"query":'))).status).toBe(400);
    await same(raw('[{"query":"{ me { role } }"}]'));
    await same(raw('{"query":"{ me { role } }","extra":1}'));
    await same(raw('{"query":42}'));
    await same(raw('null'));
  });

  it('what the front leaves to yoga: a body over the cap, GET, forms, SSE, other Accept types', async () => {
    const padded = JSON.stringify({
      query: gql`{ me { role } }`,
      variables: { pad: 'x'.repeat(DEFAULT_OPERATION_LIMITS.maxBodyBytes) },
    });
    expect((await same({ ...graphqlCall(''), body: padded, expect: 'yoga' })).status).toBe(413);
    await same({
      method: 'GET',
      path: `/graphql?query=${encodeURIComponent(gql`{ me { role } }`)}`,
      headers: auth(tenant.keys.VIEWER),
      expect: 'yoga',
    });
    await same({
      ...graphqlCall(''),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `query=${encodeURIComponent(gql`mutation{runRetentionSweep}`)}`,
      expect: 'yoga',
    });
    await same({
      ...graphqlCall(gql`{ me { role } }`, undefined, { accept: 'application/json, text/plain' }),
      expect: 'yoga',
    });
  });
});

describe('rate limits on the front', () => {
  it('a GraphQL operation and a REST route over their limit: 429 with the same headers, refusals counted alike', async () => {
    const limited = await strict.world.createTenantWithKeys({ name: 'Limited' });
    // feature-queries: 100 a minute per tenant, 5 here; used up through app.fetch.
    const entitlements = gql`{ currentTenant { entitlements } }`;
    let status = 200;
    for (let i = 0; i < 10 && status === 200; i++)
      status = (await strict.world.gql(entitlements, {}, limited.keys.VIEWER)).status;
    expect(status).toBe(429);
    const graphql = await same(graphqlCall(entitlements, undefined, auth(limited.keys.VIEWER)), undefined, strict);
    expect(graphql.status).toBe(429);
    expect(graphql.headers['retry-after']).toMatch(/^\d+$/);
    expect(graphql.metrics.some((m) => m.includes('gateway_rate_limit_refusals_total'))).toBe(true);
    const features: Call = {
      method: 'GET',
      path: `/api/v1/tenants/${limited.id}/features`,
      headers: auth(limited.keys.VIEWER),
      expect: 'rest',
    };
    const rest = await same(features, features, strict);
    expect(rest.status).toBe(429);
    expect(rest.headers['ratelimit-policy']).toContain('feature-queries');
    // Calls without a key count against the address (the front's is 127.0.0.1, app.fetch's none): each its own.
    const anonymous = await same(graphqlCall(gql`{ me { role } }`), undefined, strict);
    expect(anonymous.body).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});

describe('kept answers (src/http/answer-cache.ts), front and app.fetch alike', () => {
  it('the second read of cached data is served whole from memory, and answers as yoga does', async () => {
    const reader = await world.createTenantWithKeys({ name: 'Kept' });
    const get = (path: string): Call => ({ method: 'GET', path, headers: auth(reader.keys.VIEWER), expect: 'rest' });
    const reads: Call[] = [
      get('/tenant/settings'),
      get('/tenant/me'),
      get(`/api/v1/tenants/${reader.id}/config`),
      graphqlCall(gql`{ me { role tenant { id name } } }`, undefined, auth(reader.keys.VIEWER)),
      graphqlCall(gql`{ currentTenant { settings { tenantSettings version } } }`, undefined, auth(reader.keys.VIEWER)),
    ];
    for (const call of reads) {
      await viaFront(call);
      const before = readCacheStats().answerHits;
      const kept = await same(call);
      expect(kept.status).toBe(200);
      expect(readCacheStats().answerHits, `${call.method} ${call.path} ${call.body ?? ''}`).toBeGreaterThan(before);
    }
  });

  it('a kept answer over its rate limit is refused as yoga refuses it, and counted alike', async () => {
    const limited = await strict.world.createTenantWithKeys({ name: 'Limited kept' });
    // feature-queries: 100 a minute per tenant, 5 here; used up through the front (1 miss, then kept answers).
    const entitlements = graphqlCall(gql`{ currentTenant { entitlements } }`, undefined, auth(limited.keys.VIEWER));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await viaFront(entitlements, strict)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const refused = await same(entitlements, undefined, strict);
    expect(refused.status).toBe(429);
    expect(refused.metrics.some((m) => m.includes('gateway_rate_limit_refusals_total'))).toBe(true);
  });
});

describe('failures, front and app.fetch alike (this world is broken from here on)', () => {
  it('an unexpected error is masked (500 with the request id), a lost database is 503', async () => {
    const unread = await world.createTenantWithKeys({ name: 'Never read' });
    await sql`drop table setting_values cascade`.execute(world.store.db);
    const read = (): Call => ({
      method: 'GET',
      path: '/tenant/settings',
      headers: auth(unread.keys.VIEWER),
      expect: 'rest',
    });
    expect((await same(read())).status).toBe(500);
    expect(
      (
        await same(
          graphqlCall(
            gql`{ currentTenant { settings { version tenantSettings } } }`,
            undefined,
            auth(unread.keys.VIEWER),
          ),
        )
      ).status,
    ).toBe(500);
    await world.store.close();
    const gone = await world.createTenantWithKeys().catch(() => undefined);
    expect(gone).toBeUndefined();
    expect((await same(graphqlCall(gql`{ me { role } }`, undefined, auth('tcg_never-seen-key')))).status).toBe(503);
    expect((await same({ ...read(), headers: auth('tcg_never-seen-key') })).status).toBe(503);
  });
});
