import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluationKeys } from '../src/catalog/evaluation-keys.js';
import { features } from '../src/catalog/features.js';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/yoga.js';
import { gql } from './helpers/graphql.js';
import { seedScan } from './helpers/scans.js';
import { buildRequest, createWorld, PLATFORM_KEY, type World } from './helpers/world.js';

/** OFREP (src/rest/routes/ofrep.ts) through the app, in process. The real SDK: test/ofrep-sdk.test.ts. */

let world: World;
beforeAll(async () => {
  world = await createWorld({ env: { MIN_PASSWORD_LENGTH: '10' } });
});
afterAll(() => world.close());

const post = (
  path: string,
  key: string | undefined,
  body: unknown = { context: {} },
  headers: Record<string, string> = {},
  transport: 'bearer' | 'x-api-key' = 'bearer',
) =>
  world.request(path, {
    method: 'POST',
    key,
    transport,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const evaluate = (key: string, apiKey: string | undefined, body?: unknown, headers?: Record<string, string>) =>
  post(`/ofrep/v1/evaluate/flags/${key}`, apiKey, body, headers);
const bulk = (apiKey: string | undefined, headers?: Record<string, string>, query = '') =>
  post(`/ofrep/v1/evaluate/flags${query}`, apiKey, { context: { targetingKey: 'u1' } }, headers);

const setConfig = (t: { id: string; keys: { OPERATOR: string } }, input: unknown) =>
  world.gql(
    gql`mutation($input: TenantConfigPatch!) { updateTenantConfig(input: $input) { version } }`,
    { input },
    t.keys.OPERATOR,
  );

describe('OFREP single evaluation', () => {
  it('serves a feature flag as a boolean, STATIC, with tier metadata; either key transport', async () => {
    const t = await world.createTenantWithKeys({ tier: 'PRO' });
    for (const transport of ['bearer', 'x-api-key'] as const) {
      const res = await post('/ofrep/v1/evaluate/flags/advanced_mfa', t.keys.VIEWER, { context: {} }, {}, transport);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({
        key: 'advanced_mfa',
        value: true,
        reason: 'STATIC',
        metadata: { tierRequired: 'PRO', available: true, category: 'security' },
      });
    }
  });

  it('a flag above the tier is false with reason DISABLED; one switched off is false, STATIC', async () => {
    const t = await world.createTenantWithKeys({ tier: 'BASIC' });
    expect(await (await evaluate('rebac_enabled', t.keys.VIEWER)).json()).toEqual({
      key: 'rebac_enabled',
      value: false,
      reason: 'DISABLED',
      metadata: { tierRequired: 'ENTERPRISE', available: false, category: 'access_control' },
    });
    await world.gql(
      gql`mutation { setFeatureFlag(key: "webhooks", enabled: false) { flag { enabled } } }`,
      {},
      t.keys.OPERATOR,
    );
    expect(await (await evaluate('webhooks', t.keys.VIEWER)).json()).toMatchObject({
      value: false,
      reason: 'STATIC',
      metadata: { available: true },
    });
  });

  it('serves settings as typed values keyed <document>.<path>, with source and version', async () => {
    const t = await world.createTenantWithKeys({ tier: 'PRO' });
    const v = (await setConfig(t, { performance: { cache_size_mb: 2048 } })).body.data.updateTenantConfig.version;
    expect(await (await evaluate('config.performance.cache_size_mb', t.keys.VIEWER)).json()).toEqual({
      key: 'config.performance.cache_size_mb',
      value: 2048,
      reason: 'STATIC',
      metadata: { source: 'stored', version: v },
    });
    expect(
      await (await evaluate('admin.authentication.password_policy.min_length', t.keys.VIEWER)).json(),
    ).toMatchObject({ value: 10, metadata: { source: 'env', version: 0 } });
    expect(await (await evaluate('settings.certExpiryDays', t.keys.VIEWER)).json()).toMatchObject({
      value: 30,
      metadata: { source: 'default' },
    });
    expect((await (await evaluate('config.compliance.data_residency', t.keys.VIEWER)).json()).value).toEqual([]);
    expect((await (await evaluate('config.custom_settings', t.keys.VIEWER)).json()).value).toEqual({});
    // A nullable setting without a value: 404 FLAG_NOT_FOUND, saying so (the server provider
    // then gives the caller its default; it reads a success without `value` as malformed).
    const unset = await evaluate('admin.branding.logo_url', t.keys.VIEWER);
    expect(unset.status).toBe(404);
    expect(await unset.json()).toEqual({
      key: 'admin.branding.logo_url',
      errorCode: 'FLAG_NOT_FOUND',
      errorDetails: "Flag 'admin.branding.logo_url' has no value for this tenant: use the code default",
    });
    // Once set, it has one.
    await world.gql(
      gql`mutation { updateAdminSettings(input: { branding: { logo_url: "https://cdn.example.com/logo.png" } }) { version } }`,
      {},
      t.keys.OPERATOR,
    );
    expect(await (await evaluate('admin.branding.logo_url', t.keys.VIEWER)).json()).toMatchObject({
      value: 'https://cdn.example.com/logo.png',
      reason: 'STATIC',
      metadata: { source: 'stored' },
    });
  });

  it('unknown keys and secrets are 404 FLAG_NOT_FOUND', async () => {
    const t = await world.createTenantWithKeys();
    await world.gql(
      gql`mutation { updateTenantSettings(input: { webhookSigningSecret: "0123456789abcdef-secret" }) { version } }`,
      {},
      t.keys.ADMIN,
    );
    for (const key of [
      'no_such_flag',
      'settings.webhookSigningSecret',
      'admin.webhooks.signing_secret',
      'settings',
      'config.performance',
    ]) {
      const res = await evaluate(key, t.keys.VIEWER);
      expect(res.status, key).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({
        key,
        errorCode: 'FLAG_NOT_FOUND',
        errorDetails: `Flag '${key}' was not found`,
      });
    }
  });

  it('400 PARSE_ERROR for a body that is not JSON, INVALID_CONTEXT for a context that is not an object', async () => {
    const t = await world.createTenantWithKeys();
    const parse = await evaluate('advanced_mfa', t.keys.VIEWER, gql`{not json`);
    expect(parse.status).toBe(400);
    expect(await parse.json()).toEqual({
      key: 'advanced_mfa',
      errorCode: 'PARSE_ERROR',
      errorDetails: 'The body is not valid JSON',
    });
    const invalid = await evaluate('advanced_mfa', t.keys.VIEWER, { context: [1] });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({
      key: 'advanced_mfa',
      errorCode: 'INVALID_CONTEXT',
      errorDetails: 'context must be a JSON object',
    });
    const targeting = await evaluate('advanced_mfa', t.keys.VIEWER, { context: { targetingKey: 7 } });
    expect(await targeting.json()).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    // No targetingKey, or no context at all: accepted (values are per tenant).
    expect((await evaluate('advanced_mfa', t.keys.VIEWER, {})).status).toBe(200);
  });

  it('401 without or with a revoked key, 403 for the platform admin: no body', async () => {
    const t = await world.createTenantWithKeys();
    const revoke = await world.gql(
      gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } } }`,
      { id: t.keyIds.VIEWER },
      t.keys.ADMIN,
    );
    expect(revoke.body.errors).toBeUndefined();
    for (const [key, status] of [
      [undefined, 401],
      ['not-a-key', 401],
      [t.keys.VIEWER, 401],
      [PLATFORM_KEY, 403],
    ] as const) {
      const res = await evaluate('advanced_mfa', key);
      expect(res.status, String(key)).toBe(status);
      expect(await res.text()).toBe('');
    }
  });

  it("the tenant is the key's, whatever the context says", async () => {
    const a = await world.createTenantWithKeys();
    const b = await world.createTenantWithKeys();
    await setConfig(b, { performance: { cache_size_mb: 4321 } });
    const res = await evaluate('config.performance.cache_size_mb', a.keys.VIEWER, {
      context: { targetingKey: b.id, tenantId: b.id, tenant_id: b.id },
    });
    expect((await res.json()).value).toBe(1024);
  });
});

describe('OFREP bulk evaluation', () => {
  it('serves every catalog key but secrets, with eventStreams and an ETag', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const res = await bulk(t.keys.VIEWER);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('access-control-expose-headers')).toBe('ETag');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const body = await res.json();
    expect(body.eventStreams).toEqual([{ type: 'sse', endpoint: { requestUri: '/ofrep/v1/events' } }]);
    expect(body.metadata).toEqual({ version: etag!.replace(/"/g, '') });
    expect(body.flags.map((f: { key: string }) => f.key)).toEqual(evaluationKeys.map((k) => k.key));
    expect(body.flags.filter((f: { key: string }) => !f.key.includes('.')).length).toBe(features.length);
    expect(body.flags.some((f: { key: string }) => /secret/i.test(f.key))).toBe(false);
    for (const f of body.flags) expect(['STATIC', 'DISABLED']).toContain(f.reason);
    // A setting without a value is OFREP's codeDefaultFlag: a success without `value`.
    expect(body.flags.find((f: { key: string }) => f.key === 'admin.branding.logo_url')).toEqual({
      key: 'admin.branding.logo_url',
      reason: 'STATIC',
      metadata: { source: 'default', version: 0 },
    });
    for (const f of body.flags.filter((f: { key: string }) => f.key !== 'admin.branding.logo_url'))
      if (!('value' in f)) expect(f.metadata.source, f.key).toBe('default');
  });

  it('ETag: stable across reads, changed by a settings, config or flag write, not by other writes; 304 on a match', async () => {
    const t = await world.createTenantWithKeys({ tier: 'PRO' });
    const etagNow = async () => (await bulk(t.keys.VIEWER)).headers.get('etag')!;
    const first = await etagNow();
    expect(await etagNow()).toBe(first);
    // Not an evaluation change: a new key, a scan.
    expect(
      (
        await world.gql(
          gql`mutation($id: ID!) { createApiKey(input: { tenantId: $id, role: VIEWER }) { key } }`,
          { id: t.id },
          t.keys.ADMIN,
        )
      ).body.errors,
    ).toBeUndefined();
    await seedScan(world, t, { target: 'example.com' });
    expect(await etagNow()).toBe(first);

    const notModified = await bulk(t.keys.VIEWER, { 'if-none-match': first });
    expect(notModified.status).toBe(304);
    expect(await notModified.text()).toBe('');
    expect(notModified.headers.get('etag')).toBe(first);
    expect((await bulk(t.keys.VIEWER, {}, `?flagConfigEtag=${encodeURIComponent(first)}`)).status).toBe(304);
    expect(
      (await bulk(t.keys.VIEWER, {}, `?flagConfigEtag=${encodeURIComponent(first.replace(/"/g, ''))}`)).status,
    ).toBe(304);

    const seen = new Set([first]);
    const writes = [
      () => setConfig(t, { performance: { cache_size_mb: 10 } }),
      () =>
        world.gql(
          gql`mutation { updateTenantSettings(input: { certExpiryDays: 40 }) { version } }`,
          {},
          t.keys.OPERATOR,
        ),
      () =>
        world.gql(
          gql`mutation { updateAdminSettings(input: { branding: { primary_color: "#112233" } }) { version } }`,
          {},
          t.keys.OPERATOR,
        ),
      () =>
        world.gql(
          gql`mutation { setFeatureFlag(key: "advanced_mfa", enabled: false) { flag { enabled } } }`,
          {},
          t.keys.OPERATOR,
        ),
      () =>
        world.gql(
          gql`mutation { setFeatureFlag(key: "advanced_mfa", enabled: true) { flag { enabled } } }`,
          {},
          t.keys.OPERATOR,
        ),
    ];
    for (const write of writes) {
      const before = await etagNow();
      const result = await write();
      expect(result.body.errors).toBeUndefined();
      const after = await etagNow();
      expect(after).not.toBe(before);
      expect(seen.has(after)).toBe(false);
      seen.add(after);
      expect((await bulk(t.keys.VIEWER, { 'if-none-match': before })).status).toBe(200);
    }
  });

  it("another tenant's key never sees this tenant's values, nor its ETag", async () => {
    const a = await world.createTenantWithKeys();
    const b = await world.createTenantWithKeys();
    await setConfig(a, { performance: { cache_size_mb: 7777 } });
    const fromB = await (await bulk(b.keys.VIEWER)).json();
    expect(fromB.flags.find((f: { key: string }) => f.key === 'config.performance.cache_size_mb').value).toBe(1024);
    expect(JSON.stringify(fromB)).not.toContain('7777');
  });

  it("CORS: the tenant's allowed origins only; preflights answered for any origin without credentials", async () => {
    const t = await world.createTenantWithKeys();
    await world.gql(
      gql`mutation { updateAdminSettings(input: { security: { allowed_origins: ["https://app.example.com"] } }) { version } }`,
      {},
      t.keys.OPERATOR,
    );
    const allowed = await bulk(t.keys.VIEWER, { origin: 'https://app.example.com' });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    expect(allowed.headers.get('vary')).toMatch(/Origin/);
    const single = await evaluate('advanced_mfa', t.keys.VIEWER, undefined, { origin: 'https://app.example.com' });
    expect(single.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await bulk(t.keys.VIEWER, { origin: 'https://evil.example.com' });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await world.request('/ofrep/v1/evaluate/flags', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('if-none-match');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    // Elsewhere the gateway's CORS_ORIGINS allow-list applies (empty here): no tenant's origins leak out.
    const graphql = await world.request(`/graphql?query=${encodeURIComponent(gql`{__typename}`)}`, {
      headers: { origin: 'https://app.example.com' },
    });
    expect(graphql.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is listed in OpenAPI with the ofrep error family', async () => {
    const doc = await (await world.request('/openapi.json')).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/ofrep/v1/evaluate/flags', '/ofrep/v1/evaluate/flags/{key}']),
    );
    const op = doc.paths['/ofrep/v1/evaluate/flags/{key}'].post;
    expect(op.operationId).toBe('OfrepEvaluateFlag');
    expect(op.responses['404'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error_ofrep');
    expect(op.responses['401'].content).toBeUndefined();
  });
});

describe('OFREP rate limit', () => {
  it("evaluations count against their own per-key policy instead of the key's; 429 with Retry-After and no body", async () => {
    const t = await world.createTenantWithKeys();
    // Scaled down: the key's 300 becomes 3, the evaluations' 6,000 becomes 60; then set to 5.
    const config = {
      ...world.config,
      rateLimits: {
        enabled: true,
        scale: 0.01,
        fieldPolicies: loadConfig({
          ...process.env,
          RATE_LIMIT_OFREP_PER_MINUTE: '500',
          SECRETS_KEY: '0'.repeat(64),
          DATABASE_URL: 'postgres://unused',
        }).rateLimits.fieldPolicies,
      },
    };
    const app = createApp({ db: world.store.db, config, logger: pino({ level: 'silent' }), now: world.clock.now });
    try {
      const send = (path: string, init: RequestInit = {}) =>
        app.fetch(buildRequest(path, { key: t.keys.VIEWER, ...init }));
      const single = () =>
        send('/ofrep/v1/evaluate/flags/advanced_mfa', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"context":{}}',
        });
      for (let i = 0; i < 5; i++) expect((await single()).status, `evaluation ${i + 1}`).toBe(200);
      const refused = await single();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('ratelimit-policy')).toBe('"ofrep-evaluations";q=5;w=60');
      expect(await refused.text()).toBe('');
      // The six evaluations left the key's own count alone: its 3 other calls still pass, the 4th is refused.
      const mixed = () =>
        send('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: gql`{ me { role } }` }),
        });
      for (let i = 0; i < 3; i++) expect((await mixed()).status).toBe(200);
      expect((await mixed()).status).toBe(429);
    } finally {
      await app.dispose();
    }
  });

  it('RATE_LIMIT_OFREP_PER_MINUTE must be a positive whole number', () => {
    expect(() =>
      loadConfig({
        RATE_LIMIT_OFREP_PER_MINUTE: 'lots',
        SECRETS_KEY: '0'.repeat(64),
        DATABASE_URL: 'postgres://unused',
      }),
    ).toThrow(/RATE_LIMIT_OFREP_PER_MINUTE/);
  });
});
