import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleName } from '../src/db/tables.js';
import { routes } from '../src/rest/routes/index.js';
import { encodeCursor } from '../src/services/pagination.js';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { rest } from './helpers/rest.js';
import { seedScan, seedShareLink } from './helpers/scans.js';
import { openSse } from './helpers/sse.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

/**
 * Tenant A's keys (viewer, operator, admin) try to read and change tenant B's data through every
 * id-taking GraphQL field and every REST route. Another tenant's id answers FORBIDDEN, another
 * tenant's record id NOT_FOUND (a role below the field's answers FORBIDDEN first); no answer
 * carries anything of B's; B's rows in every table are byte-for-byte what they were.
 */

let world: World;
let a: TestTenant;
let b: TestTenant;
const ROLES: RoleName[] = ['VIEWER', 'OPERATOR', 'ADMIN'];
const RANK: Record<RoleName, number> = { VIEWER: 0, OPERATOR: 1, ADMIN: 2 };

/** B's records, and markers of B's data that no answer to A may contain. */
const bData = { scanId: '', linkId: '', keyId: '', token: '', deliveryId: '', markers: [] as string[] };
const marker = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

const TABLES = [
  'api_keys',
  'setting_values',
  'feature_flags',
  'scans',
  'share_links',
  'audit_log',
  'config_versions',
  'webhook_deliveries',
] as const;

/** Every row of B, in every table, as Postgres renders it. */
async function snapshotOf(tenantId: string): Promise<string> {
  const parts = [
    await sql<{ t: string }>`select row_to_json(x)::text as t from tenants x where id = ${tenantId}`.execute(
      world.store.db,
    ),
  ];
  for (const table of TABLES) {
    parts.push(
      await sql<{
        t: string;
      }>`select row_to_json(x)::text as t from ${sql.table(table)} x where tenant_id = ${tenantId} order by x::text`.execute(
        world.store.db,
      ),
    );
  }
  return parts.map((p) => p.rows.map((r) => r.t).join('\n')).join('\n--\n');
}

beforeAll(async () => {
  world = await createWorld();
  a = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
  const bName = marker('tenant-b');
  b = await world.createTenantWithKeys({ tier: 'ENTERPRISE', name: bName, industry: 'healthcare' });
  const target = marker('b-target');
  const label = marker('b-label');
  const custom = marker('b-custom');
  const secret = marker('b-secret');
  bData.markers.push(bName, target, label, custom, secret);
  const ok = async (p: Promise<{ body: { errors?: unknown } }>) => {
    const res = await p;
    if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  };
  // Data in every table: settings (with the secret), admin settings, config, a flag, scans, links, keys, audit.
  await ok(
    world.gql(Q.updateTenantSettings, { input: { certExpiryDays: 77, webhookSigningSecret: secret } }, b.keys.OPERATOR),
  );
  await ok(world.gql(Q.updateAdminSettings, { input: { branding: { company_name: label } } }, b.keys.OPERATOR));
  await ok(
    world.gql(
      Q.updateTenantConfig,
      { input: { performance: { cache_size_mb: 2048 }, custom_settings: { marker: custom } } },
      b.keys.OPERATOR,
    ),
  );
  await ok(world.gql(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, b.keys.ADMIN));
  const scan = await seedScan(world, b, { target, report: { marker: target } });
  await seedScan(world, b, { target: target + '-2' });
  const link = await seedShareLink(world, b, scan.id, { label });
  Object.assign(bData, { scanId: scan.id, linkId: link.shareLink.id, keyId: b.keyIds.VIEWER, token: link.token });
  const keys = await world.store.db.selectFrom('api_keys').select('prefix').where('tenant_id', '=', b.id).execute();
  bData.markers.push(...keys.map((k) => k.prefix), ...Object.values(b.keys), link.token);
  // A webhook delivery of B's (written as the outbox would: the endpoint is a marker).
  const endpoint = `https://${marker('b-hook')}.example.com/in`;
  bData.deliveryId = randomUUID();
  await world.store.db
    .insertInto('webhook_deliveries')
    .values({
      id: bData.deliveryId,
      tenant_id: b.id,
      cursor: 1,
      event: 'config.update',
      endpoint,
      body: '{}',
      next_attempt_at: new Date(),
      created_at: new Date(),
    })
    .execute();
  bData.markers.push(endpoint);
  // A has data of its own too, so empty answers prove nothing by accident.
  await seedShareLink(world, a, (await seedScan(world, a)).id);
});
afterAll(() => world.close());

