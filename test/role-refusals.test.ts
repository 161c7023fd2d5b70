import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';
import { gql } from './helpers/graphql.js';
import { rest } from './helpers/rest.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

// Role checks live in one place, the fields' scopes (src/schema/builder.ts); these are the
// messages a refused caller reads, as the README's "Roles" section lists them.
const REFUSAL = {
  operator: 'Requires the operator role or above',
  admin: 'Requires the admin role',
  platformAdmin: 'Requires the platform admin key',
  tenantKey: 'Requires a tenant key: the platform admin has no tenant of its own',
};

let world: World;
let tenant: TestTenant;

beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys();
});
afterAll(() => world.close());

/** What a refused write could have changed: tenants, keys, configuration versions. */
async function storedRows() {
  const { db } = world.store;
  return {
    tenants: await db.selectFrom('tenants').select('id').orderBy('id').execute(),
    keys: await db.selectFrom('api_keys').select(['id', 'revoked_at']).orderBy('id').execute(),
    versions: await db
      .selectFrom('config_versions')
      .select(['tenant_id', 'document', 'version'])
      .orderBy('tenant_id')
      .orderBy('document')
      .orderBy('version')
      .execute(),
  };
}

describe('a caller below the field’s role is told FORBIDDEN with the scope’s message, and nothing changes', () => {
  const cases: {
    name: string;
    query: string;
    variables?: () => Record<string, unknown>;
    key: () => string;
    message: string;
  }[] = [
    {
      name: 'viewer → updateTenantConfig (operator)',
      query: gql`mutation { updateTenantConfig(input: { performance: { cache_size_mb: 4096 } }) { version } }`,
      key: () => tenant.keys.VIEWER,
      message: REFUSAL.operator,
    },
    {
      name: 'operator → createApiKey (admin)',
      query: gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }`,
      variables: () => ({ input: { tenantId: tenant.id, role: 'ADMIN' } }),
      key: () => tenant.keys.OPERATOR,
      message: REFUSAL.admin,
    },
    {
      name: 'tenant admin → createTenant (platform admin)',
      query: gql`mutation { createTenant(input: { name: "Refused" }) { tenant { id } } }`,
      key: () => tenant.keys.ADMIN,
      message: REFUSAL.platformAdmin,
    },
    {
      name: 'platform admin → flagEvaluations (tenant key)',
      query: gql`{ flagEvaluations { flags { key } } }`,
      key: () => PLATFORM_KEY,
      message: REFUSAL.tenantKey,
    },
  ];

  it.each(cases)('$name', async (c) => {
    const before = await storedRows();
    const res = await world.gql(c.query, c.variables?.(), c.key());
    expect({ status: res.status, errors: res.body.errors }).toEqual({
      status: 403,
      errors: [
        expect.objectContaining({ message: c.message, extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
      ],
    });
    expect(await storedRows()).toEqual(before);
  });

  it('a REST route carries the same message in its dialect', async () => {
    const res = await rest(world, 'PUT', '/tenant/settings', { key: tenant.keys.VIEWER, body: { certExpiryDays: 10 } });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', message: REFUSAL.operator });
  });
});

describe('every root field names its scope', () => {
  const scopesOf = (fields: Record<string, { extensions: unknown }>) =>
    Object.entries(fields).map(([name, field]) => {
      const options = (field.extensions as { pothosOptions?: { authScopes?: Record<string, boolean> } }).pothosOptions;
      return [name, Object.keys(options?.authScopes ?? {})] as const;
    });

  it('a mutation needs a role: operator, admin or the platform admin', () => {
    for (const [name, scopes] of scopesOf(schema.getMutationType()!.getFields()))
      expect({ name, scopes }).toEqual({ name, scopes: [expect.stringMatching(/^(operator|admin|platformAdmin)$/)] });
  });

  it('a query or subscription names one scope (the deny-by-default type scope is not enough to read)', () => {
    const fields = { ...schema.getQueryType()!.getFields(), ...schema.getSubscriptionType()!.getFields() };
    for (const [name, scopes] of scopesOf(fields)) expect({ name, scopes: scopes.length }).toEqual({ name, scopes: 1 });
  });
});
