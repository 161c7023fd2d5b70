import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf } from '../src/catalog/catalog.js';
import {
  at,
  casesOf,
  expectBadInput,
  expectCode,
  expectRefusedByGraphQL,
  generatedEntries,
  patchAt,
  Q,
  snapshot,
} from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
});
afterAll(() => world.close());

const update = (input: unknown, key = tenant.keys.OPERATOR, v?: number) =>
  world.gql(Q.updateTenantConfig, { input, v }, key);
const read = async () => (await world.gql(Q.config, { id: tenant.id }, tenant.keys.VIEWER)).body.data.tenant.config;

/** Seed 003's GET body, minus tenant_id and updated_at. */
const seedGetBody = {
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
    kms_key_id: 'arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012',
    enable_rls: true,
    enable_column_encryption: false,
    password_complexity: 3,
    session_timeout_mins: 30,
    require_mfa: false,
    allowed_ips: ['10.0.0.0/8', '172.16.0.0/12'],
    enable_audit_log: true,
    audit_retention_days: 90,
  },
  backup: {
    enabled: true,
    frequency_hours: 24,
    retention_days: 30,
    full_backup_interval: 7,
    destinations: [
      {
        destination_type: 's3',
        bucket: 'heliosdb-backups',
        region: 'us-east-1',
        path: '/tenant-550e8400',
        credentials_id: 'aws-creds-123',
      },
    ],
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
  custom_settings: { custom_key: 'custom_value' },
};