interface Case {
  /** Lowest role the field accepts; below it the scope check answers FORBIDDEN first. */
  minRole: RoleName;
  code: 'FORBIDDEN' | 'NOT_FOUND';
}
interface GqlCase extends Case {
  name: string;
  query: string;
  variables: () => Record<string, unknown>;
}

// Pages of 20 (and one tenant below): every field, within the operation cost limit (maxCost).
const FULL_TENANT = `id name industry
  settings { version tenantSettings categories values { path value } webhookSigningSecret { isSet updatedAt } }
  config { version document values { path value } }
  featureFlags { key enabled updatedAt }
  auditLog(first: 20) { nodes { id action target changes actorKeyId } }
  history(document: SETTINGS, first: 20) { nodes { version changes { path old new } } }
  documentAt(document: TENANT_CONFIG, version: 0)
  scans(first: 20) { nodes { id target report shareLinks { id label } } }
  apiKeys { id prefix label }
  webhookDeliveries(first: 20) { nodes { id endpoint event } }`;

const gqlCases: GqlCase[] = [
  {
    name: 'tenant(id: B) with every nested field',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    query: gql`query($id: ID!) { tenant(id: $id) { ${FULL_TENANT} } }`,
    variables: () => ({ id: b.id }),
  },
  {
    name: 'tenant(id: unknown)',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    query: gql`query($id: ID!) { tenant(id: $id) { id } }`,
    variables: () => ({ id: randomUUID() }),
  },
  {
    name: 'tenants (platform admin only)',
    minRole: 'ADMIN',
    code: 'FORBIDDEN',
    query: gql`{ tenants(first: 1) { nodes { ${FULL_TENANT} } } }`,
    variables: () => ({}),
  },
  {
    name: 'updateTenantSettings(tenantId: B)',
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    query: Q.updateTenantSettings,
    variables: () => ({ tenantId: b.id, input: { certExpiryDays: 5, webhookSigningSecret: 'attacker-secret-123' } }),
  },
  {
    name: 'updateAdminSettings(tenantId: B)',
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    query: Q.updateAdminSettings,
    variables: () => ({ tenantId: b.id, input: { webhooks: { enabled: true } } }),
  },
  {
    name: 'resetSettingsCategory(tenantId: B)',
    minRole: 'ADMIN',
    code: 'FORBIDDEN',
    query: Q.reset,
    variables: () => ({ tenantId: b.id, category: 'webhooks' }),
  },
  {
    name: 'setFeatureFlag(tenantId: B)',
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    query: Q.setFeatureFlag,
    variables: () => ({ tenantId: b.id, key: 'ml_features', enabled: false }),
  },
  {
    name: 'updateTenantConfig(tenantId: B)',
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    query: Q.updateTenantConfig,
    variables: () => ({ tenantId: b.id, input: { performance: { cache_size_mb: 1024 } } }),
  },
  {
    name: 'createScan(tenantId: B)',
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    query: gql`mutation($tenantId: ID, $input: CreateScanInput!) { createScan(tenantId: $tenantId, input: $input) { scan { id } } }`,
    variables: () => ({ tenantId: b.id, input: { target: 'x' } }),
  },
  {
    name: 'runRetentionSweep(tenantId: B)',
    minRole: 'ADMIN',
    code: 'FORBIDDEN',
    query: gql`mutation($id: ID) { runRetentionSweep(tenantId: $id) { deletedScans } }`,
    variables: () => ({ id: b.id }),
  },
  {
    name: 'createApiKey(tenantId: B)',
    minRole: 'ADMIN',
    code: 'FORBIDDEN',
    query: gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }`,
    variables: () => ({ input: { tenantId: b.id, role: 'ADMIN' } }),
  },
  {
    name: 'scan(id: B scan)',
    minRole: 'VIEWER',
    code: 'NOT_FOUND',
    query: gql`query($id: ID!) { scan(id: $id) { id target report shareLinks { id label } } }`,
    variables: () => ({ id: bData.scanId }),
  },
  {
    name: 'createShareLink(scanId: B scan)',
    minRole: 'OPERATOR',
    code: 'NOT_FOUND',
    query: gql`mutation($id: ID!) { createShareLink(scanId: $id) { url token } }`,
    variables: () => ({ id: bData.scanId }),
  },
  {
    name: 'revokeShareLink(id: B link)',
    minRole: 'OPERATOR',
    code: 'NOT_FOUND',
    query: gql`mutation($id: ID!) { revokeShareLink(id: $id) { shareLink { id label } } }`,
    variables: () => ({ id: bData.linkId }),
  },
  ...(['SETTINGS', 'TENANT_CONFIG', 'FEATURE_FLAGS'] as const).flatMap((doc): GqlCase[] => [
    {
      name: `tenant(id: B).history/documentAt/diff(${doc})`,
      minRole: 'VIEWER',
      code: 'FORBIDDEN',
      query: gql`query($id: ID!, $doc: ConfigDocument!) { tenant(id: $id) { history(document: $doc, first: 100) { nodes { version changes { path old new } } } documentAt(document: $doc, version: 1) diff(document: $doc, from: 0, to: 1) { path old new } } }`,
      variables: () => ({ id: b.id, doc }),
    },
    {
      name: `rollback(${doc}, tenantId: B)`,
      minRole: 'OPERATOR',
      code: 'FORBIDDEN',
      query: gql`mutation($id: ID, $doc: ConfigDocument!) { rollback(document: $doc, toVersion: 0, tenantId: $id) { version changes { path old new } } }`,
      variables: () => ({ id: b.id, doc }),
    },
    {
      name: `rollback(${doc}, tenantId: B, dryRun: true)`,
      minRole: 'OPERATOR',
      code: 'FORBIDDEN',
      query: gql`mutation($id: ID, $doc: ConfigDocument!) { rollback(document: $doc, toVersion: 0, tenantId: $id, dryRun: true) { version changes { path old new } } }`,
      variables: () => ({ id: b.id, doc }),
    },
  ]),
  {
    name: 'updateTenantConfig(tenantId: B, dryRun: true)',
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    query: gql`mutation($tenantId: ID) { updateTenantConfig(tenantId: $tenantId, input: { performance: { cache_size_mb: 1024 } }, dryRun: true) { version changes { path old new } } }`,
    variables: () => ({ tenantId: b.id }),
  },
  {
    name: 'tenant(id: B).auditLogExport',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    query: gql`query($id: ID!) { tenant(id: $id) { auditLogExport { nodes { id action target changes actorKeyId } } } }`,
    variables: () => ({ id: b.id }),
  },
  {
    name: 'tenant(id: B).exportConfiguration',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    query: gql`query($id: ID!) { tenant(id: $id) { exportConfiguration } }`,
    variables: () => ({ id: b.id }),
  },
  {
    name: 'importConfiguration(tenantId: B)',
    minRole: 'ADMIN',
    code: 'FORBIDDEN',
    query: gql`mutation($id: ID, $doc: JSON!) { importConfiguration(tenantId: $id, document: $doc) { changes { path } } }`,
    variables: () => ({
      id: b.id,
      doc: {
        format: 'tenant-configuration',
        format_version: 1,
        settings: { certExpiryDays: 3 },
        feature_flags: { ml_features: false },
      },
    }),
  },
  {
    name: 'redeliverWebhook(id: B delivery)',
    minRole: 'ADMIN',
    code: 'NOT_FOUND',
    query: gql`mutation($id: ID!) { redeliverWebhook(id: $id) { id endpoint } }`,
    variables: () => ({ id: bData.deliveryId }),
  },
  {
    name: 'revokeApiKey(id: B key)',
    minRole: 'ADMIN',
    code: 'NOT_FOUND',
    query: gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id prefix } } }`,
    variables: () => ({ id: bData.keyId }),
  },
];

