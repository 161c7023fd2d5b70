import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../src/auth/secret-box.js';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

// Short canaries on purpose: a long compressible value is stored compressed and would not be
// found in plaintext even if it were stored unencrypted (STACK-FACTS).
const canary = () => `cnry${randomBytes(6).toString('hex')}`; // 16 characters, the minimum length

let world: World;
let tenant: TestTenant;
const canaries: string[] = [];
const responses: string[] = [];
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ tier: 'PRO' });
});
afterAll(() => world.close());

async function send(query: string, variables: Record<string, unknown>, key: string) {
  const res = await world.gql(query, variables, key);
  responses.push(JSON.stringify(res.body), JSON.stringify([...res.headers]));
  return res;
}

const status = async () =>
  (
    await send(
      gql`query($id: ID!) { tenant(id: $id) { settings { webhookSigningSecret { isSet updatedAt } webhooks { signing_secret { isSet updatedAt } } tenantSettings categories values { path value } } } }`,
      { id: tenant.id },
      tenant.keys.VIEWER,
    )
  ).body.data.tenant.settings;

/** Every table's contents as text, as Postgres itself renders them. */
async function databaseText(): Promise<string> {
  const tables = ['tenants', 'api_keys', 'setting_values', 'feature_flags', 'audit_log'];
  const parts = await Promise.all(
    tables.map((t) =>
      sql<{ t: string }>`select coalesce(json_agg(x)::text, '') as t from ${sql.table(t)} x`.execute(world.store.db),
    ),
  );
  return parts.map((p) => p.rows[0].t).join('\n');
}