describe('seed 003 defaults', () => {
  it('answers every documented default (the tables), literally', async () => {
    const config = await read();
    expect(config.version).toBe(0);
    // The example's tenant-specific values (KMS key, allowed IPs, a destination, a custom key) are not defaults.
    expect(config.document).toEqual({
      ...seedGetBody,
      security: { ...seedGetBody.security, kms_key_id: null, allowed_ips: [] },
      backup: { ...seedGetBody.backup, destinations: [] },
      custom_settings: {},
    });
    expect(at(config.document, 'performance.cache_size_mb')).toBe(1024);
    expect(at(config.document, 'security.password_complexity')).toBe(3);
  });

  it('exposes the sections as typed GraphQL fields with the documented names', async () => {
    const res = await world.gql(
      gql`query($id: ID!) { tenant(id: $id) { config { performance { cache_size_mb max_parallel_workers } security { encryption_algorithm kms_key_id allowed_ips }
        backup { retention_days destinations } replication { mode consistency_level } compliance { gdpr data_residency } custom_settings } } }`,
      { id: tenant.id },
      tenant.keys.VIEWER,
    );
    expect(res.body.data.tenant.config).toEqual({
      performance: { cache_size_mb: 1024, max_parallel_workers: 8 },
      security: { encryption_algorithm: 'AES-256-GCM', kms_key_id: null, allowed_ips: [] },
      backup: { retention_days: 30, destinations: [] },
      replication: { mode: 'async', consistency_level: 'eventual' },
      compliance: { gdpr: false, data_residency: [] },
      custom_settings: {},
    });
  });

  it('returns exactly the documented GET body once the example values are set', async () => {
    const res = await update({
      security: { kms_key_id: seedGetBody.security.kms_key_id, allowed_ips: seedGetBody.security.allowed_ips },
      backup: { destinations: seedGetBody.backup.destinations },
      custom_settings: seedGetBody.custom_settings,
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.updateTenantConfig.updatedFields).toEqual([
      'security.kms_key_id',
      'security.allowed_ips',
      'backup.destinations',
      'custom_settings',
    ]);
    expect((await read()).document).toEqual(seedGetBody);
  });
});

describe('seed 003 documented range limits, literally', () => {
  it('cache_size_mb: 0 and 100000 accepted, 100001 refused with "Cache size exceeds maximum (100 GB)"', async () => {
    expect((await update({ performance: { cache_size_mb: 100_000 } })).body.errors).toBeUndefined();
    expect((await update({ performance: { cache_size_mb: 0 } })).body.errors).toBeUndefined();
    expectBadInput(
      await update({ performance: { cache_size_mb: 100_001 } }),
      'Cache size exceeds maximum (100 GB)',
      'performance.cache_size_mb',
    );
    expectBadInput(await update({ performance: { cache_size_mb: 200_000 } }), 'Cache size exceeds maximum (100 GB)');
    await update({ performance: { cache_size_mb: 1024 } });
  });

  it('max_parallel_workers: 128 accepted, 129 refused', async () => {
    expect((await update({ performance: { max_parallel_workers: 128 } })).body.errors).toBeUndefined();
    expectBadInput(
      await update({ performance: { max_parallel_workers: 129 } }),
      'Parallel workers exceeds maximum (128)',
      'performance.max_parallel_workers',
    );
    await update({ performance: { max_parallel_workers: 8 } });
  });

  it('password_complexity: 1 and 5 accepted, 0 and 6 refused with "Password complexity must be between 1 and 5"', async () => {
    for (const ok of [1, 5, 3])
      expect((await update({ security: { password_complexity: ok } })).body.errors).toBeUndefined();
    for (const bad of [0, 6])
      expectBadInput(
        await update({ security: { password_complexity: bad } }),
        'Password complexity must be between 1 and 5',
        'security.password_complexity',
      );
  });
});

/** Patches that keep seed 003's cross-field rules satisfied while one field takes an edge value. */
const companions: Record<string, (value: unknown) => Record<string, unknown>> = {
  'backup.retention_days': () => ({ 'backup.pitr_retention_days': 1 }),
  'replication.enabled': (v) => (v === true ? { 'replication.regions': ['eu-west-1'] } : {}),
  'replication.failover_priority': (v) => ({ 'replication.regions': v }),
  'compliance.gdpr': (v) =>
    v === true
      ? { 'compliance.enable_rtbf': true, 'compliance.enable_anonymization': true, 'compliance.data_residency': ['EU'] }
      : {},
};

function patchOf(values: Record<string, unknown>) {
  const patch: Record<string, any> = {};
  for (const [path, value] of Object.entries(values)) {
    const [section, field] = path.split('.');
    patch[section] = { ...patch[section], [field]: value };
  }
  return patch;
}

describe('every field of seed 003, generated from the catalog: both range ends in and out, every enum value', () => {
  for (const entry of generatedEntries('config')) {
    const { valid, invalid } = casesOf(entry);
    it(`${entry.path}`, async () => {
      const defaults = Object.fromEntries(entriesOf('config').map((e) => [e.path, e.spec.default]));
      for (const c of valid) {
        const extra = companions[entry.path]?.(c.value) ?? {};
        const res = await update(patchOf({ ...extra, [entry.path]: c.value }));
        expect(res.body.errors, `${entry.path} ${c.title}`).toBeUndefined();
        expect(at((await read()).document, entry.path), c.title).toEqual(c.value);
        // Back to defaults, so the next case starts from the documented state.
        const back = await update(
          patchOf(Object.fromEntries([entry.path, ...Object.keys(extra)].map((p) => [p, defaults[p]]))),
        );
        expect(back.body.errors, `${entry.path} restore`).toBeUndefined();
      }
      for (const c of invalid) {
        const before = await snapshot(world, tenant.id);
        const res = await update(patchAt(entry.path, c.value));
        expectCode(res, 'BAD_USER_INPUT');
        expect(
          res.body.errors![0].extensions.details.some((d: any) => d.path.startsWith(entry.path)),
          `${entry.path} ${c.title}`,
        ).toBe(true);
        expect(await snapshot(world, tenant.id), `${entry.path} ${c.title} left data unchanged`).toBe(before);
      }
    });
  }
});

describe("seed 003's rules, on the merged configuration", () => {
  const rules: Array<[string, Record<string, unknown>, string, string]> = [
    [
      'backup retention below PITR retention',
      { backup: { retention_days: 5, pitr_retention_days: 6 } },
      'Backup retention must be >= PITR retention period',
      'backup.retention_days',
    ],
    [
      'HIPAA without encryption at rest',
      { compliance: { hipaa: true }, security: { encryption_at_rest: false } },
      'HIPAA compliance requires encryption at rest',
      'security.encryption_at_rest',
    ],
    [
      'HIPAA without audit log',
      { compliance: { hipaa: true }, security: { enable_audit_log: false } },
      'HIPAA compliance requires audit logging',
      'security.enable_audit_log',
    ],
    [
      'HIPAA with complexity 2',
      { compliance: { hipaa: true }, security: { password_complexity: 2 } },
      'HIPAA compliance requires password complexity >= 3',
      'security.password_complexity',
    ],
    [
      'PCI-DSS without audit log',
      { compliance: { pci_dss: true }, security: { enable_audit_log: false } },
      'PCI-DSS compliance requires audit logging',
      'security.enable_audit_log',
    ],
    [
      'PCI-DSS without encryption at rest',
      { compliance: { pci_dss: true }, security: { encryption_at_rest: false } },
      'PCI-DSS compliance requires encryption at rest',
      'security.encryption_at_rest',
    ],
    [
      'PCI-DSS with audit retention 89',
      { compliance: { pci_dss: true }, security: { audit_retention_days: 89 } },
      'PCI-DSS compliance requires audit retention >= 90 days',
      'security.audit_retention_days',
    ],
    [
      'GDPR without right to be forgotten',
      { compliance: { gdpr: true, enable_anonymization: true, data_residency: ['EU'] } },
      'GDPR compliance requires right to be forgotten',
      'compliance.enable_rtbf',
    ],
    [
      'GDPR without EU residency',
      { compliance: { gdpr: true, enable_rtbf: true, enable_anonymization: true, data_residency: ['US'] } },
      'GDPR compliance requires EU data residency',
      'compliance.data_residency',
    ],
    [
      'GDPR without anonymization',
      { compliance: { gdpr: true, enable_rtbf: true, data_residency: ['EU'] } },
      'GDPR compliance requires data anonymization',
      'compliance.enable_anonymization',
    ],
    [
      'replication without regions',
      { replication: { enabled: true } },
      'Replication requires at least one region when enabled',
      'replication.regions',
    ],
    [
      'failover to a region not replicated to',
      { replication: { regions: ['us-east-1'], failover_priority: ['eu-west-1'] } },
      'Failover priority may only list replication regions',
      'replication.failover_priority',
    ],
  ];
  for (const [title, patch, message, path] of rules) {
    it(`refuses ${title}: "${message}", nothing written`, async () => {
      const before = await snapshot(world, tenant.id);
      expectBadInput(await update(patch), message, path);
      expect(await snapshot(world, tenant.id)).toBe(before);
    });
  }

  it('accepts the boundary cases of the rules (retention == PITR, complexity 3, audit retention 90)', async () => {
    const ok = await update({
      backup: { retention_days: 7, pitr_retention_days: 7 },
      compliance: { hipaa: true, pci_dss: true },
      security: { password_complexity: 3, audit_retention_days: 90 },
    });
    expect(ok.body.errors).toBeUndefined();
    await update({ backup: { retention_days: 30 }, compliance: { hipaa: false, pci_dss: false } });
  });

  it('checks the merged result: stored HIPAA refuses a later patch that only turns encryption off', async () => {
    expect((await update({ compliance: { hipaa: true } })).body.errors).toBeUndefined();
    const before = await snapshot(world, tenant.id);
    expectBadInput(
      await update({ security: { encryption_at_rest: false } }),
      'HIPAA compliance requires encryption at rest',
    );
    expectBadInput(
      await update({ security: { password_complexity: 1 } }),
      'HIPAA compliance requires password complexity >= 3',
    );
    expect(await snapshot(world, tenant.id)).toBe(before);
    await update({ compliance: { hipaa: false } });
  });

  it('lists every violation in details, the first as the message', async () => {
    const res = await update({
      compliance: { hipaa: true, pci_dss: true },
      security: { encryption_at_rest: false, enable_audit_log: false },
    });
    expectBadInput(res, 'HIPAA compliance requires encryption at rest');
    expect(res.body.errors![0].extensions.details.map((d: any) => d.message)).toEqual([
      'HIPAA compliance requires encryption at rest',
      'HIPAA compliance requires audit logging',
      'PCI-DSS compliance requires audit logging',
      'PCI-DSS compliance requires encryption at rest',
    ]);
  });

  it("runs seed 003's HIPAA example (Example 2) as documented", async () => {
    const res = await update({
      security: { encryption_at_rest: true, enable_audit_log: true, password_complexity: 4, require_mfa: true },
      compliance: { hipaa: true },
    });
    expect(res.body.errors).toBeUndefined();
    // encryption_at_rest and enable_audit_log were already true: not changes.
    expect(res.body.data.updateTenantConfig.updatedFields).toEqual([
      'security.password_complexity',
      'security.require_mfa',
      'compliance.hipaa',
    ]);
    await update({ security: { password_complexity: 3, require_mfa: false }, compliance: { hipaa: false } });
  });
});

describe('seed 003 PUT: partial updates, updated_fields, versions', () => {
  it('Example 1: updates three performance fields and names them (catalog order)', async () => {
    await update({ performance: { enable_adaptive_indexing: false } });
    const before = (await read()).version;
    const res = await update({
      performance: { cache_size_mb: 2048, max_parallel_workers: 16, enable_adaptive_indexing: true },
    });
    const payload = res.body.data.updateTenantConfig;
    expect(payload.updatedFields).toEqual([
      'performance.cache_size_mb',
      'performance.max_parallel_workers',
      'performance.enable_adaptive_indexing',
    ]);
    expect(payload.changes).toEqual([
      { path: 'performance.cache_size_mb', category: null, old: 1024, new: 2048 },
      { path: 'performance.max_parallel_workers', category: null, old: 8, new: 16 },
      { path: 'performance.enable_adaptive_indexing', category: null, old: false, new: true },
    ]);
    expect(payload.version).toBe(before + 1);
    expect(payload.config.document.performance.query_timeout_secs).toBe(300); // untouched fields keep their values
    await update({ performance: { cache_size_mb: 1024, max_parallel_workers: 8 } });
  });

  it('the PUT example: when GDPR and EU residency are already in place, 4 fields change', async () => {
    await update({ compliance: { gdpr: true, data_residency: ['EU'], enable_rtbf: true, enable_anonymization: true } });
    const res = await update({
      performance: { cache_size_mb: 2048, max_parallel_workers: 16 },
      security: { require_mfa: true, session_timeout_mins: 60 },
      compliance: { gdpr: true, data_residency: ['EU'] },
    });
    expect(res.body.errors).toBeUndefined();
    expect([...res.body.data.updateTenantConfig.updatedFields].sort()).toEqual([
      'performance.cache_size_mb',
      'performance.max_parallel_workers',
      'security.require_mfa',
      'security.session_timeout_mins',
    ]);
  });

  it('a patch equal to the current values changes nothing: no version bump, no audit entry', async () => {
    const before = await snapshot(world, tenant.id);
    const res = await update({ performance: { cache_size_mb: 2048 } });
    expect(res.body.data.updateTenantConfig.updatedFields).toEqual([]);
    expect(await snapshot(world, tenant.id)).toBe(before);
  });

  it('refuses unknown fields, wrong types and a non-object section (GraphQL input types), changing nothing', async () => {
    const before = await snapshot(world, tenant.id);
    expectRefusedByGraphQL(await update({ performance: { cache_size_gb: 1 } }), /cache_size_gb/);
    expectRefusedByGraphQL(await update({ bogus_section: {} }), /bogus_section/);
    expectRefusedByGraphQL(await update({ performance: { cache_size_mb: 'big' } }), /cache_size_mb/);
    expectRefusedByGraphQL(await update({ performance: { cache_size_mb: 1.5 } }), /cache_size_mb/);
    expectRefusedByGraphQL(await update({ security: 'strict' }), /security/);
    expect(await snapshot(world, tenant.id)).toBe(before);
  });

  it('stale expectedVersion: CONFLICT with currentVersion, nothing written', async () => {
    const { version } = await read();
    const before = await snapshot(world, tenant.id);
    const res = await update({ performance: { query_timeout_secs: 301 } }, tenant.keys.OPERATOR, version - 1);
    expectCode(res, 'CONFLICT');
    expect(res.body.errors![0].extensions.currentVersion).toBe(version);
    expect(await snapshot(world, tenant.id)).toBe(before);
    const ok = await update({ performance: { query_timeout_secs: 301 } }, tenant.keys.OPERATOR, version);
    expect(ok.body.data.updateTenantConfig.version).toBe(version + 1);
  });
});

describe('JSON-valued fields are validated by the catalog', () => {
  it('backup.destinations: shape, required fields, enum, unknown keys, at most 10', async () => {
    const good = { destination_type: 'gcs', bucket: 'b' };
    expect((await update({ backup: { destinations: [good] } })).body.errors).toBeUndefined();
    const before = await snapshot(world, tenant.id);
    expectBadInput(
      await update({ backup: { destinations: [{ bucket: 'b' }] } }),
      'backup.destinations [0].destination_type is required',
    );
    expectBadInput(
      await update({ backup: { destinations: [{ destination_type: 'ftp', bucket: 'b' }] } }),
      /destination_type must be one of/,
    );
    expectBadInput(
      await update({ backup: { destinations: [{ ...good, secret_key: 'x' }] } }),
      'backup.destinations [0].secret_key is not a known field',
    );
    expectBadInput(await update({ backup: { destinations: 'gcs' } }), 'backup.destinations must be a list');
    expectBadInput(
      await update({ backup: { destinations: Array(11).fill(good) } }),
      'backup.destinations must have at most 10 items',
    );
    expect(await snapshot(world, tenant.id)).toBe(before);
  });

  it('custom_settings: merged key by key, null removes a key, bounded (100 keys, 64-char keys, 16 KB)', async () => {
    await update({ custom_settings: { custom_key: null } });
    expect((await update({ custom_settings: { a: 1, b: { nested: true } } })).body.errors).toBeUndefined();
    expect((await update({ custom_settings: { c: 'x', a: null } })).body.errors).toBeUndefined();
    expect((await read()).document.custom_settings).toEqual({ b: { nested: true }, c: 'x' });
    const before = await snapshot(world, tenant.id);
    const many = Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`k${i}`, i])); // 2 stored + 99 = 101
    expectBadInput(await update({ custom_settings: many }), 'custom_settings must have at most 100 keys');
    expectBadInput(
      await update({ custom_settings: { ['k'.repeat(65)]: 1 } }),
      /custom_settings keys must be 1-64 characters/,
    );
    expectBadInput(
      await update({ custom_settings: { big: 'x'.repeat(16 * 1024) } }),
      'custom_settings must be at most 16384 bytes as JSON',
    );
    expectBadInput(await update({ custom_settings: [1, 2] }), 'custom_settings must be an object of key/value pairs');
    expect(await snapshot(world, tenant.id)).toBe(before);
    expect((await update({ custom_settings: { ['k'.repeat(64)]: 1 } })).body.errors).toBeUndefined();
    // 3 stored + 97 = exactly 100 keys.
    expect(
      (await update({ custom_settings: Object.fromEntries(Array.from({ length: 97 }, (_, i) => [`k${i}`, i])) })).body
        .errors,
    ).toBeUndefined();
    expect(Object.keys((await read()).document.custom_settings)).toHaveLength(100);
  });
});

