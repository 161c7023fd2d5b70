import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, Q, snapshot } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { rest } from './helpers/rest.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

/**
 * Configuration history: every committed write of the settings, the config and the flags leaves
 * one version (in its transaction); any version can be shown, compared and rolled back to.
 */

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

/** A change as the history, diff and rollback fields list it. */
interface Change {
  path: string;
  category: string | null;
  old: unknown;
  new: unknown;
}

const H = {
  history: gql<{
    tenant: {
      history: {
        nodes: {
          document: string;
          version: number;
          createdAt: string;
          actorKeyId: string | null;
          actorRole: string;
          requestId: string | null;
          changes: Change[];
        }[];
        pageInfo: { endCursor: string | null; hasNextPage: boolean };
      };
    };
  }>`query($id: ID!, $doc: ConfigDocument!, $path: String, $since: DateTime, $until: DateTime, $first: Int, $after: String) { tenant(id: $id) {
    history(document: $doc, path: $path, since: $since, until: $until, first: $first, after: $after) {
      nodes { document version createdAt actorKeyId actorRole requestId changes { path category old new } } pageInfo { endCursor hasNextPage } } } }`,
  documentAt: gql<{
    tenant: { documentAt: Record<string, any> };
  }>`query($id: ID!, $doc: ConfigDocument!, $v: Int!) { tenant(id: $id) { documentAt(document: $doc, version: $v) } }`,
  diff: gql<{
    tenant: { diff: Change[] };
  }>`query($id: ID!, $doc: ConfigDocument!, $from: Int!, $to: Int!) { tenant(id: $id) { diff(document: $doc, from: $from, to: $to) { path category old new } } }`,
  rollback: gql<{
    rollback: { document: string; version: number; dryRun: boolean; changes: Change[] };
  }>`mutation($doc: ConfigDocument!, $to: Int!, $paths: [String!], $v: Int, $tenantId: ID, $dryRun: Boolean) {
    rollback(document: $doc, toVersion: $to, paths: $paths, expectedVersion: $v, tenantId: $tenantId, dryRun: $dryRun) { document version dryRun changes { path category old new } } }`,
};

const ok = <T>(res: { body: { data?: T; errors?: unknown } }): T => {
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data as T;
};
const history = async (t: TestTenant, doc: string, extra: Record<string, unknown> = {}) =>
  ok(await world.gql(H.history, { id: t.id, doc, first: 100, ...extra }, t.keys.VIEWER)).tenant.history;
const configDoc = async (t: TestTenant) => ok(await world.gql(Q.config, { id: t.id }, t.keys.VIEWER)).tenant.config;

