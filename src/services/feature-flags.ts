import { type Feature, featureByKey, features, TIER_DISPLAY, tierAllows } from '../catalog/features.js';
import type { TenantRow } from '../db/tables.js';
import { conflict, forbidden, notFound } from '../errors/domain-error.js';
import { recordAudit } from './audit.js';
import { type ChangeAction, recordChange } from './change-feed.js';
import { inWriteTransaction } from './document-write.js';
import { recordVersion } from './history-record.js';
import type { ServiceContext } from './service-context.js';
import { type FeatureFlagRow, loadFeatureFlagRows, upsertFeatureFlagRow } from './setting-values.js';
import { requireSameTenant, requireTenant } from './tenant-access.js';

/**
 * A feature as a tenant sees it. `available`: the tenant's tier allows it. `enabled`: switched
 * on (stored flag, else the catalog default) AND available — a feature above the tier is never
 * in effect, so seed 003's `enabled` and seed 004's entitlements agree.
 */
export interface FeatureFlagView extends Feature {
  enabled: boolean;
  available: boolean;
  /** Switched on (stored, else the catalog default), whatever the tier: what an export carries. */
  switchedOn: boolean;
  updatedAt: Date | null;
}

function viewOf(tenant: TenantRow, feature: Feature, row: FeatureFlagRow | undefined): FeatureFlagView {
  const available = tierAllows(tenant.tier, feature.tierRequired);
  const switchedOn = row ? row.enabled : feature.defaultEnabled;
  return { ...feature, available, switchedOn, enabled: available && switchedOn, updatedAt: row?.updated_at ?? null };
}

export async function listFeatureFlags(ctx: ServiceContext, tenant: TenantRow): Promise<FeatureFlagView[]> {
  requireSameTenant(ctx, tenant.id);
  const rows = new Map((await ctx.loaders.featureFlagRows.load(tenant.id)).map((r) => [r.key, r]));
  return features.map((feature) => viewOf(tenant, feature, rows.get(feature.key)));
}

/** One flag's change: `old`/`new` are the switched-on values (stored, else the catalog default). */
export interface FlagChange {
  feature: Feature;
  /** 'delete' removes the stored row (the catalog default applies again; a rollback to before it was set). */
  op: 'set' | 'delete';
  old: boolean;
  new: boolean;
}

export interface FlagWriteResult {
  tenant: TenantRow;
  rows: FeatureFlagRow[];
  changes: FlagChange[];
  dryRun: boolean;
}

/**
 * The write transaction of feature flags (the FEATURE_FLAGS document): lock the tenant row,
 * check `expectedVersion` against `tenants.flags_version`, plan from the stored rows as locked,
 * refuse enabling a feature above the tier, write, bump flags_version, audit and record the
 * version, all in one transaction (rolled back at the end for a dry run, unaudited).
 * The FEATURE_FLAGS version counts the writes that changed at least one flag.
 */