function expectNothingOfB(text: string) {
  for (const m of bData.markers) expect(text, `answer contains B's ${m}`).not.toContain(m);
}

describe.each(ROLES)("with A's %s key", (role) => {
  it.each(gqlCases)('GraphQL $name', async (c) => {
    const before = await snapshotOf(b.id);
    const res = await world.gql(c.query, c.variables(), a.keys[role]);
    const expected = RANK[role] < RANK[c.minRole] ? 'FORBIDDEN' : c.code;
    expect(res.body.errors?.[0]?.extensions?.code, JSON.stringify(res.body)).toBe(expected);
    expect(Object.values(res.body.data ?? {}).every((v) => v === null)).toBe(true);
    expectNothingOfB(JSON.stringify(res.body));
    expect(await snapshotOf(b.id)).toBe(before);
  });

  it("me { tenant { … } } and forged cursors reach only A's own rows", async () => {
    const before = await snapshotOf(b.id);
    const me = await world.gql(
      gql`{ me { tenant { ${RANK[role] >= RANK.ADMIN ? FULL_TENANT : FULL_TENANT.replace(/apiKeys \{[^}]*\}/, '')} } } }`,
      {},
      a.keys[role],
    );
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me.tenant.id).toBe(a.id);
    expectNothingOfB(JSON.stringify(me.body));
    // Cursors are opaque but decodable: one pointing past B's newest rows still lists only A's.
    const maxAudit = await world.store.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirstOrThrow();
    const auditAfter = encodeCursor(String(BigInt(maxAudit.max as string) + 1n));
    const scansAfter = encodeCursor(
      `${new Date(Date.now() + 86_400_000).toISOString()}|ffffffff-ffff-4fff-bfff-ffffffffffff`,
    );
    const paged = await world.gql(
      gql`query($id: ID!, $a: String, $s: String) { tenant(id: $id) { auditLog(first: 100, after: $a) { nodes { id action } } scans(first: 100, after: $s) { nodes { id target } } webhookDeliveries(first: 100, after: $s) { nodes { id endpoint } } } }`,
      { id: a.id, a: auditAfter, s: scansAfter },
      a.keys[role],
    );
    expect(paged.body.errors).toBeUndefined();
    const bAudit = await world.store.db.selectFrom('audit_log').select('id').where('tenant_id', '=', b.id).execute();
    const bIds = new Set(bAudit.map((r) => String(r.id)));
    const auditIds = paged.body.data.tenant.auditLog.nodes.map((n: any) => n.id);
    expect(auditIds.length).toBeGreaterThan(0);
    expect(auditIds.filter((id: string) => bIds.has(id))).toEqual([]);
    expect(paged.body.data.tenant.scans.nodes.map((n: any) => n.id)).not.toContain(bData.scanId);
    expect(paged.body.data.tenant.webhookDeliveries.nodes.map((n: any) => n.id)).not.toContain(bData.deliveryId);
    expectNothingOfB(JSON.stringify(paged.body));
    expect(await snapshotOf(b.id)).toBe(before);
  });
});

