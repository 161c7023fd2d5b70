import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { rest } from './helpers/rest.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

/**
 * Dry runs on every write path, GraphQL and REST: the database is byte-for-byte what it was
 * (every table, every sequence), the answer is the real write's (minus version and time), and
 * invalid input gives the real write's error.
 */

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

/** Every row of every table of the app's schema, and every sequence's position, as Postgres renders them. */
async function databaseSnapshot(): Promise<string> {
  const db = world.store.db;
  const tables = await sql<{
    name: string;
  }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`.execute(
    db,
  );
  expect(tables.rows.map((t) => t.name)).toContain('config_versions');
  const parts: string[] = [];
  for (const { name } of tables.rows) {
    const rows = await sql<{
      t: string;
    }>`select row_to_json(x)::text as t from ${sql.table(name)} x order by 1`.execute(db);
    parts.push(name, ...rows.rows.map((r) => r.t));
  }
  const sequences = await sql<{
    t: string;
  }>`select sequencename || '=' || coalesce(last_value::text, 'null') as t from pg_sequences where schemaname = 'public' order by 1`.execute(
    db,
  );
  expect(sequences.rows.length).toBeGreaterThan(0);
  parts.push(...sequences.rows.map((r) => r.t));
  return parts.join('\n');
}

/** Drops what legitimately differs between a dry run's answer and the real write's. */
function withoutVersionAndTime(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutVersionAndTime);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(
          ([k]) => !['version', 'updatedAt', 'resetAt', 'updated_at', 'reset_at', 'dryRun', 'dry_run'].includes(k),
        )
        .map(([k, v]) => [k, withoutVersionAndTime(v)]),
    );
  }
  return value;
}

const M = {
  settings: gql`mutation($input: TenantSettingsPatch!, $dryRun: Boolean) { r: updateTenantSettings(input: $input, dryRun: $dryRun) {
    version updatedAt changes { path category old new } settings { version tenantSettings categories webhookSigningSecret { isSet } } } }`,
  admin: gql`mutation($input: AdminSettingsPatch!, $dryRun: Boolean) { r: updateAdminSettings(input: $input, dryRun: $dryRun) {
    version updatedAt changes { path category old new } settings { version categories } } }`,
  config: gql`mutation($input: TenantConfigPatch!, $dryRun: Boolean) { r: updateTenantConfig(input: $input, dryRun: $dryRun) {
    version updatedAt updatedFields changes { path category old new } config { version document } } }`,
  flag: gql`mutation($key: String!, $enabled: Boolean!, $dryRun: Boolean) { r: setFeatureFlag(key: $key, enabled: $enabled, dryRun: $dryRun) {
    updatedAt flag { key enabled available } } }`,
  reset: gql`mutation($category: SettingsCategory!, $dryRun: Boolean) { r: resetSettingsCategory(category: $category, dryRun: $dryRun) {
    category reset version changes { path category old new } } }`,
  rollback: gql`mutation($doc: ConfigDocument!, $to: Int!, $paths: [String!], $dryRun: Boolean) { r: rollback(document: $doc, toVersion: $to, paths: $paths, dryRun: $dryRun) {
    document version dryRun changes { path category old new } } }`,
};

interface GqlCase {
  name: string;
  query: string;
  variables: Record<string, unknown>;
  /** Written for real first, so the case has something to change back (a reset, a rollback). */
  before?: Array<[string, Record<string, unknown>]>;
  invalid: Record<string, unknown>;
}

const gqlCases: GqlCase[] = [
  {
    name: 'updateTenantSettings',
    query: M.settings,
    variables: { input: { certExpiryDays: 33, webhookSigningSecret: 'dry-run-secret-77' } },
    invalid: { input: { certExpiryDays: -4 } },
  },
  {
    name: 'updateAdminSettings',
    query: M.admin,
    variables: { input: { authentication: { password_policy: { min_length: 16 } } } },
    invalid: { input: { authentication: { password_policy: { min_length: 1 } } } },
  },
  {
    name: 'updateTenantConfig',
    query: M.config,
    variables: { input: { performance: { cache_size_mb: 3333 }, custom_settings: { a: 1 } } },
    invalid: { input: { compliance: { hipaa: true }, security: { encryption_at_rest: false } } },
  },
  {
    name: 'setFeatureFlag',
    query: M.flag,
    variables: { key: 'advanced_mfa', enabled: false },
    invalid: { key: 'ml_features', enabled: true },
  },
  {
    name: 'resetSettingsCategory',
    query: M.reset,
    variables: { category: 'authentication' },
    before: [[M.admin, { input: { authentication: { password_policy: { min_length: 20 } } } }]],
    invalid: { category: 'nope' },
  },
  {
    name: 'rollback',
    query: M.rollback,
    variables: { doc: 'TENANT_CONFIG', to: 0 },
    before: [[M.config, { input: { performance: { cache_size_mb: 4444 } } }]],
    invalid: { doc: 'TENANT_CONFIG', to: 0, paths: ['performance.unknown_field'] },
  },
];

describe('GraphQL dryRun', () => {
  it.each(gqlCases)('$name: nothing changes, the answer is the real one, errors are the same', async (c) => {
    // PRO: enabling ml_features (ENTERPRISE) is the refused flag write.
    const t = await world.createTenantWithKeys({ tier: 'PRO' });
    const key = t.keys.ADMIN;
    for (const [query, variables] of c.before ?? [])
      expect((await world.gql(query, variables, key)).body.errors).toBeUndefined();
    // The key's first use stamps its last_used_at: let that happen before the snapshot.
    expect((await world.gql(gql`{ me { tenant { id } } }`, {}, key)).body.errors).toBeUndefined();

    const before = await databaseSnapshot();
    const dry = await world.gql(c.query, { ...c.variables, dryRun: true }, key);
    expect(dry.body.errors, JSON.stringify(dry.body.errors)).toBeUndefined();
    expect(await databaseSnapshot()).toBe(before);
    if ('dryRun' in dry.body.data.r) expect(dry.body.data.r.dryRun).toBe(true);
    expect(JSON.stringify(dry.body)).not.toContain('dry-run-secret');

    const badDry = await world.gql(c.query, { ...c.invalid, dryRun: true }, key);
    expect(await databaseSnapshot()).toBe(before);
    const badReal = await world.gql(c.query, c.invalid, key);
    expect(badDry.body.errors?.[0], JSON.stringify(badDry.body)).toBeDefined();
    expect(badDry.status).toBe(badReal.status);
    expect(badDry.body.errors.map((e: any) => [e.message, e.extensions?.code, e.extensions?.details])).toEqual(
      badReal.body.errors.map((e: any) => [e.message, e.extensions?.code, e.extensions?.details]),
    );

    const real = await world.gql(c.query, c.variables, key);
    expect(real.body.errors).toBeUndefined();
    expect(withoutVersionAndTime(dry.body.data)).toEqual(withoutVersionAndTime(real.body.data));
    // The dry run announced the version the write then produced.
    if ('version' in real.body.data.r) expect(dry.body.data.r.version).toBe(real.body.data.r.version);
  });

  it('a dry run counts as a config read, not against the 10 updates a minute', async () => {
    const limited = await createWorld({ rateLimits: true });
    try {
      const t = await limited.createTenantWithKeys({ tier: 'ENTERPRISE' });
      for (let i = 0; i < 12; i++) {
        const res = await limited.gql(
          M.config,
          { input: { performance: { cache_size_mb: 2000 + i } }, dryRun: true },
          t.keys.OPERATOR,
        );
        expect(res.body.errors, `dry run ${i}`).toBeUndefined();
      }
      const codes: string[] = [];
      for (let i = 0; i < 11; i++) {
        const res = await limited.gql(
          M.config,
          { input: { performance: { cache_size_mb: 3000 + i } } },
          t.keys.OPERATOR,
        );
        codes.push(res.body.errors?.[0]?.extensions?.code ?? 'OK');
      }
      expect(codes).toEqual([...Array(10).fill('OK'), 'RATE_LIMITED']);
    } finally {
      await limited.close();
    }
  }, 180_000);
});

interface RestCase {
  name: string;
  method: string;
  path: (t: TestTenant) => string;
  body?: unknown;
  before?: Array<[string, Record<string, unknown>]>;
  invalid: unknown;
}

const restCases: RestCase[] = [
  {
    name: 'PUT /tenant/settings',
    method: 'PUT',
    path: () => '/tenant/settings',
    body: { certExpiryDays: 21, industry: 'financial' },
    invalid: { certExpiryDays: 'soon' },
  },
  {
    name: 'PATCH /tenant/settings',
    method: 'PATCH',
    path: () => '/tenant/settings',
    body: { benchmarkOptIn: true },
    invalid: { certExpiryDays: 100000 },
  },
  {
    name: 'PUT /api/admin/settings/authentication',
    method: 'PUT',
    path: () => '/api/admin/settings/authentication',
    body: { password_policy: { min_length: 15 } },
    invalid: { password_policy: { min_length: 2 } },
  },
  {
    name: 'PUT /api/admin/settings/feature-flags/advanced_mfa',
    method: 'PUT',
    path: () => '/api/admin/settings/feature-flags/advanced_mfa',
    body: { enabled: false },
    invalid: { enabled: 'yes' },
  },
  {
    name: 'POST /api/admin/settings/reset/authentication',
    method: 'POST',
    path: () => '/api/admin/settings/reset/authentication',
    before: [[M.admin, { input: { authentication: { password_policy: { min_length: 19 } } } }]],
    invalid: { unexpected: 1 },
  },
  {
    name: 'PUT /api/v1/tenants/:id/config',
    method: 'PUT',
    path: (t) => `/api/v1/tenants/${t.id}/config`,
    body: { performance: { cache_size_mb: 5555 } },
    invalid: { compliance: { hipaa: true }, security: { password_complexity: 1 } },
  },
  {
    name: 'POST /api/v1/tenants/:id/config/rollback',
    method: 'POST',
    path: (t) => `/api/v1/tenants/${t.id}/config/rollback`,
    body: { to_version: 0 },
    before: [[M.config, { input: { performance: { cache_size_mb: 6666 } } }]],
    invalid: { to_version: 0, paths: ['nope'] },
  },
  {
    name: 'POST /api/admin/settings/rollback',
    method: 'POST',
    path: () => '/api/admin/settings/rollback',
    body: { to_version: 0, paths: ['authentication'] },
    before: [[M.admin, { input: { authentication: { password_policy: { min_length: 18 } } } }]],
    invalid: { to_version: 0, paths: ['authentication.nope'] },
  },
];

describe('REST ?dry_run=true', () => {
  it.each(restCases)('$name', async (c) => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const key = t.keys.ADMIN;
    for (const [query, variables] of c.before ?? [])
      expect((await world.gql(query, variables, key)).body.errors).toBeUndefined();
    // The key's first use stamps its last_used_at: let that happen before the snapshot.
    expect((await world.gql(gql`{ me { tenant { id } } }`, {}, key)).body.errors).toBeUndefined();
    const path = c.path(t);
    const before = await databaseSnapshot();
    const dry = await rest(world, c.method, `${path}?dry_run=true`, { key, body: c.body });
    expect(dry.status, dry.text).toBe(200);
    expect(dry.body.dry_run).toBe(true);
    expect(dry.headers.get('etag')).toBeNull();
    expect(await databaseSnapshot()).toBe(before);

    const badDry = await rest(world, c.method, `${path}?dry_run=true`, { key, body: c.invalid });
    expect(await databaseSnapshot()).toBe(before);
    const badReal = await rest(world, c.method, path, { key, body: c.invalid });
    expect(badDry.status).toBeGreaterThanOrEqual(400);
    expect([badDry.status, badDry.body]).toEqual([badReal.status, badReal.body]);

    const real = await rest(world, c.method, path, { key, body: c.body });
    expect(real.status, real.text).toBe(200);
    expect(real.body.dry_run).toBeUndefined();
    expect(withoutVersionAndTime(dry.body)).toEqual(withoutVersionAndTime(real.body));
  });

  it('a dry_run value that is not true/false is refused, naming the parameter, and writes nothing', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    await world.gql(gql`{ me { tenant { id } } }`, {}, t.keys.ADMIN);
    const before = await databaseSnapshot();
    const res = await rest(world, 'PUT', `/api/v1/tenants/${t.id}/config?dry_run=yes`, {
      key: t.keys.ADMIN,
      body: { performance: { cache_size_mb: 2222 } },
    });
    expect(res.status, res.text).toBe(400);
    expect(res.body.message).toMatch(/dry_run/);
    expect(await databaseSnapshot()).toBe(before);
  });
});