export async function writeFlags(
  ctx: ServiceContext,
  tenant: TenantRow,
  options: {
    expectedVersion?: number | null;
    action: ChangeAction;
    target: string;
    dryRun?: boolean;
    plan: (rows: Map<string, FeatureFlagRow>) => FlagChange[];
    /** The audit entry's `changes` (default: flag key → { old, new }). */
    auditChanges?: (changes: FlagChange[]) => unknown;
  },
): Promise<FlagWriteResult> {
  const dryRun = options.dryRun === true;
  const result = await inWriteTransaction(ctx, dryRun, async (trx) => {
    // Serialises with the tenant's other configuration writes.
    const locked = await trx
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', tenant.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (options.expectedVersion != null && options.expectedVersion !== locked.flags_version) {
      throw conflict(
        `Version ${options.expectedVersion} is stale: the feature flags are at version ${locked.flags_version}`,
        { currentVersion: locked.flags_version },
      );
    }
    const before = new Map((await loadFeatureFlagRows(trx, [tenant.id])).map((r) => [r.key, r]));
    const changes = options.plan(before);
    for (const c of changes) {
      if (c.new && !tierAllows(locked.tier, c.feature.tierRequired)) {
        throw forbidden(
          `Feature '${c.feature.key}' requires the ${TIER_DISPLAY[c.feature.tierRequired]} tier; this tenant is on ${TIER_DISPLAY[locked.tier]}`,
        );
      }
    }
    if (changes.length === 0) return { tenant: locked, rows: [...before.values()], changes, dryRun };
    const keyId = ctx.principal.kind === 'tenant' ? ctx.principal.keyId : null;
    const at = ctx.now();
    const after = new Map(before);
    for (const c of changes) {
      if (c.op === 'delete') {
        await trx
          .deleteFrom('feature_flags')
          .where('tenant_id', '=', tenant.id)
          .where('key', '=', c.feature.key)
          .execute();
        after.delete(c.feature.key);
      } else {
        after.set(
          c.feature.key,
          await upsertFeatureFlagRow(trx, { tenantId: tenant.id, key: c.feature.key, enabled: c.new, at, keyId }),
        );
      }
    }
    const bumped = await trx
      .updateTable('tenants')
      .set((eb) => ({ flags_version: eb('flags_version', '+', 1) }))
      .where('id', '=', tenant.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const audit = options.auditChanges
      ? options.auditChanges(changes)
      : Object.fromEntries(changes.map((c) => [c.feature.key, { old: c.old, new: c.new }]));
    if (!dryRun)
      await recordAudit(trx, ctx, {
        tenantId: tenant.id,
        action: options.action,
        target: options.target,
        changes: audit,
      });
    await recordVersion(trx, ctx, {
      tenantId: tenant.id,
      document: 'FEATURE_FLAGS',
      version: bumped.flags_version,
      action: options.action,
      changes: changes.map((c) => ({
        path: c.feature.key,
        category: null,
        storage_path: `feature_flags.${c.feature.key}`,
        old: c.old,
        new: c.new,
      })),
      state: Object.fromEntries([...after.values()].map((r) => [r.key, { v: r.enabled }])),
      at,
    });
    if (!dryRun) {
      await recordChange(trx, ctx, {
        tenantId: tenant.id,
        action: options.action,
        document: 'FEATURE_FLAGS',
        version: bumped.flags_version,
        paths: changes.map((c) => c.feature.key),
      });
    }
    return { tenant: bumped, rows: [...after.values()], changes, dryRun };
  });
  if (!dryRun) ctx.loaders.featureFlagRows.clear(tenant.id);
  return result;
}

/**
 * Seed 001's PUT /api/admin/settings/feature-flags/:flag (operator or admin). Enabling a feature
 * above the tenant's tier is FORBIDDEN; disabling is always allowed. Setting the current value
 * again is not a change (nothing written, no audit entry, no new version).
 */
export async function setFeatureFlag(
  ctx: ServiceContext,
  tenantId: string | null | undefined,
  key: string,
  enabled: boolean,
  dryRun?: boolean | null,
) {
  const tenant = await requireTenant(ctx, tenantId);
  const feature = featureByKey(key);
  if (!feature) throw notFound(`Feature flag '${key.slice(0, 64)}'`);
  if (enabled && !tierAllows(tenant.tier, feature.tierRequired)) {
    throw forbidden(
      `Feature '${feature.key}' requires the ${TIER_DISPLAY[feature.tierRequired]} tier; this tenant is on ${TIER_DISPLAY[tenant.tier]}`,
    );
  }
  const result = await writeFlags(ctx, tenant, {
    action: 'feature_flag.update',
    target: `feature_flag:${key}`,
    dryRun: dryRun === true,
    auditChanges: ([c]) => ({ enabled: { old: c.old, new: c.new } }),
    plan: (rows) => {
      const row = rows.get(key);
      const switchedOn = row ? row.enabled : feature.defaultEnabled;
      return switchedOn === enabled ? [] : [{ feature, op: 'set', old: switchedOn, new: enabled }];
    },
  });
  const flag = viewOf(
    result.tenant,
    feature,
    result.rows.find((r) => r.key === key),
  );
  return { flag, updatedAt: flag.updatedAt ?? ctx.now(), dryRun: result.dryRun };
}