describe('Subscription.tenantChanges (SSE)', () => {
  const SUBSCRIPTION = gql`subscription($tenantId: ID) { tenantChanges(tenantId: $tenantId) { cursor action paths actorKeyId requestId } }`;
  const subscribe = (key: string, tenantId?: string) =>
    openSse(
      (r) => world.app.fetch(r),
      'http://gateway.test/graphql',
      { query: SUBSCRIPTION, variables: { tenantId } },
      { authorization: `Bearer ${key}` },
    );

  it.each(ROLES)("A's %s key naming B (or an unknown tenant) is FORBIDDEN, with nothing of B's", async (role) => {
    for (const id of [b.id, randomUUID()]) {
      const stream = await subscribe(a.keys[role], id);
      const payload = await stream.next();
      expect(payload.errors?.[0]?.extensions?.code, JSON.stringify(payload)).toBe('FORBIDDEN');
      await stream.ended;
      expectNothingOfB(stream.raw());
    }
  });

  it("A's stream never carries B's changes", async () => {
    const stream = await subscribe(a.keys.VIEWER);
    await world.gql(Q.updateTenantConfig, { input: { performance: { cache_size_mb: 3072 } } }, b.keys.OPERATOR);
    const mine = await world.gql(
      Q.updateTenantConfig,
      { input: { performance: { cache_size_mb: 3071 } } },
      a.keys.OPERATOR,
    );
    expect(mine.body.errors).toBeUndefined();
    const change = (await stream.next()).data.tenantChanges;
    expect(change.actorKeyId).toBe(a.keyIds.OPERATOR);
    expect(stream.pending()).toEqual([]);
    expectNothingOfB(stream.raw());
    await stream.close();
  });
});

/** Every REST route, with what A's key gets when it aims at B (or, on caller-scoped routes, at all). */
interface RestCase extends Case {
  method: string;
  path: string;
  /** The route table's pattern this case covers. */
  route: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Caller-scoped routes take no tenant or record id: they must answer with A's data only. */
  ownTenant?: boolean;
  /** What A's own data answers there when the role allows, if not 2xx. */
  ownStatus?: number;
}

