import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { ISO_DATE, rest } from './helpers/rest.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ name: 'V1 Tenant', tier: 'PRO' });
});
afterAll(() => world.close());

/** Seed 003's data-model defaults (the GET example shows sample values where a default is null or empty). */
const DEFAULT_CONFIG = {
  performance: {
    cache_size_mb: 1024,
    max_parallel_workers: 8,
    enable_query_optimization: true,
    enable_result_caching: true,
    enable_adaptive_indexing: true,
    query_timeout_secs: 300,
    query_memory_limit_mb: 4096,
    collect_query_stats: true,
  },
  security: {
    encryption_at_rest: true,
    encryption_in_transit: true,
    encryption_algorithm: 'AES-256-GCM',
    kms_key_id: null,
    enable_rls: true,
    enable_column_encryption: false,
    password_complexity: 3,
    session_timeout_mins: 30,
    require_mfa: false,
    allowed_ips: [],
    enable_audit_log: true,
    audit_retention_days: 90,
  },
  backup: {
    enabled: true,
    frequency_hours: 24,
    retention_days: 30,
    full_backup_interval: 7,
    destinations: [],
    enable_pitr: true,
    pitr_retention_days: 7,
    encrypt_backups: true,
    compress_backups: true,
  },
  replication: {
    enabled: false,
    mode: 'async',
    regions: [],
    consistency_level: 'eventual',
    max_lag_seconds: 60,
    enable_auto_failover: true,
    failover_priority: [],
  },
  compliance: {
    gdpr: false,
    hipaa: false,
    soc2: false,
    pci_dss: false,
    data_residency: [],
    enable_retention_policies: false,
    default_retention_days: 365,
    enable_anonymization: false,
    enable_rtbf: false,
  },
  custom_settings: {},
};

const config = (t: TestTenant) => `/api/v1/tenants/${t.id}/config`;