describe('the webhook signing secret: one value, encrypted at rest, never shown', () => {
  it('set through seed 000 (updateTenantSettings): shows only isSet/updatedAt and "[redacted]"', async () => {
    const secret = canary();
    canaries.push(secret);
    const res = await send(Q.updateTenantSettings, { input: { webhookSigningSecret: secret } }, tenant.keys.OPERATOR);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.updateTenantSettings.changes).toEqual([
      { path: 'webhookSigningSecret', category: null, old: null, new: '[redacted]' },
    ]);
    const s = await status();
    expect(s.webhookSigningSecret.isSet).toBe(true);
    expect(s.webhooks.signing_secret).toEqual(s.webhookSigningSecret); // one value under both names
    expect(s.tenantSettings.webhookSigningSecret).toBe('[redacted]');
    expect(s.categories.webhooks.signing_secret).toBe('[redacted]');
    expect(s.values.find((v: any) => v.path === 'settings.webhookSigningSecret').value).toBe('[redacted]');
  });

  it('set through the webhooks category (updateAdminSettings) replaces the same value', async () => {
    const secret = canary();
    canaries.push(secret);
    const res = await send(
      Q.updateAdminSettings,
      { input: { webhooks: { signing_secret: secret, enabled: true } } },
      tenant.keys.ADMIN,
    );
    expect(res.body.data.updateAdminSettings.changes).toEqual([
      { path: 'enabled', category: 'webhooks', old: false, new: true },
      { path: 'signing_secret', category: 'webhooks', old: '[redacted]', new: '[redacted]' },
    ]);
    const rows = await world.store.db
      .selectFrom('setting_values')
      .selectAll()
      .where('tenant_id', '=', tenant.id)
      .where('path', 'like', '%ecret%')
      .execute();
    expect(rows.map((r) => r.path)).toEqual(['settings.webhookSigningSecret']);
    expect(rows[0].value).toBeNull();
    // Encrypted with the configured key and bound to this tenant and path (AES-256-GCM).
    const box = createSecretBox(world.config.secretsKey);
    const sealed = rows[0].encrypted_value!;
    expect(box.open(sealed, { tenantId: tenant.id, storagePath: 'settings.webhookSigningSecret' })).toBe(secret);
    expect(() => box.open(sealed, { tenantId: tenant.id, storagePath: 'settings.other' })).toThrow();
    expect(() =>
      box.open(sealed, {
        tenantId: '00000000-0000-4000-8000-000000000000',
        storagePath: 'settings.webhookSigningSecret',
      }),
    ).toThrow();
    expect(() =>
      createSecretBox(randomBytes(32)).open(sealed, {
        tenantId: tenant.id,
        storagePath: 'settings.webhookSigningSecret',
      }),
    ).toThrow();
  });

  it('writing the same secret again is not a change (no version bump, no audit entry)', async () => {
    const before = (await status()).webhookSigningSecret.updatedAt;
    const res = await send(
      Q.updateTenantSettings,
      { input: { webhookSigningSecret: canaries[1] } },
      tenant.keys.OPERATOR,
    );
    expect(res.body.data.updateTenantSettings.changes).toEqual([]);
    expect((await status()).webhookSigningSecret.updatedAt).toBe(before);
  });

  it('through the platform admin, a refused (too short) write, and a clear', async () => {
    const secret = canary();
    canaries.push(secret);
    expect(
      (
        await send(
          Q.updateTenantSettings,
          { tenantId: tenant.id, input: { webhookSigningSecret: secret } },
          PLATFORM_KEY,
        )
      ).body.errors,
    ).toBeUndefined();
    const short = canary().slice(0, 12);
    canaries.push(short);
    expect(
      (await send(Q.updateTenantSettings, { input: { webhookSigningSecret: short } }, tenant.keys.OPERATOR)).body
        .errors![0].extensions.code,
    ).toBe('BAD_USER_INPUT');
    const last = canary();
    canaries.push(last);
    await send(Q.updateAdminSettings, { input: { webhooks: { signing_secret: last } } }, tenant.keys.OPERATOR);
    const cleared = await send(Q.updateTenantSettings, { input: { webhookSigningSecret: null } }, tenant.keys.OPERATOR);
    expect(cleared.body.data.updateTenantSettings.changes).toEqual([
      { path: 'webhookSigningSecret', category: null, old: '[redacted]', new: null },
    ]);
    expect((await status()).webhookSigningSecret).toEqual({ isSet: false, updatedAt: null });
    const again = canary();
    canaries.push(again);
    await send(Q.updateTenantSettings, { input: { webhookSigningSecret: again } }, tenant.keys.OPERATOR);
    expect((await status()).webhookSigningSecret.isSet).toBe(true);
  });

  it('resetting the webhooks category clears it (it is part of that category)', async () => {
    const res = await send(Q.reset, { category: 'webhooks' }, tenant.keys.ADMIN);
    expect(res.body.data.resetSettingsCategory.changes).toContainEqual({
      path: 'signing_secret',
      category: 'webhooks',
      old: '[redacted]',
      new: null,
    });
    expect((await status()).webhookSigningSecret.isSet).toBe(false);
    const last = canary();
    canaries.push(last);
    await send(Q.updateTenantSettings, { input: { webhookSigningSecret: last } }, tenant.keys.OPERATOR);
  });

  it('no canary appears in any response, audit entry, log line, or in plaintext in the database', async () => {
    const audit = await send(Q.auditLog, { id: tenant.id, first: 100 }, tenant.keys.ADMIN);
    const entries = audit.body.data.tenant.auditLog.nodes;
    const secretEntries = entries.filter((e: any) => e.changes && 'settings.webhookSigningSecret' in e.changes);
    expect(secretEntries).toHaveLength(8); // 6 sets, 1 clear, 1 reset; the refused and the repeated write left none
    for (const e of secretEntries)
      expect(
        Object.values(e.changes['settings.webhookSigningSecret']).every((v) => v === null || v === '[redacted]'),
      ).toBe(true);
    expect(JSON.stringify(entries)).toContain('[redacted]');
    const logs = world.logText();
    expect(logs.length).toBeGreaterThan(0);
    const db = await databaseText();
    expect(db).toContain('v1.'); // the sealed value is there…
    expect(canaries.length).toBe(7);
    for (const secret of canaries) {
      expect(responses.join('\n'), 'responses').not.toContain(secret);
      expect(logs, 'logs').not.toContain(secret);
      expect(db, 'database').not.toContain(secret); // …the plaintext is not
      expect(db, 'database (hex)').not.toContain(Buffer.from(secret).toString('hex'));
    }
  });
});
