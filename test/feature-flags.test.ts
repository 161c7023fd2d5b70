import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { features } from '../src/catalog/features.js';
import { expectCode, Q, snapshot } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { createWorld, PLATFORM_KEY, type World } from './helpers/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

const flagsQuery = gql`query($id: ID!) { tenant(id: $id) { featureFlags { key displayName description enabled category impact tierRequired available updatedAt } } }`;
const flagsOf = async (id: string, key: string) =>
  (await world.gql(flagsQuery, { id }, key)).body.data.tenant.featureFlags as any[];
const entitlements = async (key: string) =>
  (await world.gql(gql`{ me { entitlements } }`, {}, key)).body.data.me.entitlements;

describe('one feature catalog behind seed 001 flags and seed 003 features', () => {
  it("lists seed 001's four flags with their documented fields (Enterprise tenant on defaults)", async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const flags = await flagsOf(t.id, t.keys.VIEWER);
    const pick = (key: string) => {
      const f = flags.find((x) => x.key === key);
      return {
        key: f.key,
        display_name: f.displayName,
        description: f.description,
        enabled: f.enabled,
        category: f.category,
        impact: f.impact,
      };
    };
    expect(['passwordless_enabled', 'advanced_mfa', 'rebac_enabled', 'audit_log_export'].map(pick)).toEqual([
      {
        key: 'passwordless_enabled',
        display_name: 'Passwordless Authentication',
        description: 'Enable passwordless authentication with WebAuthn/Passkeys',
        enabled: false,
        category: 'authentication',
        impact: 'low',
      },
      {
        key: 'advanced_mfa',
        display_name: 'Advanced MFA',
        description: 'Enable risk-based MFA and adaptive authentication',
        enabled: true,
        category: 'security',
        impact: 'medium',
      },
      {
        key: 'rebac_enabled',
        display_name: 'ReBAC',
        description: 'Enable relationship-based access control',
        enabled: true,
        category: 'access_control',
        impact: 'high',
      },
      {
        key: 'audit_log_export',
        display_name: 'Audit Log Export',
        description: 'CSV/JSON export functionality for audit logs',
        enabled: true,
        category: 'compliance',
        impact: 'low',
      },
    ]);
  });

  it("lists seed 003's five features with enabled, available, description and tier, and its totals 12 / 18", async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const flags = await flagsOf(t.id, t.keys.VIEWER);
    const pick = (name: string) => {
      const f = flags.find((x) => x.key === name);
      return {
        name,
        enabled: f.enabled,
        available: f.available,
        description: f.description,
        tier_required: f.tierRequired,
      };
    };
    expect(
      ['advanced_analytics', 'ml_features', 'row_level_security', 'encryption_at_rest', 'multi_factor_auth'].map(pick),
    ).toEqual([
      {
        name: 'advanced_analytics',
        enabled: true,
        available: true,
        description: 'Advanced analytics and reporting capabilities',
        tier_required: 'PRO',
      },
      {
        name: 'ml_features',
        enabled: false,
        available: true,
        description: 'Machine learning and AI features',
        tier_required: 'ENTERPRISE',
      },
      {
        name: 'row_level_security',
        enabled: true,
        available: true,
        description: 'Row-level security for data isolation',
        tier_required: 'BASIC',
      },
      {
        name: 'encryption_at_rest',
        enabled: true,
        available: true,
        description: 'Data encryption at rest',
        tier_required: 'BASIC',
      },
      {
        name: 'multi_factor_auth',
        enabled: false,
        available: true,
        description: 'Multi-factor authentication requirement',
        tier_required: 'PRO',
      },
    ]);
    expect(flags).toHaveLength(18);
    expect(flags.filter((f) => f.enabled)).toHaveLength(12);
    expect(flags.filter((f) => f.available)).toHaveLength(18);
    expect(new Set(flags.map((f) => f.key)).size).toBe(18);
  });

  it('availability follows the tier, Basic < Pro < Enterprise; seed 004 entitlements are enabled && available', async () => {
    for (const [tier, available] of [
      ['BASIC', 6],
      ['PRO', 14],
      ['ENTERPRISE', 18],
    ] as const) {
      const t = await world.createTenantWithKeys({ tier });
      const flags = await flagsOf(t.id, t.keys.VIEWER);
      expect(
        flags.filter((f) => f.available),
        tier,
      ).toHaveLength(available);
      const ent = await entitlements(t.keys.VIEWER);
      expect(Object.keys(ent)).toEqual(features.map((f) => f.key));
      for (const f of flags) expect(ent[f.key], `${tier} ${f.key}`).toBe(f.enabled && f.available);
      if (tier === 'BASIC') {
        expect(ent.advanced_analytics).toBe(false); // Pro feature, on by default, not available
        expect(ent.row_level_security).toBe(true);
      }
    }
  });
});