describe('seed 003 examples', () => {
  it('GET config: exactly the documented body, every default', async () => {
    const t = await world.createTenantWithKeys({ name: 'Defaults' });
    const res = await rest(world, 'GET', config(t), { key: t.keys.VIEWER });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual([
      'tenant_id',
      'performance',
      'security',
      'backup',
      'replication',
      'compliance',
      'custom_settings',
      'updated_at',
    ]);
    const { tenant_id, updated_at, ...rest_ } = res.body;
    expect(tenant_id).toBe(t.id);
    expect(updated_at).toMatch(ISO_DATE);
    expect(rest_).toEqual(DEFAULT_CONFIG);
    for (const section of Object.keys(DEFAULT_CONFIG))
      expect(Object.keys(res.body[section])).toEqual(Object.keys((DEFAULT_CONFIG as any)[section]));
    expect(res.headers.get('etag')).toMatch(/^"\d+"$/);
  });

  // `updated_fields` lists the fields a PUT changed. Each example starts from a state where every
  // field it sends differs, as the documented responses (which list every sent field) imply.
  it.each([
    [
      'Example 1: performance settings',
      { performance: { cache_size_mb: 2048, max_parallel_workers: 16, enable_adaptive_indexing: true } },
      ['performance.cache_size_mb', 'performance.max_parallel_workers', 'performance.enable_adaptive_indexing'],
      { performance: { enable_adaptive_indexing: false } },
    ],
    [
      'Example 2: HIPAA compliance',
      {
        security: { encryption_at_rest: true, enable_audit_log: true, password_complexity: 4, require_mfa: true },
        compliance: { hipaa: true },
      },
      // No documented response: the order is the request body's, as in the documented ones.
      [
        'security.encryption_at_rest',
        'security.enable_audit_log',
        'security.password_complexity',
        'security.require_mfa',
        'compliance.hipaa',
      ],
      { security: { encryption_at_rest: false, enable_audit_log: false } },
    ],
    [
      'Example 3: multi-region replication',
      {
        replication: {
          enabled: true,
          mode: 'async',
          regions: ['us-east-1', 'us-west-2', 'eu-west-1'],
          consistency_level: 'eventual',
          enable_auto_failover: true,
          failover_priority: ['us-east-1', 'us-west-2', 'eu-west-1'],
        },
      },
      [
        'replication.enabled',
        'replication.mode',
        'replication.regions',
        'replication.consistency_level',
        'replication.enable_auto_failover',
        'replication.failover_priority',
      ],
      { replication: { mode: 'sync', consistency_level: 'strong', enable_auto_failover: false } },
    ],
  ])('PUT config, %s', async (_name, body, fields, before) => {
    const t = await world.createTenantWithKeys({ name: 'Put example' });
    expect((await rest(world, 'PUT', config(t), { key: t.keys.OPERATOR, body: before })).status).toBe(200);
    const res = await rest(world, 'PUT', config(t), { key: t.keys.OPERATOR, body });
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body)).toEqual(['tenant_id', 'message', 'updated_fields', 'updated_at']);
    expect(res.body.tenant_id).toBe(t.id);
    expect(res.body.message).toBe(`Successfully updated ${fields.length} configuration field(s)`);
    expect(res.body.updated_fields).toEqual(fields);
    expect(res.body.updated_at).toMatch(ISO_DATE);
    const read = await rest(world, 'GET', config(t), { key: t.keys.VIEWER });
    for (const [section, values] of Object.entries(body)) expect(read.body[section]).toMatchObject(values as object);
    expect(read.body.updated_at).toBe(res.body.updated_at);
    // Sending it again changes nothing.
    const again = await rest(world, 'PUT', config(t), { key: t.keys.OPERATOR, body });
    expect(again.body).toMatchObject({ message: 'Successfully updated 0 configuration field(s)', updated_fields: [] });
  });

  it('PUT config: updated_fields follow the body order, not the catalog order', async () => {
    const t = await world.createTenantWithKeys({ name: 'Body order' });
    // Catalog order: performance before security before custom_settings, cache_size_mb before
    // max_parallel_workers, session_timeout_mins before require_mfa. The body reverses each.
    const body = {
      security: { require_mfa: true, session_timeout_mins: 60 },
      custom_settings: { team: 'blue' },
      performance: { max_parallel_workers: 16, cache_size_mb: 2048 },
    };
    const res = await rest(world, 'PUT', config(t), { key: t.keys.OPERATOR, body });
    expect(res.status, res.text).toBe(200);
    expect(res.body.updated_fields).toEqual([
      'security.require_mfa',
      'security.session_timeout_mins',
      'custom_settings',
      'performance.max_parallel_workers',
      'performance.cache_size_mb',
    ]);
    // GraphQL clients (whose input objects carry no order) get the catalog's order.
    const viaGraphql = await world.gql(
      gql`mutation($id: ID, $input: TenantConfigPatch!) { updateTenantConfig(tenantId: $id, input: $input) { updatedFields } }`,
      {
        id: t.id,
        input: {
          performance: { max_parallel_workers: 8, cache_size_mb: 1024 },
          security: { session_timeout_mins: 30, require_mfa: false },
        },
      },
      t.keys.OPERATOR,
    );
    expect(viaGraphql.body.data.updateTenantConfig.updatedFields).toEqual([
      'performance.cache_size_mb',
      'performance.max_parallel_workers',
      'security.session_timeout_mins',
      'security.require_mfa',
    ]);
  });

  it('GET features: the documented shape, tiers as Basic | Pro | Enterprise, totals counted', async () => {
    // An Enterprise tenant, as in the seed example, where every listed feature is available.
    const t = await world.createTenantWithKeys({ name: 'Features', tier: 'ENTERPRISE' });
    const res = await rest(world, 'GET', `/api/v1/tenants/${t.id}/features`, { key: t.keys.VIEWER });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['tenant_id', 'features', 'total_enabled', 'total_available']);
    expect(res.body.tenant_id).toBe(t.id);
    for (const f of res.body.features) {
      expect(Object.keys(f)).toEqual(['name', 'enabled', 'available', 'description', 'tier_required']);
      expect(['Basic', 'Pro', 'Enterprise']).toContain(f.tier_required);
    }
    expect(res.body.total_enabled).toBe(res.body.features.filter((f: any) => f.enabled).length);
    expect(res.body.total_available).toBe(res.body.features.filter((f: any) => f.available).length);
    const byName = Object.fromEntries(res.body.features.map((f: any) => [f.name, f]));
    expect(byName.advanced_analytics).toMatchObject({
      description: 'Advanced analytics and reporting capabilities',
      tier_required: 'Pro',
      available: true,
    });
    expect(byName.ml_features).toMatchObject({
      description: 'Machine learning and AI features',
      tier_required: 'Enterprise',
      available: true,
    });
    expect(byName.row_level_security).toMatchObject({
      description: 'Row-level security for data isolation',
      tier_required: 'Basic',
      available: true,
    });
    expect(byName.encryption_at_rest).toMatchObject({
      description: 'Data encryption at rest',
      tier_required: 'Basic',
      available: true,
    });
    expect(byName.multi_factor_auth).toMatchObject({
      description: 'Multi-factor authentication requirement',
      tier_required: 'Pro',
      available: true,
    });
  });
});