describe('every version kept', () => {
  it('N config writes give N versions, newest first, with actor, request id and changes; documentAt(k) is what a read returned after write k', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const writes = [
      { performance: { cache_size_mb: 2048 } },
      { performance: { cache_size_mb: 4096, max_parallel_workers: 16 } },
      { security: { session_timeout_mins: 45 }, custom_settings: { team: 'blue' } },
      { performance: { cache_size_mb: 1024 } },
    ];
    const readsAfter: unknown[] = [];
    // The request id recorded is ours (x-request-id of the answer), never the client's.
    const requestIds: string[] = [];
    for (const [i, input] of writes.entries()) {
      const res = await world.request('/graphql', {
        method: 'POST',
        key: i % 2 ? t.keys.ADMIN : t.keys.OPERATOR,
        headers: { 'content-type': 'application/json', 'x-request-id': `hist-write-${i}` },
        body: JSON.stringify({ query: Q.updateTenantConfig, variables: { input } }),
      });
      expect((await res.json()).errors).toBeUndefined();
      requestIds.unshift(res.headers.get('x-request-id') ?? '');
      readsAfter.push((await configDoc(t)).document);
    }
    const page = await history(t, 'TENANT_CONFIG');
    expect(page.nodes.map((n) => n.version)).toEqual([4, 3, 2, 1]);
    expect(page.nodes.map((n) => n.requestId)).toEqual(requestIds);
    expect(requestIds.every((id) => id && !id.startsWith('hist-write-'))).toBe(true);
    expect(page.nodes.map((n) => n.actorRole)).toEqual(['ADMIN', 'OPERATOR', 'ADMIN', 'OPERATOR']);
    expect(page.nodes[3].actorKeyId).toBe(t.keyIds.OPERATOR);
    expect(page.nodes[2].changes).toEqual([
      { path: 'performance.cache_size_mb', category: null, old: 2048, new: 4096 },
      { path: 'performance.max_parallel_workers', category: null, old: 8, new: 16 },
    ]);
    for (const [i, read] of readsAfter.entries()) {
      expect(
        ok(await world.gql(H.documentAt, { id: t.id, doc: 'TENANT_CONFIG', v: i + 1 }, t.keys.VIEWER)).tenant
          .documentAt,
      ).toEqual(read);
    }
    // Version 0: before the first write, the defaults.
    const v0 = ok(await world.gql(H.documentAt, { id: t.id, doc: 'TENANT_CONFIG', v: 0 }, t.keys.VIEWER)).tenant
      .documentAt;
    expect((v0 as any).performance.cache_size_mb).toBe(1024);
    expect((v0 as any).custom_settings).toEqual({});
    // A version that does not exist (yet).
    expectCode(await world.gql(H.documentAt, { id: t.id, doc: 'TENANT_CONFIG', v: 5 }, t.keys.VIEWER), 'NOT_FOUND');

    // The diff of two versions, either way.
    const diff = ok(await world.gql(H.diff, { id: t.id, doc: 'TENANT_CONFIG', from: 1, to: 3 }, t.keys.VIEWER)).tenant
      .diff;
    expect(diff).toEqual([
      { path: 'performance.cache_size_mb', category: null, old: 2048, new: 4096 },
      { path: 'performance.max_parallel_workers', category: null, old: 8, new: 16 },
      { path: 'security.session_timeout_mins', category: null, old: 30, new: 45 },
      { path: 'custom_settings', category: null, old: {}, new: { team: 'blue' } },
    ]);
    const back = ok(await world.gql(H.diff, { id: t.id, doc: 'TENANT_CONFIG', from: 3, to: 1 }, t.keys.VIEWER)).tenant
      .diff;
    expect(back.map((c) => [c.path, c.old, c.new])).toEqual(diff.map((c) => [c.path, c.new, c.old]));

    // Filters: a path prefix, pages, time.
    expect((await history(t, 'TENANT_CONFIG', { path: 'security.' })).nodes.map((n) => n.version)).toEqual([3]);
    expect(
      (await history(t, 'TENANT_CONFIG', { path: 'performance.max_parallel' })).nodes.map((n) => n.version),
    ).toEqual([2]);
    const first = await history(t, 'TENANT_CONFIG', { first: 3 });
    expect(first.nodes.map((n) => n.version)).toEqual([4, 3, 2]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await history(t, 'TENANT_CONFIG', { first: 3, after: first.pageInfo.endCursor });
    expect(second.nodes.map((n) => n.version)).toEqual([1]);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect((await history(t, 'TENANT_CONFIG', { since: new Date(Date.now() + 60_000).toISOString() })).nodes).toEqual(
      [],
    );
    expect(
      (await history(t, 'TENANT_CONFIG', { until: new Date(Date.now() + 60_000).toISOString() })).nodes,
    ).toHaveLength(4);
  });

  it('settings (seed 000 + categories share one counter) and flags are versioned; secrets are "[redacted]"; no-op writes make no version', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    ok(
      await world.gql(
        Q.updateTenantSettings,
        { input: { certExpiryDays: 20, webhookSigningSecret: 'first-secret-1234' } },
        t.keys.OPERATOR,
      ),
    );
    ok(
      await world.gql(
        Q.updateAdminSettings,
        { input: { authentication: { password_policy: { min_length: 14 } } } },
        t.keys.OPERATOR,
      ),
    );
    ok(
      await world.gql(
        Q.updateAdminSettings,
        { input: { authentication: { password_policy: { min_length: 14 } } } },
        t.keys.OPERATOR,
      ),
    );
    ok(
      await world.gql(Q.updateTenantSettings, { input: { webhookSigningSecret: 'second-secret-5678' } }, t.keys.ADMIN),
    );
    const settings = await history(t, 'SETTINGS');
    expect(settings.nodes.map((n) => n.version)).toEqual([3, 2, 1]);
    expect(settings.nodes[0].changes).toEqual([
      { path: 'webhookSigningSecret', category: null, old: '[redacted]', new: '[redacted]' },
    ]);
    expect(settings.nodes[1].changes).toEqual([
      { path: 'password_policy.min_length', category: 'authentication', old: 8, new: 14 },
    ]);
    expect((await history(t, 'SETTINGS', { path: 'password_policy.' })).nodes.map((n) => n.version)).toEqual([2]);
    expect(
      (await history(t, 'SETTINGS', { path: 'authentication.password_policy.min_length' })).nodes.map((n) => n.version),
    ).toEqual([2]);
    const text =
      JSON.stringify(settings) +
      JSON.stringify(ok(await world.gql(H.documentAt, { id: t.id, doc: 'SETTINGS', v: 3 }, t.keys.VIEWER)));
    expect(text).not.toContain('first-secret');
    expect(text).not.toContain('second-secret');
    const rows = await world.store.db
      .selectFrom('config_versions')
      .select(['changes', 'state'])
      .where('tenant_id', '=', t.id)
      .execute();
    expect(JSON.stringify(rows)).not.toMatch(/first-secret|second-secret/);

    ok(await world.gql(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, t.keys.OPERATOR));
    ok(await world.gql(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, t.keys.OPERATOR));
    ok(await world.gql(Q.setFeatureFlag, { key: 'advanced_mfa', enabled: false }, t.keys.ADMIN));
    const flags = await history(t, 'FEATURE_FLAGS');
    expect(flags.nodes.map((n) => [n.version, n.changes])).toEqual([
      [2, [{ path: 'advanced_mfa', category: null, old: true, new: false }]],
      [1, [{ path: 'ml_features', category: null, old: false, new: true }]],
    ]);
    const at1 = ok(await world.gql(H.documentAt, { id: t.id, doc: 'FEATURE_FLAGS', v: 1 }, t.keys.VIEWER)).tenant
      .documentAt;
    expect(at1).toMatchObject({ ml_features: true, advanced_mfa: true });
  });

  it('the platform admin is recorded as PLATFORM_ADMIN without a key id', async () => {
    const t = await world.createTenantWithKeys();
    ok(
      await world.gql(
        Q.updateTenantConfig,
        { tenantId: t.id, input: { performance: { cache_size_mb: 3000 } } },
        PLATFORM_KEY,
      ),
    );
    const [v] = (await history(t, 'TENANT_CONFIG')).nodes;
    expect([v.actorRole, v.actorKeyId]).toEqual(['PLATFORM_ADMIN', null]);
  });
});

