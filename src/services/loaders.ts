import DataLoader from 'dataloader';
import type { Db } from '../db/connect.js';
import type { ApiKeyRow, ScanRow, ShareLinkRow, TenantRow } from '../db/tables.js';
import { loadFeatureFlagRows, loadSettingRows, type FeatureFlagRow, type SettingValueRow } from './setting-values.js';

/** Batch rows by id with one `where id in (...)` query; missing ids resolve to null. */
function byId<Row extends { id: string }>(load: (ids: readonly string[]) => Promise<Row[]>) {
  return new DataLoader<string, Row | null>(async (ids) => {
    const rows = await load(ids);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Batch child rows by a parent id with one `where parent in (...)` query; no rows → []. */
function manyBy<Row>(parentOf: (row: Row) => string, load: (ids: readonly string[]) => Promise<Row[]>) {
  return new DataLoader<string, Row[]>(async (ids) => {
    const groups = new Map<string, Row[]>(ids.map((id) => [id, []]));
    for (const row of await load(ids)) groups.get(parentOf(row))?.push(row);
    return ids.map((id) => groups.get(id) ?? []);
  });
}

/** Per-request loaders for every lookup by id (a fresh set per request: no cross-request cache). */
export function createLoaders(db: Db) {
  return {
    tenant: byId<TenantRow>((ids) => db.selectFrom('tenants').selectAll().where('id', 'in', ids).execute()),
    apiKey: byId<ApiKeyRow>((ids) => db.selectFrom('api_keys').selectAll().where('id', 'in', ids).execute()),
    /** A tenant's keys, oldest first (Tenant.apiKeys: one query for a whole page of tenants). */
    apiKeysByTenant: manyBy<ApiKeyRow>(
      (r) => r.tenant_id,
      (ids) => db.selectFrom('api_keys').selectAll().where('tenant_id', 'in', ids).orderBy('created_at').orderBy('id').execute(),
    ),
    scan: byId<ScanRow>((ids) => db.selectFrom('scans').selectAll().where('id', 'in', ids).execute()),
    /**
     * A scan's share links, newest first, keyed by (tenant, scan): the tenant id is in the SQL, so
     * a scan id alone never yields another tenant's links, whatever the caller passes.
     */
    shareLinksByScan: new DataLoader<{ tenantId: string; scanId: string }, ShareLinkRow[], string>(
      async (keys) => {
        const rows = await db
          .selectFrom('share_links')
          .selectAll()
          .where('tenant_id', 'in', [...new Set(keys.map((k) => k.tenantId))])
          .where('scan_id', 'in', keys.map((k) => k.scanId))
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .execute();
        return keys.map((k) => rows.filter((r) => r.tenant_id === k.tenantId && r.scan_id === k.scanId));
      },
      { cacheKeyFn: (k) => `${k.tenantId}:${k.scanId}` },
    ),
    /** Every stored setting value of a tenant (all documents); the services pick their prefixes. */
    settingRows: manyBy<SettingValueRow>((r) => r.tenant_id, (ids) => loadSettingRows(db, ids)),
    /** A tenant's explicitly set feature flags (a missing row means the catalog default). */
    featureFlagRows: manyBy<FeatureFlagRow>((r) => r.tenant_id, (ids) => loadFeatureFlagRows(db, ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
