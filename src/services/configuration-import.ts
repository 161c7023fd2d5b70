import { type CatalogDocumentName, entriesOf } from '../catalog/catalog.js';
import { featureByKey, features } from '../catalog/features.js';
import { isObject } from '../catalog/formats.js';
import { badInput } from '../errors/domain-error.js';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION } from './configuration-export.js';
import { inWriteTransaction } from './document-write.js';
import { type FlagChange, writeFlags } from './feature-flags.js';
import { createLoaders } from './loaders.js';
import type { ServiceContext } from './service-context.js';
import type { SettingChangeView } from './setting-documents.js';
import { updateAdminSettings, updateTenantSettings } from './settings.js';
import { requireTenant } from './tenant-access.js';
import { getTenantConfig, updateTenantConfig } from './tenant-config.js';

export interface ImportResult {
  changes: SettingChangeView[];
  dryRun: boolean;
}

/** A document part of the export without its secret leaves (an export never has them; an import never sets them). */
function withoutSecretLeaves(document: CatalogDocumentName, json: unknown): unknown {
  if (!isObject(json)) return json;
  const copy = structuredClone(json) as Record<string, unknown>;
  for (const entry of entriesOf(document).filter((e) => e.spec.secret)) {
    const keys = entry.path.split('.');
    let node: unknown = copy;
    for (const key of keys.slice(0, -1)) node = isObject(node) ? (node as Record<string, unknown>)[key] : undefined;
    if (isObject(node)) delete (node as Record<string, unknown>)[keys[keys.length - 1]];
  }
  return copy;
}

const prefixed = (prefix: string, changes: SettingChangeView[]) =>
  changes.map((c) => ({ ...c, path: `${prefix}.${c.category ? `${c.category}.` : ''}${c.path}` }));

/**
 * Applies an export (Tenant.exportConfiguration) to a tenant (admin): the settings, the
 * categories, the config and the flags, each through its own write path (the same validation,
 * compliance rules, audit and versions as any write), all in ONE transaction: all or nothing.
 * custom_settings is replaced, not merged (keys the export lacks are removed). Secrets are never
 * touched. Changes are prefixed by their document: settings., admin.<category>., config., feature_flags.
 */
export async function importConfiguration(
  ctx: ServiceContext,
  tenantId: string | null | undefined,
  exported: unknown,
  dryRunArg?: boolean | null,
): Promise<ImportResult> {
  const tenant = await requireTenant(ctx, tenantId);
  // The GraphQL argument is `document`: the paths of its problems say so.
  if (!isObject(exported) || exported.format !== EXPORT_FORMAT || exported.format_version !== EXPORT_FORMAT_VERSION) {
    throw badInput(`document must be an export of format ${EXPORT_FORMAT}, format_version ${EXPORT_FORMAT_VERSION}`, [
      { path: 'document.format', message: 'unknown format' },
    ]);
  }
  const parts = exported as Record<string, unknown>;
  const flags = parts.feature_flags ?? {};
  if (!isObject(flags))
    throw badInput('feature_flags must be an object of flag key → boolean', [
      { path: 'feature_flags', message: 'must be an object' },
    ]);
  const flagIssues = Object.entries(flags)
    .filter(([key, value]) => !featureByKey(key) || typeof value !== 'boolean')
    .map(([key]) => ({
      path: `feature_flags.${key}`,
      message: `feature_flags.${key.slice(0, 64)} must be a known flag set to a boolean`,
    }));
  if (flagIssues.length) throw badInput(flagIssues[0].message, flagIssues);
  const dryRun = dryRunArg === true;

  const changes = await inWriteTransaction(ctx, dryRun, async (trx) => {
    // The writes below join this transaction; their loaders read through it too.
    const inner: ServiceContext = { ...ctx, db: trx, loaders: createLoaders(trx) };
    const out: SettingChangeView[] = [];
    if (parts.settings !== undefined)
      out.push(
        ...prefixed(
          'settings',
          (await updateTenantSettings(inner, tenant.id, withoutSecretLeaves('settings', parts.settings), null, dryRun))
            .changes,
        ),
      );
    if (parts.categories !== undefined)
      out.push(
        ...prefixed(
          'admin',
          (await updateAdminSettings(inner, tenant.id, withoutSecretLeaves('admin', parts.categories), null, dryRun))
            .changes,
        ),
      );
    if (parts.config !== undefined) {
      const config = withoutSecretLeaves('config', parts.config);
      if (isObject(config) && isObject(config.custom_settings)) {
        // Replace: every current key the export lacks is removed (null removes a key).
        const current = (await getTenantConfig(inner, tenant)).typed.custom_settings as Record<string, unknown>;
        const removed = Object.fromEntries(
          Object.keys(current ?? {})
            .filter((k) => !(k in (config.custom_settings as object)))
            .map((k) => [k, null]),
        );
        config.custom_settings = { ...removed, ...(config.custom_settings as object) };
      }
      out.push(...prefixed('config', (await updateTenantConfig(inner, tenant.id, config, null, dryRun)).changes));
    }
    const result = await writeFlags(inner, tenant, {
      action: 'feature_flags.import',
      target: 'feature_flags',
      dryRun,
      plan: (rows) =>
        features.flatMap((feature): FlagChange[] => {
          const wanted = (flags as Record<string, boolean>)[feature.key];
          if (wanted === undefined) return [];
          const row = rows.get(feature.key);
          const now = row ? row.enabled : feature.defaultEnabled;
          return now === wanted ? [] : [{ feature, op: 'set', old: now, new: wanted }];
        }),
    });
    out.push(
      ...result.changes.map((c) => ({
        path: `feature_flags.${c.feature.key}`,
        category: null,
        old: c.old,
        new: c.new,
      })),
    );
    return out;
  });
  // The request's loaders may hold the rows from before the import.
  ctx.loaders.tenant.clear(tenant.id);
  ctx.loaders.settingRows.clear(tenant.id);
  ctx.loaders.featureFlagRows.clear(tenant.id);
  return { changes, dryRun };
}
