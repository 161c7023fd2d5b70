import { featureByKey, features, tierAllows, TIER_DISPLAY, type Feature } from '../catalog/features.js';
import type { TenantRow } from '../db/tables.js';
import { forbidden, notFound } from '../errors/domain-error.js';
import { recordAudit } from './audit.js';
import { recordChange } from './change-feed.js';
import { upsertFeatureFlagRow, type FeatureFlagRow } from './setting-values.js';
import type { ServiceContext } from './service-context.js';
import { requireSameTenant, requireTenant } from './tenant-access.js';

/**
 * A feature as a tenant sees it. `available`: the tenant's tier allows it. `enabled`: switched
 * on (stored flag, else the catalog default) AND available — a feature above the tier is never
 * in effect, so seed 003's `enabled` and seed 004's entitlements agree.
 */
export interface FeatureFlagView extends Feature {
  enabled: boolean;
  available: boolean;
  updatedAt: Date | null;
}

function viewOf(tenant: TenantRow, feature: Feature, row: FeatureFlagRow | undefined): FeatureFlagView {
  const available = tierAllows(tenant.tier, feature.tierRequired);
  return { ...feature, available, enabled: available && (row ? row.enabled : feature.defaultEnabled), updatedAt: row?.updated_at ?? null };
}

export async function listFeatureFlags(ctx: ServiceContext, tenant: TenantRow): Promise<FeatureFlagView[]> {
  requireSameTenant(ctx, tenant.id);
  const rows = new Map((await ctx.loaders.featureFlagRows.load(tenant.id)).map((r) => [r.key, r]));
  return features.map((feature) => viewOf(tenant, feature, rows.get(feature.key)));
}

/**
 * Seed 001's PUT /api/admin/settings/feature-flags/:flag (operator or admin). Enabling a feature
 * above the tenant's tier is FORBIDDEN; disabling is always allowed. Setting the current value
 * again is not a change (nothing written, no audit entry).
 */
export async function setFeatureFlag(ctx: ServiceContext, tenantId: string | null | undefined, key: string, enabled: boolean) {
  const tenant = await requireTenant(ctx, tenantId, 'OPERATOR');
  const feature = featureByKey(key);
  if (!feature) throw notFound(`Feature flag '${key.slice(0, 64)}'`);
  if (enabled && !tierAllows(tenant.tier, feature.tierRequired)) {
    throw forbidden(`Feature '${feature.key}' requires the ${TIER_DISPLAY[feature.tierRequired]} tier; this tenant is on ${TIER_DISPLAY[tenant.tier]}`);
  }
  const flag = await ctx.changeFeed.transaction(ctx.db, async (trx) => {
    // Serialises with the tenant's other configuration writes.
    await trx.selectFrom('tenants').select('id').where('id', '=', tenant.id).forUpdate().executeTakeFirstOrThrow();
    const row = await trx.selectFrom('feature_flags').selectAll().where('tenant_id', '=', tenant.id).where('key', '=', key).executeTakeFirst();
    const switchedOn = row ? row.enabled : feature.defaultEnabled;
    if (switchedOn === enabled) return viewOf(tenant, feature, row);
    const keyId = ctx.principal.kind === 'tenant' ? ctx.principal.keyId : null;
    const written = await upsertFeatureFlagRow(trx, { tenantId: tenant.id, key, enabled, at: ctx.now(), keyId });
    await recordAudit(trx, ctx, { tenantId: tenant.id, action: 'feature_flag.update', target: `feature_flag:${key}`, changes: { enabled: { old: switchedOn, new: enabled } } });
    await recordChange(trx, ctx, { tenantId: tenant.id, action: 'feature_flag.update', document: 'FEATURE_FLAGS', paths: [key] });
    return viewOf(tenant, feature, written);
  });
  ctx.loaders.featureFlagRows.clear(tenant.id);
  return { flag, updatedAt: flag.updatedAt ?? ctx.now() };
}
