import { type CatalogDocumentName, entriesOf, REDACTED } from '../catalog/catalog.js';
import type { TenantRow } from '../db/tables.js';
import { listFeatureFlags } from './feature-flags.js';
import type { ServiceContext } from './service-context.js';
import { documentOf } from './setting-documents.js';
import { getSettings } from './settings.js';
import { getTenantConfig } from './tenant-config.js';

/** The format tag and version of an export; an import refuses any other. */
export const EXPORT_FORMAT = 'tenant-configuration';
export const EXPORT_FORMAT_VERSION = 1;

/** Removes every secret leaf of a document's JSON shape, listing it by storage path as "set" or "unset". */
function withoutSecrets(
  document: CatalogDocumentName,
  json: Record<string, unknown>,
  secrets: Record<string, 'set' | 'unset'>,
) {
  for (const entry of entriesOf(document).filter((e) => e.spec.secret)) {
    const keys = entry.path.split('.');
    let node = json as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = keys[keys.length - 1];
    secrets[entry.storagePath] = node[last] === REDACTED ? 'set' : 'unset';
    delete node[last];
  }
  return json;
}

/**
 * A tenant's whole configuration as one versioned JSON document (admin): seed 000's settings,
 * seed 001's categories, seed 003's config and the feature flags (switched on or off), each
 * with the version it was exported at. Secrets are left out and listed by path as set/unset.
 */
export async function exportConfiguration(ctx: ServiceContext, tenant: TenantRow): Promise<Record<string, unknown>> {
  const [settings, config, flags] = await Promise.all([
    getSettings(ctx, tenant),
    getTenantConfig(ctx, tenant),
    listFeatureFlags(ctx, tenant),
  ]);
  const secrets: Record<string, 'set' | 'unset'> = {};
  return {
    format: EXPORT_FORMAT,
    format_version: EXPORT_FORMAT_VERSION,
    tenant_id: tenant.id,
    exported_at: ctx.now().toISOString(),
    versions: { settings: settings.version, config: config.version, feature_flags: tenant.flags_version },
    settings: withoutSecrets('settings', documentOf('settings', settings.resolution, 'json'), secrets),
    categories: withoutSecrets('admin', documentOf('admin', settings.resolution, 'json'), secrets),
    config: withoutSecrets('config', documentOf('config', config.resolution, 'json'), secrets),
    feature_flags: Object.fromEntries(flags.map((f) => [f.key, f.switchedOn])),
    secrets,
  };
}