describe('setFeatureFlag (seed 001 PUT /feature-flags/:flag)', () => {
  it('switches a flag on and off, with updatedAt, audit entries and entitlements following', async () => {
    const t = await world.createTenantWithKeys({ tier: 'PRO' });
    const on = await world.gql(Q.setFeatureFlag, { key: 'passwordless_enabled', enabled: true }, t.keys.OPERATOR);
    expect(on.body.errors).toBeUndefined();
    expect(on.body.data.setFeatureFlag.flag).toMatchObject({
      key: 'passwordless_enabled',
      enabled: true,
      available: true,
      tierRequired: 'PRO',
    });
    expect(typeof on.body.data.setFeatureFlag.updatedAt).toBe('string');
    expect((await entitlements(t.keys.VIEWER)).passwordless_enabled).toBe(true);
    const off = await world.gql(Q.setFeatureFlag, { key: 'advanced_mfa', enabled: false }, t.keys.ADMIN);
    expect(off.body.data.setFeatureFlag.flag.enabled).toBe(false);
    expect((await entitlements(t.keys.VIEWER)).advanced_mfa).toBe(false);
    const log = await world.gql(Q.auditLog, { id: t.id, filter: { action: 'feature_flag.update' } }, t.keys.VIEWER);
    expect(log.body.data.tenant.auditLog.nodes.map((e: any) => [e.target, e.changes])).toEqual([
      ['feature_flag:advanced_mfa', { enabled: { old: true, new: false } }],
      ['feature_flag:passwordless_enabled', { enabled: { old: false, new: true } }],
    ]);
  });

  it('setting the current value is not a change: nothing written, no audit entry', async () => {
    const t = await world.createTenantWithKeys({ tier: 'PRO' });
    const before = await snapshot(world, t.id);
    const res = await world.gql(Q.setFeatureFlag, { key: 'advanced_mfa', enabled: true }, t.keys.OPERATOR);
    expect(res.body.data.setFeatureFlag.flag.enabled).toBe(true);
    expect(await snapshot(world, t.id)).toBe(before);
  });

  it("refuses enabling a feature above the tenant's tier: FORBIDDEN naming the feature and tier; disabling is allowed", async () => {
    const t = await world.createTenantWithKeys({ tier: 'BASIC' });
    const before = await snapshot(world, t.id);
    const res = await world.gql(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, t.keys.ADMIN);
    expectCode(res, 'FORBIDDEN');
    expect(res.body.errors![0].message).toBe(
      "Feature 'ml_features' requires the Enterprise tier; this tenant is on Basic",
    );
    const pro = await world.gql(Q.setFeatureFlag, { key: 'advanced_analytics', enabled: true }, t.keys.ADMIN);
    expect(pro.body.errors![0].message).toBe(
      "Feature 'advanced_analytics' requires the Pro tier; this tenant is on Basic",
    );
    expect(await snapshot(world, t.id)).toBe(before);
    const off = await world.gql(Q.setFeatureFlag, { key: 'advanced_analytics', enabled: false }, t.keys.ADMIN);
    expect(off.body.errors).toBeUndefined();
    expect(off.body.data.setFeatureFlag.flag).toMatchObject({ enabled: false, available: false });
  });

  it('an unknown flag is NOT_FOUND; a viewer cannot set (FORBIDDEN); another tenant is FORBIDDEN', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const other = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    expectCode(await world.gql(Q.setFeatureFlag, { key: 'no_such_flag', enabled: true }, t.keys.ADMIN), 'NOT_FOUND');
    const before = await snapshot(world, t.id);
    expectCode(await world.gql(Q.setFeatureFlag, { key: 'ml_features', enabled: true }, t.keys.VIEWER), 'FORBIDDEN');
    expectCode(
      await world.gql(Q.setFeatureFlag, { tenantId: t.id, key: 'ml_features', enabled: true }, other.keys.ADMIN),
      'FORBIDDEN',
    );
    expectCode(await world.gql(flagsQuery, { id: t.id }, other.keys.VIEWER), 'FORBIDDEN');
    expect(await snapshot(world, t.id)).toBe(before);
    const platform = await world.gql(
      Q.setFeatureFlag,
      { tenantId: t.id, key: 'ml_features', enabled: true },
      PLATFORM_KEY,
    );
    expect(platform.body.data.setFeatureFlag.flag.enabled).toBe(true);
    expect((await entitlements(other.keys.VIEWER)).ml_features).toBe(false); // A's flag is not B's
  });
});
