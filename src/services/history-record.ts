import { actorOf } from '../auth/principal.js';
import { type CatalogEntry, storagePrefixesOf, type VersionedDoc } from '../catalog/catalog.js';
import type { JsonValue } from '../catalog/setting.js';
import type { DbOrTrx } from '../db/connect.js';
import type { ConfigDocumentName, TenantRow } from '../db/tables.js';
import type { ServiceContext } from './service-context.js';
import type { SettingValueRow } from './setting-values.js';

/**
 * What a stored document held after a version: storage path → stored value, or a secret's
 * ciphertext (sealed for that tenant and path, so it can be written back as it is). Paths
 * absent here had no stored value (environment or default applied). Never leaves services/.
 */
export type StoredState = Record<string, { v: JsonValue } | { enc: string }>;

/** One change of a version, as stored: `old`/`new` are public values (secrets "[redacted]"). */
export interface VersionChange {
  path: string;
  category: string | null;
  storage_path: string;
  old: JsonValue;
  new: JsonValue;
}

/** The history's name of each versioned document (GraphQL's ConfigDocument). */
export const CONFIG_DOCUMENT_OF: Record<VersionedDoc, ConfigDocumentName> = {
  settings: 'SETTINGS',
  config: 'TENANT_CONFIG',
};

/** Where `tenants.industry` appears in a settings state (its catalog storage path). */
export const INDUSTRY_PATH = 'tenants.industry';

/** A versioned document's stored state from its setting rows as a write left them. */
export function stateOfRows(
  versioned: VersionedDoc,
  tenant: Pick<TenantRow, 'industry'>,
  rows: readonly SettingValueRow[],
): StoredState {
  const prefixes = storagePrefixesOf(versioned);
  const state: StoredState = {};
  if (versioned === 'settings' && tenant.industry != null) state[INDUSTRY_PATH] = { v: tenant.industry };
  for (const row of rows) {
    if (!prefixes.some((p) => row.path.startsWith(p))) continue;
    state[row.path] = row.encrypted_value ? { enc: row.encrypted_value } : { v: row.value as JsonValue };
  }
  return state;
}

export function versionChangeOf(change: { entry: CatalogEntry; old: JsonValue; new: JsonValue }): VersionChange {
  const { entry } = change;
  return {
    path: entry.categoryPath,
    category: entry.category,
    storage_path: entry.storagePath,
    old: change.old,
    new: change.new,
  };
}

/**
 * Appends the version a write produced; call it with the write's own transaction (after the
 * version bump) so the version and the change commit together or not at all.
 */
export async function recordVersion(
  trx: DbOrTrx,
  ctx: Pick<ServiceContext, 'principal' | 'requestId' | 'now'>,
  version: {
    tenantId: string;
    document: ConfigDocumentName;
    version: number;
    action: string;
    changes: VersionChange[];
    state: StoredState;
    at: Date;
  },
): Promise<void> {
  await trx
    .insertInto('config_versions')
    .values({
      tenant_id: version.tenantId,
      document: version.document,
      version: version.version,
      action: version.action,
      ...actorOf(ctx.principal),
      request_id: ctx.requestId,
      changes: JSON.stringify(version.changes),
      state: JSON.stringify(version.state),
      created_at: version.at,
    })
    .execute();
}