describe('/api/v1/* error dialect', () => {
  const expectV1 = (
    res: { status: number; body: any },
    status: number,
    error: string,
    tenantId: string | null,
    message?: string,
  ) => {
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error, message: message ?? expect.any(String), code: status, tenant_id: tenantId });
  };

  it.each([
    ['Cache size exceeds maximum (100 GB)', { performance: { cache_size_mb: 100001 } }],
    [
      'HIPAA compliance requires encryption at rest',
      { security: { encryption_at_rest: false }, compliance: { hipaa: true } },
    ],
    ['Password complexity must be between 1 and 5', { security: { password_complexity: 6 } }],
  ])('400 "%s" exactly as documented, nothing written', async (message, body) => {
    const before = await rest(world, 'GET', config(tenant), { key: tenant.keys.VIEWER });
    const res = await rest(world, 'PUT', config(tenant), { key: tenant.keys.OPERATOR, body });
    expectV1(res, 400, 'Bad Request', tenant.id, message);
    const after = await rest(world, 'GET', config(tenant), { key: tenant.keys.VIEWER });
    expect(after.body).toEqual(before.body);
  });

  it('400 for malformed JSON, a non-object, an unknown field, a wrong type', async () => {
    expectV1(
      await rest(world, 'PUT', config(tenant), {
        key: tenant.keys.OPERATOR,
        rawBody: '{"performance":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'Bad Request',
      tenant.id,
    );
    expectV1(
      await rest(world, 'PUT', config(tenant), { key: tenant.keys.OPERATOR, body: ['performance'] }),
      400,
      'Bad Request',
      tenant.id,
    );
    expectV1(
      await rest(world, 'PUT', config(tenant), { key: tenant.keys.OPERATOR, body: { performance: { cache_size: 1 } } }),
      400,
      'Bad Request',
      tenant.id,
    );
    expectV1(
      await rest(world, 'PUT', config(tenant), {
        key: tenant.keys.OPERATOR,
        body: { performance: { cache_size_mb: 'big' } },
      }),
      400,
      'Bad Request',
      tenant.id,
    );
  });

  it('415 for a body that is not JSON', async () => {
    expectV1(
      await rest(world, 'PUT', config(tenant), {
        key: tenant.keys.OPERATOR,
        rawBody: 'x',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'Unsupported Media Type',
      tenant.id,
    );
  });

  it('401 without a key', async () => {
    expectV1(await rest(world, 'GET', config(tenant)), 401, 'Unauthorized', tenant.id);
  });

  it('403 for another tenant id, existing or not, and for a viewer writing', async () => {
    const other = await world.createTenantWithKeys({ name: 'Other' });
    expectV1(await rest(world, 'GET', config(other), { key: tenant.keys.ADMIN }), 403, 'Forbidden', other.id);
    const ghost = randomUUID();
    expectV1(
      await rest(world, 'GET', `/api/v1/tenants/${ghost}/features`, { key: tenant.keys.ADMIN }),
      403,
      'Forbidden',
      ghost,
    );
    expectV1(
      await rest(world, 'PUT', config(tenant), {
        key: tenant.keys.VIEWER,
        body: { performance: { cache_size_mb: 10 } },
      }),
      403,
      'Forbidden',
      tenant.id,
    );
  });

  it('404 for a tenant that does not exist (platform admin) and an unknown path', async () => {
    const ghost = randomUUID();
    expectV1(
      await rest(world, 'GET', `/api/v1/tenants/${ghost}/config`, { key: PLATFORM_KEY }),
      404,
      'Not Found',
      ghost,
    );
    expectV1(
      await rest(world, 'GET', `/api/v1/tenants/${tenant.id}/nothing`, { key: tenant.keys.VIEWER }),
      404,
      'Not Found',
      tenant.id,
    );
  });

  it('an invalid tenant id is a 4xx, never a 500', async () => {
    expectV1(
      await rest(world, 'GET', '/api/v1/tenants/not-a-uuid/config', { key: PLATFORM_KEY }),
      400,
      'Bad Request',
      'not-a-uuid',
    );
    expectV1(
      await rest(world, 'GET', '/api/v1/tenants/not-a-uuid/config', { key: tenant.keys.VIEWER }),
      403,
      'Forbidden',
      'not-a-uuid',
    );
  });

  it('405 with Allow', async () => {
    const res = await rest(world, 'DELETE', config(tenant), { key: tenant.keys.ADMIN });
    expectV1(res, 405, 'Method Not Allowed', tenant.id);
    expect(res.headers.get('allow')!.split(', ').sort()).toEqual(['GET', 'PUT']);
  });

  it('the platform admin reads and writes any tenant', async () => {
    const res = await rest(world, 'PUT', config(tenant), {
      key: PLATFORM_KEY,
      body: { backup: { retention_days: 60 } },
    });
    expect(res.status).toBe(200);
    expect((await rest(world, 'GET', config(tenant), { key: PLATFORM_KEY })).body.backup.retention_days).toBe(60);
  });

  it('412 for a stale If-Match (nothing written); 409 is the dialect of a CONFLICT', async () => {
    const t = await world.createTenantWithKeys({ name: 'V1 precondition' });
    const etag = (await rest(world, 'GET', config(t), { key: t.keys.VIEWER })).headers.get('etag')!;
    const ok = await rest(world, 'PUT', config(t), {
      key: t.keys.OPERATOR,
      body: { performance: { cache_size_mb: 512 } },
      headers: { 'if-match': etag },
    });
    expect(ok.status).toBe(200);
    const stale = await rest(world, 'PUT', config(t), {
      key: t.keys.OPERATOR,
      body: { performance: { cache_size_mb: 256 } },
      headers: { 'if-match': etag },
    });
    expectV1(stale, 412, 'Precondition Failed', t.id);
    expect((await rest(world, 'GET', config(t), { key: t.keys.VIEWER })).body.performance.cache_size_mb).toBe(512);
  });
});