const restCases = (): RestCase[] => [
  { route: 'GET /tenant/me', method: 'GET', path: '/tenant/me', minRole: 'VIEWER', code: 'FORBIDDEN', ownTenant: true },
  {
    route: 'GET /tenant/settings',
    method: 'GET',
    path: '/tenant/settings',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'PUT /tenant/settings',
    method: 'PUT',
    path: '/tenant/settings',
    body: { certExpiryDays: 12 },
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'PATCH /tenant/settings',
    method: 'PATCH',
    path: '/tenant/settings',
    body: { certExpiryDays: 13 },
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'POST /tenant/scans/:scanId/share',
    method: 'POST',
    path: `/tenant/scans/${bData.scanId}/share`,
    body: {},
    minRole: 'OPERATOR',
    code: 'NOT_FOUND',
  },
  {
    route: 'POST /tenant/scans/:scanId/share-links',
    method: 'POST',
    path: `/tenant/scans/${bData.scanId}/share-links`,
    body: {},
    minRole: 'OPERATOR',
    code: 'NOT_FOUND',
  },
  {
    route: 'DELETE /tenant/share-links/:id',
    method: 'DELETE',
    path: `/tenant/share-links/${bData.linkId}`,
    minRole: 'OPERATOR',
    code: 'NOT_FOUND',
  },
  {
    route: 'GET /api/admin/settings',
    method: 'GET',
    path: '/api/admin/settings',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'GET /api/admin/settings/:category',
    method: 'GET',
    path: '/api/admin/settings/webhooks',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'PUT /api/admin/settings/:category',
    method: 'PUT',
    path: '/api/admin/settings/webhooks',
    body: { enabled: true },
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'GET /api/admin/settings/feature-flags',
    method: 'GET',
    path: '/api/admin/settings/feature-flags',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'PUT /api/admin/settings/feature-flags/:flag',
    method: 'PUT',
    path: '/api/admin/settings/feature-flags/ml_features',
    body: { enabled: false },
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'POST /api/admin/settings/reset/:category',
    method: 'POST',
    path: '/api/admin/settings/reset/webhooks',
    minRole: 'ADMIN',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'GET /api/admin/audit-logs',
    method: 'GET',
    path: '/api/admin/audit-logs?limit=100',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'GET /api/admin/audit-logs/export',
    method: 'GET',
    path: '/api/admin/audit-logs/export?format=csv',
    minRole: 'ADMIN',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'GET /api/admin/audit-logs/export',
    method: 'GET',
    path: `/api/admin/audit-logs/export?format=json&tenant_id=${b.id}`,
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
  },
  {
    route: 'GET /api/v1/tenants/:id/config',
    method: 'GET',
    path: `/api/v1/tenants/${b.id}/config`,
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
  },
  {
    route: 'PUT /api/v1/tenants/:id/config',
    method: 'PUT',
    path: `/api/v1/tenants/${b.id}/config`,
    body: { performance: { cache_size_mb: 1024 } },
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
  },
  {
    route: 'GET /api/v1/tenants/:id/features',
    method: 'GET',
    path: `/api/v1/tenants/${b.id}/features`,
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
  },
  {
    route: 'GET /api/v1/tenants/:id/config',
    method: 'GET',
    path: `/api/v1/tenants/${randomUUID()}/config`,
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
  },
  {
    route: 'GET /api/v1/tenants/:id/config/history',
    method: 'GET',
    path: `/api/v1/tenants/${b.id}/config/history?limit=100`,
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
  },
  {
    route: 'GET /api/v1/tenants/:id/config/versions/:version',
    method: 'GET',
    path: `/api/v1/tenants/${b.id}/config/versions/1`,
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
  },
  {
    route: 'POST /api/v1/tenants/:id/config/rollback',
    method: 'POST',
    path: `/api/v1/tenants/${b.id}/config/rollback`,
    body: { to_version: 0 },
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
  },
  {
    route: 'POST /api/v1/tenants/:id/config/rollback',
    method: 'POST',
    path: `/api/v1/tenants/${b.id}/config/rollback?dry_run=true`,
    body: { to_version: 0 },
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
  },
  {
    route: 'PUT /api/v1/tenants/:id/config',
    method: 'PUT',
    path: `/api/v1/tenants/${b.id}/config?dry_run=true`,
    body: { performance: { cache_size_mb: 1024 } },
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
  },
  {
    route: 'GET /api/admin/settings/history',
    method: 'GET',
    path: '/api/admin/settings/history?limit=100',
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'GET /api/admin/settings/export',
    method: 'GET',
    path: '/api/admin/settings/export',
    minRole: 'ADMIN',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'GET /api/admin/settings/export',
    method: 'GET',
    path: `/api/admin/settings/export?tenant_id=${b.id}`,
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
  },
  {
    route: 'POST /api/admin/settings/import',
    method: 'POST',
    path: '/api/admin/settings/import',
    body: { format: 'tenant-configuration', format_version: 1, config: { performance: { cache_size_mb: 1024 } } },
    minRole: 'ADMIN',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'POST /api/admin/settings/import',
    method: 'POST',
    path: `/api/admin/settings/import?tenant_id=${b.id}`,
    body: { format: 'tenant-configuration', format_version: 1, config: { performance: { cache_size_mb: 1024 } } },
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
  },
  {
    route: 'POST /api/admin/settings/rollback',
    method: 'POST',
    path: '/api/admin/settings/rollback',
    body: { to_version: 0, paths: ['branding'] },
    minRole: 'OPERATOR',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  // OFREP: the tenant is always the key's, whatever the context names (B's markers are in these keys' values).
  {
    route: 'POST /ofrep/v1/evaluate/flags',
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags',
    body: { context: { targetingKey: b.id, tenantId: b.id } },
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'POST /ofrep/v1/evaluate/flags/:key',
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags/config.custom_settings',
    body: { context: { targetingKey: b.id, tenant_id: b.id } },
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
  {
    route: 'POST /ofrep/v1/evaluate/flags/:key',
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags/admin.branding.company_name',
    body: { context: { targetingKey: b.id } },
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
    // B has one; A has none, so A's answer is 404 "no value" (B's would be a 200).
    ownStatus: 404,
  },
  // Resuming after one of B's cursors only resumes A's own stream (cursors are per tenant).
  {
    route: 'GET /ofrep/v1/events',
    method: 'GET',
    path: '/ofrep/v1/events',
    headers: { 'last-event-id': '1' },
    minRole: 'VIEWER',
    code: 'FORBIDDEN',
    ownTenant: true,
  },
];

const STATUS = { FORBIDDEN: 403, NOT_FOUND: 404 };

describe('the REST routes', () => {
  it('every keyed route of the table is covered here', () => {
    const covered = new Set(restCases().map((c) => c.route));
    const keyed = routes.filter((r) => r.auth === 'key').map((r) => `${r.method} ${r.path}`);
    expect(keyed.filter((r) => !covered.has(r))).toEqual([]);
  });

  describe.each(ROLES)("with A's %s key", (role) => {
    it("reach nothing of B's and change nothing of B's", async () => {
      for (const c of restCases()) {
        const before = await snapshotOf(b.id);
        const res = await rest(world, c.method, c.path, { key: a.keys[role], body: c.body, headers: c.headers });
        const label = `${role} ${c.method} ${c.path}: ${res.text}`;
        if (c.ownTenant) {
          // Caller-scoped: A's own tenant; allowed or refused by role, never B's.
          if (RANK[role] < RANK[c.minRole]) expect(res.status, label).toBe(403);
          else if (c.ownStatus) expect(res.status, label).toBe(c.ownStatus);
          else expect([200, 201], label).toContain(res.status);
        } else {
          const expected = RANK[role] < RANK[c.minRole] ? 'FORBIDDEN' : c.code;
          expect(res.status, label).toBe(STATUS[expected]);
        }
        expectNothingOfB(res.text + JSON.stringify([...res.headers]));
        expect(await snapshotOf(b.id), label).toBe(before);
      }
    });
  });

  it("the audit-log route with a forged cursor lists only A's entries", async () => {
    const maxAudit = await world.store.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('id').as('max'))
      .executeTakeFirstOrThrow();
    const res = await rest(
      world,
      'GET',
      `/api/admin/audit-logs?limit=100&cursor=${encodeCursor(String(BigInt(maxAudit.max as string) + 1n))}`,
      { key: a.keys.VIEWER },
    );
    expect(res.status).toBe(200);
    const bIds = new Set(
      (await world.store.db.selectFrom('audit_log').select('id').where('tenant_id', '=', b.id).execute()).map((r) =>
        String(r.id),
      ),
    );
    expect(res.body.entries.length).toBeGreaterThan(0);
    expect(res.body.entries.filter((e: any) => bIds.has(String(e.id)))).toEqual([]);
  });

  it("B's data is still there, as B sees it (the attacks above did reach real rows)", async () => {
    const res = await world.gql(
      gql`query($id: ID!) { scan(id: $id) { id shareLinks { id active } } }`,
      { id: bData.scanId },
      b.keys.VIEWER,
    );
    expect(res.body.data.scan).toEqual({ id: bData.scanId, shareLinks: [{ id: bData.linkId, active: true }] });
  });
});
