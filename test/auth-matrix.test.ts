import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createApp } from '../src/yoga.js';
import { gql } from './helpers/graphql.js';
import { buildRequest, createWorld, PLATFORM_KEY, type TestTenant, TRANSPORTS, type World } from './helpers/world.js';

// What a client sees for each outcome: the HTTP status next to `extensions.code`.
const STATUS = { OK: 200, BAD_USER_INPUT: 400, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404 } as const;
type Outcome = keyof typeof STATUS;

type Caller = 'VIEWER' | 'OPERATOR' | 'ADMIN' | 'PLATFORM';
const CALLERS: Caller[] = ['VIEWER', 'OPERATOR', 'ADMIN', 'PLATFORM'];

const MISSING_ID = '00000000-0000-4000-8000-000000000000';
const MALFORMED_ID = 'not-a-uuid';

let world: World;
let a: TestTenant; // the callers' tenant
let b: TestTenant; // another tenant

const keyOf = (caller: Caller) => (caller === 'PLATFORM' ? PLATFORM_KEY : a.keys[caller]);

/** A key to revoke: made by the platform admin so no caller's own attempt depends on another's. */
async function throwawayKey(tenant: TestTenant): Promise<string> {
  const res = await world.gql(
    gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }`,
    { input: { tenantId: tenant.id, role: 'VIEWER', label: 'throwaway' } },
    PLATFORM_KEY,
  );
  return res.body.data.createApiKey.apiKey.id;
}

interface Case {
  name: string;
  query: string;
  variables?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  expect: Record<Caller, Outcome>;
  /** Checked on success: what the caller sees. */
  check?: (data: any, caller: Caller) => void;
}

const everyone = (outcome: Outcome): Record<Caller, Outcome> => ({
  VIEWER: outcome,
  OPERATOR: outcome,
  ADMIN: outcome,
  PLATFORM: outcome,
});
const tenantKeys = (outcome: Outcome, platform: Outcome): Record<Caller, Outcome> => ({
  VIEWER: outcome,
  OPERATOR: outcome,
  ADMIN: outcome,
  PLATFORM: platform,
});
const adminOnly = (admin: Outcome, platform: Outcome): Record<Caller, Outcome> => ({
  VIEWER: 'FORBIDDEN',
  OPERATOR: 'FORBIDDEN',
  ADMIN: admin,
  PLATFORM: platform,
});

const TENANT = gql`query($id: ID!) { tenant(id: $id) { id name } }`;
const CREATE_KEY = gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id role prefix revokedAt } } }`;
const REVOKE_KEY = gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id revokedAt } } }`;
const createKeyIn = (tenantId: () => string) => () => ({
  input: { tenantId: tenantId(), role: 'VIEWER', label: 'matrix' },
});

const CASES: Case[] = [
  {
    name: 'me',
    query: gql`{ me { role platformAdmin keyId tenant { id } } }`,
    expect: everyone('OK'),
    check: (data, caller) =>
      expect(data.me).toEqual(
        caller === 'PLATFORM'
          ? { role: null, platformAdmin: true, keyId: null, tenant: null }
          : { role: caller, platformAdmin: false, keyId: a.keyIds[caller], tenant: { id: a.id } },
      ),
  },
  {
    name: 'tenant(own id)',
    query: TENANT,
    variables: () => ({ id: a.id }),
    expect: everyone('OK'),
    check: (data) => expect(data.tenant.id).toBe(a.id),
  },
  {
    name: 'tenant(other tenant)',
    query: TENANT,
    variables: () => ({ id: b.id }),
    expect: tenantKeys('FORBIDDEN', 'OK'),
    check: (data) => expect(data.tenant.id).toBe(b.id),
  },
  {
    name: 'tenant(unknown uuid)',
    query: TENANT,
    variables: () => ({ id: MISSING_ID }),
    expect: tenantKeys('FORBIDDEN', 'NOT_FOUND'),
  },
  {
    name: 'tenant(malformed id)',
    query: TENANT,
    variables: () => ({ id: MALFORMED_ID }),
    expect: tenantKeys('FORBIDDEN', 'BAD_USER_INPUT'),
  },
  {
    name: 'tenants',
    query: gql`{ tenants(first: 100) { nodes { id } } }`,
    expect: tenantKeys('FORBIDDEN', 'OK'),
    check: (data) =>
      expect(data.tenants.nodes.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([a.id, b.id])),
  },
  {
    name: 'createTenant',
    query: gql`mutation { createTenant(input: { name: "Made by the matrix" }) { tenant { id name tier } } }`,
    expect: tenantKeys('FORBIDDEN', 'OK'),
    check: (data) => expect(data.createTenant.tenant).toMatchObject({ name: 'Made by the matrix', tier: 'BASIC' }),
  },
  {
    name: 'createApiKey(own tenant)',
    query: CREATE_KEY,
    variables: createKeyIn(() => a.id),
    expect: adminOnly('OK', 'OK'),
    check: (data) => {
      const { key, apiKey } = data.createApiKey;
      expect(apiKey).toMatchObject({ role: 'VIEWER', revokedAt: null });
      expect(key.startsWith(apiKey.prefix)).toBe(true);
    },
  },
  {
    name: 'createApiKey(other tenant)',
    query: CREATE_KEY,
    variables: createKeyIn(() => b.id),
    expect: tenantKeys('FORBIDDEN', 'OK'),
  },
  {
    name: 'createApiKey(unknown tenant)',
    query: CREATE_KEY,
    variables: createKeyIn(() => MISSING_ID),
    expect: tenantKeys('FORBIDDEN', 'NOT_FOUND'),
  },
  {
    name: 'createApiKey(malformed tenant id)',
    query: CREATE_KEY,
    variables: createKeyIn(() => MALFORMED_ID),
    expect: tenantKeys('FORBIDDEN', 'BAD_USER_INPUT'),
  },
  {
    name: "revokeApiKey(own tenant's key)",
    query: REVOKE_KEY,
    variables: async () => ({ id: await throwawayKey(a) }),
    expect: adminOnly('OK', 'OK'),
    check: (data) => expect(data.revokeApiKey.apiKey.revokedAt).toEqual(expect.any(String)),
  },
  {
    name: "revokeApiKey(another tenant's key)",
    query: REVOKE_KEY,
    variables: async () => ({ id: await throwawayKey(b) }),
    expect: adminOnly('NOT_FOUND', 'OK'),
  },
  {
    name: 'revokeApiKey(unknown id)',
    query: REVOKE_KEY,
    variables: () => ({ id: randomUUID() }),
    expect: adminOnly('NOT_FOUND', 'NOT_FOUND'),
  },
  {
    name: 'Tenant.apiKeys',
    query: gql`query($id: ID!) { tenant(id: $id) { id apiKeys { id role prefix } } }`,
    variables: () => ({ id: a.id }),
    expect: adminOnly('OK', 'OK'),
    check: (data) =>
      expect(data.tenant.apiKeys.map((k: { id: string }) => k.id)).toEqual(
        expect.arrayContaining(Object.values(a.keyIds)),
      ),
  },
];

let revokedKey: string;

beforeAll(async () => {
  world = await createWorld();
  a = await world.createTenantWithKeys({ name: 'Tenant A' });
  b = await world.createTenantWithKeys({ name: 'Tenant B' });

  // A key that worked once, then revoked by its tenant's admin.
  const created = await world.gql(CREATE_KEY, { input: { tenantId: a.id, role: 'ADMIN' } }, a.keys.ADMIN);
  revokedKey = created.body.data.createApiKey.key;
  expect((await world.gql(gql`{ me { role } }`, {}, revokedKey)).body.data.me.role).toBe('ADMIN');
  const revoked = await world.gql(REVOKE_KEY, { id: created.body.data.createApiKey.apiKey.id }, a.keys.ADMIN);
  expect(revoked.body.errors).toBeUndefined();
});
afterAll(() => world.close());

describe.each(TRANSPORTS)('key sent as %s', (transport) => {
  describe.each(CALLERS)('%s', (caller) => {
    it.each(CASES)('$name', async (c) => {
      const res = await world.gql(c.query, await c.variables?.(), keyOf(caller), transport);
      const outcome = c.expect[caller];
      expect({ status: res.status, codes: res.body.errors?.map((e: any) => e.extensions.code) }).toEqual({
        status: STATUS[outcome],
        codes: outcome === 'OK' ? undefined : [outcome],
      });
      if (outcome === 'OK') c.check?.(res.body.data, caller);
    });
  });

  describe('without a valid key: every operation answers 401 UNAUTHENTICATED', () => {
    const badKeys: [string, () => string | undefined][] = [
      ['no key', () => undefined],
      ['an unknown key of the right shape', () => 'tcg_' + randomBytes(32).toString('base64url')],
      ['garbage', () => 'definitely-not-a-key'],
      ['the platform key with a character more', () => PLATFORM_KEY + 'x'],
      ['a revoked key', () => revokedKey],
    ];
    describe.each(badKeys)('%s', (_label, key) => {
      it.each(CASES)('$name', async (c) => {
        const res = await world.gql(c.query, await c.variables?.(), key(), transport);
        expect(res.status).toBe(401);
        expect(res.body.errors.map((e: any) => e.extensions.code)).toEqual(['UNAUTHENTICATED']);
        // Nothing leaks: at most the nullable root field, as null.
        expect(Object.values(res.body.data ?? {}).every((v) => v === null)).toBe(true);
      });
    });
  });
});

describe('GET /graphql takes the key on every transport too', () => {
  const get = (key: string | undefined, transport: (typeof TRANSPORTS)[number]) =>
    world.request('/graphql?query=' + encodeURIComponent(gql`{ me { role } }`), {
      key,
      transport,
      headers: { accept: 'application/json' },
    });

  it.each(TRANSPORTS)('%s', async (transport) => {
    const ok = await get(a.keys.OPERATOR, transport);
    expect({ status: ok.status, body: await ok.json() }).toEqual({
      status: 200,
      body: { data: { me: { role: 'OPERATOR' } } },
    });
    const revoked = await get(revokedKey, transport);
    expect(revoked.status).toBe(401);
    expect((await revoked.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('another tenant: existing, unknown or malformed, the answer is the same', () => {
  const byName = (name: string) => CASES.find((c) => c.name === name)!;
  const families = [
    ['tenant(other tenant)', 'tenant(unknown uuid)', 'tenant(malformed id)'],
    ['createApiKey(other tenant)', 'createApiKey(unknown tenant)', 'createApiKey(malformed tenant id)'],
  ].map((names) => names.map(byName));

  it.each(['VIEWER', 'OPERATOR', 'ADMIN'] as const)('%s', async (role) => {
    for (const family of families) {
      const answers = [];
      for (const c of family) answers.push(await world.gql(c.query, await c.variables!(), a.keys[role]));
      expect(answers[0].status).toBe(403);
      for (const answer of answers)
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 403, body: answers[0].body });
    }
  });
});

describe('lastUsedAt', () => {
  const LAST_USED = gql`query($id: ID!) { tenant(id: $id) { apiKeys { id lastUsedAt } } }`;
  const lastUsedOf = async (keyId: string) => {
    const res = await world.gql(LAST_USED, { id: a.id }, PLATFORM_KEY);
    return res.body.data.tenant.apiKeys.find((k: { id: string }) => k.id === keyId).lastUsedAt as string | null;
  };

  it('is null until the key is used, then the time of use; it moves on later use', async () => {
    const created = await world.gql(CREATE_KEY, { input: { tenantId: a.id, role: 'VIEWER' } }, PLATFORM_KEY);
    const { key, apiKey } = created.body.data.createApiKey;
    expect(await lastUsedOf(apiKey.id)).toBeNull();

    const before = world.clock.now().getTime();
    await world.gql(gql`{ me { role } }`, {}, key);
    const first = Date.parse((await lastUsedOf(apiKey.id))!);
    expect(first).toBeGreaterThanOrEqual(before - 1000);
    expect(first).toBeLessThanOrEqual(world.clock.now().getTime());

    world.clock.advance(5 * 60_000);
    await world.gql(gql`{ me { role } }`, {}, key, 'query');
    const second = Date.parse((await lastUsedOf(apiKey.id))!);
    expect(second - first).toBeGreaterThanOrEqual(5 * 60_000);
  });
});

describe('without PLATFORM_ADMIN_KEY there is no platform admin', () => {
  it('loadConfig reads an unset or empty PLATFORM_ADMIN_KEY as none', () => {
    const secrets = { SECRETS_KEY: '0'.repeat(64) };
    expect(loadConfig({ ...secrets }).platformAdminKey).toBeUndefined();
    expect(loadConfig({ ...secrets, PLATFORM_ADMIN_KEY: '' }).platformAdminKey).toBeUndefined();
  });

  it.each(TRANSPORTS)('the former platform key is UNAUTHENTICATED (%s); tenant keys still work', async (transport) => {
    const app = createApp({
      db: world.store.db,
      config: { ...world.config, platformAdminKey: undefined },
      logger: pino({ level: 'silent' }),
    });
    const ask = async (key: string | undefined, query: string) => {
      const res = await app.fetch(
        buildRequest('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
          key,
          transport,
        }),
      );
      return { status: res.status, body: await res.json() };
    };
    for (const query of [
      gql`{ tenants { nodes { id } } }`,
      gql`{ me { platformAdmin } }`,
      gql`mutation { createTenant(input: { name: "x" }) { tenant { id } } }`,
    ]) {
      const res = await ask(PLATFORM_KEY, query);
      expect(res.status).toBe(401);
      expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
    expect((await ask(a.keys.ADMIN, gql`{ me { role } }`)).body).toEqual({ data: { me: { role: 'ADMIN' } } });
  });
});

describe('logs', () => {
  it('never contain a key, whatever the transport', () => {
    const text = world.logText();
    expect(text.length).toBeGreaterThan(0);
    for (const key of [PLATFORM_KEY, revokedKey, ...Object.values(a.keys), ...Object.values(b.keys)]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(encodeURIComponent(key));
    }
  });
});