describe('rollback', () => {
  it('of one path, then of the whole document, each a NEW version, audited config.rollback', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    ok(
      await world.gql(
        Q.updateTenantConfig,
        { input: { performance: { cache_size_mb: 2048 }, security: { session_timeout_mins: 60 } } },
        t.keys.OPERATOR,
      ),
    );
    const afterV1 = (await configDoc(t)).document;
    ok(
      await world.gql(
        Q.updateTenantConfig,
        { input: { performance: { cache_size_mb: 8192 }, security: { session_timeout_mins: 15 } } },
        t.keys.OPERATOR,
      ),
    );
    const one = ok(
      await world.gql(
        H.rollback,
        { doc: 'TENANT_CONFIG', to: 1, paths: ['performance.cache_size_mb'] },
        t.keys.OPERATOR,
      ),
    ).rollback;
    expect(one).toEqual({
      document: 'TENANT_CONFIG',
      version: 3,
      dryRun: false,
      changes: [{ path: 'performance.cache_size_mb', category: null, old: 8192, new: 2048 }],
    });
    expect((await configDoc(t)).document.security.session_timeout_mins).toBe(15);
    const whole = ok(await world.gql(H.rollback, { doc: 'TENANT_CONFIG', to: 1, v: 3 }, t.keys.OPERATOR)).rollback;
    expect(whole.version).toBe(4);
    expect(whole.changes).toEqual([{ path: 'security.session_timeout_mins', category: null, old: 15, new: 60 }]);
    expect((await configDoc(t)).document).toEqual(afterV1);
    // Back to version 0: every stored value goes, the defaults apply again.
    const zero = ok(await world.gql(H.rollback, { doc: 'TENANT_CONFIG', to: 0 }, t.keys.OPERATOR)).rollback;
    expect(zero.version).toBe(5);
    expect(
      await world.store.db.selectFrom('setting_values').select('path').where('tenant_id', '=', t.id).execute(),
    ).toEqual([]);
    const audit = ok(await world.gql(Q.auditLog, { id: t.id, filter: { action: 'config.rollback' } }, t.keys.VIEWER))
      .tenant.auditLog.nodes;
    expect(audit).toHaveLength(3);
    expect(audit[2].changes).toEqual({ 'config.performance.cache_size_mb': { old: 8192, new: 2048 } });
    expect((await history(t, 'TENANT_CONFIG')).nodes.map((n) => n.version)).toEqual([5, 4, 3, 2, 1]);
    // Unknown paths and versions are refused.
    expectCode(
      await world.gql(H.rollback, { doc: 'TENANT_CONFIG', to: 1, paths: ['performance.nope'] }, t.keys.OPERATOR),
      'BAD_USER_INPUT',
    );
    expectCode(await world.gql(H.rollback, { doc: 'TENANT_CONFIG', to: 99 }, t.keys.OPERATOR), 'NOT_FOUND');
    expectCode(await world.gql(H.rollback, { doc: 'TENANT_CONFIG', to: 1 }, t.keys.VIEWER), 'FORBIDDEN');
  });

  it('refused by a HIPAA rule writes nothing; a stale expectedVersion is a CONFLICT', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    ok(await world.gql(Q.updateTenantConfig, { input: { security: { encryption_at_rest: false } } }, t.keys.OPERATOR));
    ok(await world.gql(Q.updateTenantConfig, { input: { security: { encryption_at_rest: true } } }, t.keys.OPERATOR));
    ok(await world.gql(Q.updateTenantConfig, { input: { compliance: { hipaa: true } } }, t.keys.OPERATOR));
    const before = await snapshot(world, t.id);
    const refused = await world.gql(
      H.rollback,
      { doc: 'TENANT_CONFIG', to: 1, paths: ['security.encryption_at_rest'] },
      t.keys.OPERATOR,
    );
    expectCode(refused, 'BAD_USER_INPUT');
    expect(refused.body.errors[0].message).toBe('HIPAA compliance requires encryption at rest');
    expect(await snapshot(world, t.id)).toBe(before);
    expect((await history(t, 'TENANT_CONFIG')).nodes).toHaveLength(3);

    const stale = await world.gql(H.rollback, { doc: 'TENANT_CONFIG', to: 2, v: 2 }, t.keys.OPERATOR);
    expectCode(stale, 'CONFLICT');
    expect(stale.body.errors[0].extensions.currentVersion).toBe(3);
    expect(await snapshot(world, t.id)).toBe(before);
    // Two rollbacks racing with the same expectedVersion: one wins, one is a CONFLICT.
    const raced = await Promise.all([
      world.gql(H.rollback, { doc: 'TENANT_CONFIG', to: 2, v: 3 }, t.keys.OPERATOR),
      world.gql(H.rollback, { doc: 'TENANT_CONFIG', to: 1, paths: ['compliance.hipaa'], v: 3 }, t.keys.OPERATOR),
    ]);
    expect(raced.map((r) => r.body.errors?.[0]?.extensions?.code ?? 'OK').sort()).toEqual(['CONFLICT', 'OK']);
  });

  it('a secret rolled back is restored from its ciphertext: never shown, and it is the old secret again', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    ok(
      await world.gql(
        Q.updateTenantSettings,
        { input: { webhookSigningSecret: 'whsec-original-4242' } },
        t.keys.OPERATOR,
      ),
    );
    ok(
      await world.gql(
        Q.updateTenantSettings,
        { input: { webhookSigningSecret: 'whsec-replaced-9999', certExpiryDays: 9 } },
        t.keys.OPERATOR,
      ),
    );
    const res = ok(
      await world.gql(H.rollback, { doc: 'SETTINGS', to: 1, paths: ['webhookSigningSecret'] }, t.keys.OPERATOR),
    ).rollback;
    expect(res.changes).toEqual([
      { path: 'webhookSigningSecret', category: null, old: '[redacted]', new: '[redacted]' },
    ]);
    const stored = await world.store.db
      .selectFrom('config_versions')
      .select('state')
      .where('tenant_id', '=', t.id)
      .where('version', '=', 1)
      .executeTakeFirstOrThrow();
    const row = await world.store.db
      .selectFrom('setting_values')
      .selectAll()
      .where('tenant_id', '=', t.id)
      .where('path', '=', 'settings.webhookSigningSecret')
      .executeTakeFirstOrThrow();
    expect(row.encrypted_value).toBe((stored.state as any)['settings.webhookSigningSecret'].enc);
    // The write path opens it: setting the original plaintext again is no change at all.
    const same = ok(
      await world.gql(
        Q.updateTenantSettings,
        { input: { webhookSigningSecret: 'whsec-original-4242' } },
        t.keys.OPERATOR,
      ),
    ).updateTenantSettings;
    expect(same.changes).toEqual([]);
    const settings = ok(await world.gql(Q.settings, { id: t.id }, t.keys.ADMIN));
    expect(JSON.stringify(settings)).not.toMatch(/whsec-/);
    expect(settings.tenant.settings.tenantSettings.certExpiryDays).toBe(9);
    expect(world.logText()).not.toMatch(/whsec-/);
  });

  it('of feature flags, refused above the tier like any flag write', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    ok(await world.gql(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, t.keys.OPERATOR));
    ok(await world.gql(Q.setFeatureFlag, { key: 'advanced_mfa', enabled: false }, t.keys.OPERATOR));
    const back = ok(await world.gql(H.rollback, { doc: 'FEATURE_FLAGS', to: 0 }, t.keys.OPERATOR)).rollback;
    expect(back.version).toBe(3);
    expect(back.changes).toEqual([
      { path: 'advanced_mfa', category: null, old: false, new: true },
      { path: 'ml_features', category: null, old: true, new: false },
    ]);
    const flags = ok(
      await world.gql(
        gql<{
          tenant: { featureFlags: { key: string; enabled: boolean; updatedAt: string | null }[] };
        }>`query($id: ID!) { tenant(id: $id) { featureFlags { key enabled updatedAt } } }`,
        { id: t.id },
        t.keys.VIEWER,
      ),
    ).tenant.featureFlags;
    expect(flags.filter((f) => f.updatedAt !== null)).toEqual([]);
  });
});

