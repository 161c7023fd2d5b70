import { type CatalogEntry, entryAt, storagePrefixesOf } from '../catalog/catalog.js';
import { checkConfigRules } from '../catalog/config-rules.js';
import { isObject } from '../catalog/formats.js';
import type { JsonValue } from '../catalog/setting.js';
import { type Issue, validateValue } from '../catalog/validate.js';
import type { TenantRow } from '../db/tables.js';
import { planPatch, type WriteState, writeVersioned } from './document-write.js';
import type { ServiceContext } from './service-context.js';
import { changeViewOf, documentOf, parsePatch, type SettingChangeView } from './setting-documents.js';
import { type Resolution, resolveSettings } from './setting-resolution.js';
import type { SettingValueRow } from './setting-values.js';
import { requireSameTenant, requireTenant } from './tenant-access.js';

/** A tenant's resolved seed-003 configuration. */
export interface TenantConfigView {
  tenant: TenantRow;
  resolution: Resolution;
  typed: Record<string, unknown>;
  version: number;
  updatedAt: Date | null;
}

export interface UpdateTenantConfigResult {
  config: TenantConfigView;
  changes: SettingChangeView[];
  updatedFields: string[];
  version: number;
  updatedAt: Date;
  dryRun: boolean;
}

const CUSTOM = 'custom_settings';

/** `rows`: the tenant's rows as a write left them (a dry run's answer); otherwise they are loaded. */
export async function getTenantConfig(
  ctx: ServiceContext,
  tenant: TenantRow,
  allRows?: SettingValueRow[],
): Promise<TenantConfigView> {
  requireSameTenant(ctx, tenant.id);
  const [prefix] = storagePrefixesOf('config');
  const rows = (allRows ?? (await ctx.loaders.settingRows.load(tenant.id))).filter((r) => r.path.startsWith(prefix));
  const resolution = resolveSettings(tenant, rows, ctx.settingsEnv, (msg, envVar) => ctx.logger.warn({ envVar }, msg));
  return {
    tenant,
    resolution,
    typed: documentOf('config', resolution, 'typed'),
    version: tenant.config_version,
    updatedAt: tenant.config_updated_at,
  };
}

/** custom_settings is patched key by key (a null value removes its key), so writers of different keys do not collide. */
function mergeCustom(current: JsonValue, patch: JsonValue): JsonValue {
  const merged: Record<string, JsonValue> = { ...(isObject(current) ? current : {}) };
  for (const [key, value] of Object.entries(patch as Record<string, JsonValue>)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

/** Seed 003's cross-field and compliance rules on the configuration as it would be with `patched` values in it. */
export function mergedConfigIssues(state: WriteState, patched: Array<[CatalogEntry, JsonValue]>): Issue[] {
  const byPath = new Map(patched.map(([entry, value]) => [entry.path, value]));
  return checkConfigRules((path) =>
    byPath.has(path) ? byPath.get(path) : state.resolution.valueOf(entryAt('config', path)).value,
  );
}

/**
 * Seed 003's PUT /api/v1/tenants/{id}/config (partial): operator or admin. Field types and
 * ranges are checked on the patch; seed 003's cross-field and compliance rules on the MERGED
 * configuration (stored values + patch), inside the transaction that writes it.
 */
export async function updateTenantConfig(
  ctx: ServiceContext,
  tenantId: string | null | undefined,
  input: unknown,
  expectedVersion?: number | null,
  dryRun?: boolean | null,
): Promise<UpdateTenantConfigResult> {
  const tenant = await requireTenant(ctx, tenantId);
  const patch = parsePatch('config', input, (path) => path === CUSTOM);
  const customEntry = entryAt('config', CUSTOM);
  const result = await writeVersioned(ctx, tenant.id, {
    versioned: 'config',
    expectedVersion,
    dryRun: dryRun === true,
    action: 'config.update',
    target: 'config',
    plan: (state) => {
      const issues: Issue[] = [];
      const resolved: Array<[CatalogEntry, JsonValue]> = patch.map(([entry, value]) => {
        if (entry !== customEntry) return [entry, value];
        if (!isObject(value)) {
          issues.push({ path: CUSTOM, message: `${CUSTOM} must be an object of key/value pairs` });
          return [entry, value];
        }
        const merged = mergeCustom(state.resolution.valueOf(entry).value, value);
        issues.push(...validateValue(entry.spec, merged, CUSTOM));
        return [entry, merged];
      });
      if (issues.length) return { issues };
      const violations = mergedConfigIssues(state, resolved);
      if (violations.length) return { issues: violations };
      return planPatch(state, resolved);
    },
  });
  const changes = result.changes.map(changeViewOf);
  return {
    config: await getTenantConfig(ctx, result.tenant, result.dryRun ? result.rows : undefined),
    changes,
    updatedFields: changes.map((c) => c.path),
    version: result.tenant.config_version,
    updatedAt: result.tenant.config_updated_at ?? ctx.now(),
    dryRun: result.dryRun,
  };
}
