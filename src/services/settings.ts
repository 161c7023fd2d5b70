import type { SettingsCategoryName } from '../catalog/admin-settings.js';
import { type CatalogEntry, entriesOf, storagePrefixesOf } from '../catalog/catalog.js';
import type { SettingsEnv } from '../catalog/environment.js';
import type { JsonValue } from '../catalog/setting.js';
import type { DbOrTrx } from '../db/connect.js';
import type { TenantRow } from '../db/tables.js';
import { badInput } from '../errors/domain-error.js';
import { planPatch, planReset, type WriteResult, writeVersioned } from './document-write.js';
import type { ServiceContext } from './service-context.js';
import { changeViewOf, documentOf, parsePatch, type SettingChangeView } from './setting-documents.js';
import { type Resolution, resolveSettings } from './setting-resolution.js';
import { loadSettingRows, type SettingValueRow } from './setting-values.js';
import { requireSameTenant, requireTenant } from './tenant-access.js';
import { webhookUrlProblem } from './webhook-target.js';

/** A tenant's resolved settings: seed 000's fields and seed 001's categories, one version. */
export interface SettingsView {
  tenant: TenantRow;
  resolution: Resolution;
  typed: { settings: Record<string, unknown>; admin: Record<string, unknown> };
  version: number;
  updatedAt: Date | null;
}

export interface UpdateSettingsResult {
  settings: SettingsView;
  changes: SettingChangeView[];
  version: number;
  updatedAt: Date;
  dryRun: boolean;
}

/** `rows`: the tenant's rows as a write left them (a dry run's answer); otherwise they are loaded. */
export async function getSettings(
  ctx: ServiceContext,
  tenant: TenantRow,
  rows?: SettingValueRow[],
): Promise<SettingsView> {
  requireSameTenant(ctx, tenant.id);
  const prefixes = storagePrefixesOf('settings');
  const mine = (rows ?? (await ctx.loaders.settingRows.load(tenant.id))).filter((r) =>
    prefixes.some((p) => r.path.startsWith(p)),
  );
  const resolution = resolveSettings(tenant, mine, ctx.settingsEnv, (msg, envVar) => ctx.logger.warn({ envVar }, msg));
  return {
    tenant,
    resolution,
    typed: { settings: documentOf('settings', resolution, 'typed'), admin: documentOf('admin', resolution, 'typed') },
    version: tenant.settings_version,
    updatedAt: tenant.settings_updated_at,
  };
}

/**
 * Seed 000's resolved document (stored > env > default; the secret as "[redacted]"/null) for
 * code that has a `db` or `trx` but no request context (the scans' settings, retention). Pass
 * `ctx.settingsEnv` where a context exists; `{}` ignores the environment layer.
 * `industry` lives on the tenant row: that row is read only when the caller does not say it
 * (pass null when the fields you need are not `industry`, and no second read is made).
 */
export async function tenantSettingsDocument(
  db: DbOrTrx,
  tenantId: string,
  env: SettingsEnv = {},
  industry?: string | null,
): Promise<Record<string, unknown>> {
  const knownIndustry =
    industry !== undefined
      ? industry
      : ((await db.selectFrom('tenants').select('industry').where('id', '=', tenantId).executeTakeFirst())?.industry ??
        null);
  const rows = await loadSettingRows(db, [tenantId], ['settings.']);
  return documentOf('settings', resolveSettings({ industry: knownIndustry }, rows, env), 'json');
}

async function payloadOf(ctx: ServiceContext, result: WriteResult): Promise<UpdateSettingsResult> {
  return {
    settings: await getSettings(ctx, result.tenant, result.dryRun ? result.rows : undefined),
    changes: result.changes.map(changeViewOf),
    version: result.tenant.settings_version,
    updatedAt: result.tenant.settings_updated_at ?? ctx.now(),
    dryRun: result.dryRun,
  };
}

/** Seed 000's PUT /tenant/settings (partial): operator or admin. */
export async function updateTenantSettings(
  ctx: ServiceContext,
  tenantId: string | null | undefined,
  input: unknown,
  expectedVersion?: number | null,
  dryRun?: boolean | null,
) {
  const tenant = await requireTenant(ctx, tenantId);
  const patch = parsePatch('settings', input);
  const result = await writeVersioned(ctx, tenant.id, {
    versioned: 'settings',
    expectedVersion,
    dryRun: dryRun === true,
    action: 'settings.update',
    target: 'settings',
    plan: (state) => planPatch(state, patch),
  });
  return payloadOf(ctx, result);
}

/** Seed 001's PUT /api/admin/settings/:category, for any number of categories at once: operator or admin. */
export async function updateAdminSettings(
  ctx: ServiceContext,
  tenantId: string | null | undefined,
  input: unknown,
  expectedVersion?: number | null,
  dryRun?: boolean | null,
) {
  const tenant = await requireTenant(ctx, tenantId);
  const patch = parsePatch('admin', input);
  await checkWebhookEndpoints(ctx, patch);
  const categories = [...new Set(patch.map(([entry]) => entry.category))].join(',');
  const result = await writeVersioned(ctx, tenant.id, {
    versioned: 'settings',
    expectedVersion,
    dryRun: dryRun === true,
    action: 'settings.update',
    target: `settings:${categories}`,
    plan: (state) => planPatch(state, patch),
  });
  return payloadOf(ctx, result);
}

/**
 * The SSRF guard at write time (webhook-target.ts): every endpoint of a `webhooks.endpoints`
 * patch must be https and not reach a private address, unless WEBHOOKS_ALLOW_PRIVATE=1. Run
 * before the transaction: it may wait on DNS.
 */
async function checkWebhookEndpoints(ctx: ServiceContext, patch: Array<[CatalogEntry, JsonValue]>) {
  const endpoints = patch.find(([entry]) => entry.storagePath === 'admin.webhooks.endpoints')?.[1];
  if (!Array.isArray(endpoints)) return;
  const problems = await Promise.all(
    endpoints.map((e) => webhookUrlProblem((e as { url: string }).url, ctx.webhooksAllowPrivate)),
  );
  const issues = problems.flatMap((problem, i) =>
    problem ? [{ path: 'webhooks.endpoints', message: `webhooks.endpoints [${i}].url ${problem}` }] : [],
  );
  if (issues.length) throw badInput(issues[0].message, issues);
}

/**
 * Seed 001's POST /api/admin/settings/reset/:category (admin): deletes the category's stored
 * values so the environment and code defaults apply again. The webhooks category includes the
 * signing secret (one value with seed 000's webhookSigningSecret), so resetting it clears it.
 */
export async function resetSettingsCategory(
  ctx: ServiceContext,
  tenantId: string | null | undefined,
  category: SettingsCategoryName,
  dryRun?: boolean | null,
) {
  const tenant = await requireTenant(ctx, tenantId);
  const entries = entriesOf('admin').filter((e) => e.category === category);
  const result = await writeVersioned(ctx, tenant.id, {
    versioned: 'settings',
    dryRun: dryRun === true,
    action: 'settings.reset',
    target: `settings:${category}`,
    auditWhenUnchanged: true,
    plan: (state) => planReset(state, entries),
  });
  return {
    category,
    reset: true,
    changes: result.changes.map(changeViewOf),
    version: result.tenant.settings_version,
    resetAt: ctx.now(),
    dryRun: result.dryRun,
  };
}