describe('REST', () => {
  it('v1 history, versions/{version} (the GET body as it was) and rollback with If-Match', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const put = await rest(world, 'PUT', `/api/v1/tenants/${t.id}/config`, {
      key: t.keys.OPERATOR,
      body: { performance: { cache_size_mb: 2048 } },
      headers: { 'x-request-id': 'rest-hist-1' },
    });
    expect(put.status, put.text).toBe(200);
    const getAfter1 = await rest(world, 'GET', `/api/v1/tenants/${t.id}/config`, { key: t.keys.VIEWER });
    expect(
      (
        await rest(world, 'PUT', `/api/v1/tenants/${t.id}/config`, {
          key: t.keys.OPERATOR,
          body: { performance: { cache_size_mb: 4096 } },
        })
      ).status,
    ).toBe(200);

    const hist = await rest(world, 'GET', `/api/v1/tenants/${t.id}/config/history?path=performance.&limit=1`, {
      key: t.keys.VIEWER,
    });
    expect(hist.status, hist.text).toBe(200);
    expect(hist.body).toEqual({
      tenant_id: t.id,
      versions: [
        {
          version: 2,
          created_at: expect.any(String),
          actor_role: 'OPERATOR',
          actor_key_id: t.keyIds.OPERATOR,
          request_id: expect.any(String),
          changes: [{ path: 'performance.cache_size_mb', old: 2048, new: 4096 }],
        },
      ],
      next_cursor: expect.any(String),
    });
    const next = await rest(
      world,
      'GET',
      `/api/v1/tenants/${t.id}/config/history?limit=1&cursor=${hist.body.next_cursor}`,
      { key: t.keys.VIEWER },
    );
    expect(next.body.versions.map((v: any) => [v.version, v.request_id])).toEqual([
      [1, put.headers.get('x-request-id')],
    ]);
    expect(next.body.next_cursor).toBeNull();

    const v1 = await rest(world, 'GET', `/api/v1/tenants/${t.id}/config/versions/1`, { key: t.keys.VIEWER });
    expect(v1.status, v1.text).toBe(200);
    expect(v1.body).toEqual({ ...getAfter1.body, version: 1 });
    for (const bad of ['3', 'abc', '-1']) {
      const res = await rest(world, 'GET', `/api/v1/tenants/${t.id}/config/versions/${bad}`, { key: t.keys.VIEWER });
      expect([res.status, res.body.code, res.body.tenant_id], res.text).toEqual([404, 404, t.id]);
    }

    const stale = await rest(world, 'POST', `/api/v1/tenants/${t.id}/config/rollback`, {
      key: t.keys.OPERATOR,
      body: { to_version: 1 },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status, stale.text).toBe(412);
    const done = await rest(world, 'POST', `/api/v1/tenants/${t.id}/config/rollback`, {
      key: t.keys.OPERATOR,
      body: { to_version: 1, paths: ['performance.cache_size_mb'] },
      headers: { 'if-match': '"2"' },
    });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toEqual({
      tenant_id: t.id,
      message: 'Successfully updated 1 configuration field(s)',
      updated_fields: ['performance.cache_size_mb'],
      updated_at: expect.any(String),
    });
    expect(done.headers.get('etag')).toBe('"3"');
    const refused = await rest(world, 'POST', `/api/v1/tenants/${t.id}/config/rollback`, {
      key: t.keys.VIEWER,
      body: { to_version: 1 },
    });
    expect(refused.status).toBe(403);
  });

  it('admin settings history and rollback', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    expect(
      (
        await rest(world, 'PUT', '/api/admin/settings/authentication', {
          key: t.keys.OPERATOR,
          body: { password_policy: { min_length: 13 } },
        })
      ).status,
    ).toBe(200);
    expect(
      (await rest(world, 'PUT', '/tenant/settings', { key: t.keys.OPERATOR, body: { certExpiryDays: 50 } })).status,
    ).toBe(200);
    const hist = await rest(world, 'GET', '/api/admin/settings/history', { key: t.keys.VIEWER });
    expect(hist.status, hist.text).toBe(200);
    expect(hist.body.versions.map((v: any) => [v.version, v.changes])).toEqual([
      [2, [{ category: null, path: 'certExpiryDays', old: 30, new: 50 }]],
      [1, [{ category: 'authentication', path: 'password_policy.min_length', old: 8, new: 13 }]],
    ]);
    expect(typeof hist.body.versions[0].created_at).toBe('number');
    const back = await rest(world, 'POST', '/api/admin/settings/rollback', {
      key: t.keys.OPERATOR,
      body: { to_version: 0, paths: ['authentication'] },
    });
    expect(back.status, back.text).toBe(200);
    expect(back.body).toEqual({
      updated: true,
      to_version: 0,
      changes: { 'authentication.password_policy.min_length': { old: 13, new: 8 } },
      updated_at: expect.any(Number),
    });
    const settings = await rest(world, 'GET', '/tenant/settings', { key: t.keys.VIEWER });
    expect(settings.body.settings.certExpiryDays).toBe(50);
  });
});