describe('audit, roles and tenant isolation of the config', () => {
  it('records config.update with storage paths, old and new, actor and request id', async () => {
    const res = await update({ performance: { query_timeout_secs: 302 } });
    const log = await world.gql(
      Q.auditLog,
      { id: tenant.id, filter: { action: 'config.update' }, first: 1 },
      tenant.keys.VIEWER,
    );
    const entry = log.body.data.tenant.auditLog.nodes[0];
    expect(entry.changes).toEqual({ 'config.performance.query_timeout_secs': { old: 301, new: 302 } });
    expect(entry.actorKeyId).toBe(tenant.keyIds.OPERATOR);
    expect(entry.actorRole).toBe('OPERATOR');
    expect(entry.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('a viewer cannot update (FORBIDDEN), the admin and the platform admin can', async () => {
    const before = await snapshot(world, tenant.id);
    expectCode(await update({ performance: { query_timeout_secs: 10 } }, tenant.keys.VIEWER), 'FORBIDDEN');
    expect(await snapshot(world, tenant.id)).toBe(before);
    expect((await update({ performance: { query_timeout_secs: 11 } }, tenant.keys.ADMIN)).body.errors).toBeUndefined();
    const platform = await world.gql(
      Q.updateTenantConfig,
      { tenantId: tenant.id, input: { performance: { query_timeout_secs: 12 } } },
      PLATFORM_KEY,
    );
    expect(platform.body.data.updateTenantConfig.config.document.performance.query_timeout_secs).toBe(12);
  });

  it("another tenant's key naming this tenant gets FORBIDDEN and never sees its values", async () => {
    const other = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const before = await snapshot(world, tenant.id);
    expectCode(
      await world.gql(
        Q.updateTenantConfig,
        { tenantId: tenant.id, input: { performance: { query_timeout_secs: 13 } } },
        other.keys.ADMIN,
      ),
      'FORBIDDEN',
    );
    expectCode(await world.gql(Q.config, { id: tenant.id }, other.keys.ADMIN), 'FORBIDDEN');
    expect(await snapshot(world, tenant.id)).toBe(before);
    const own = await world.gql(Q.config, { id: other.id }, other.keys.VIEWER);
    expect(own.body.data.tenant.config.document.performance.query_timeout_secs).toBe(300);
    expect(own.body.data.tenant.config.document.custom_settings).toEqual({});
  });
});
