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
    scan: byId<ScanRow>((ids) => db.selectFrom('scans').selectAll().where('id', 'in', ids).execute()),
    /** A scan's share links, newest first. Callers pass only ids of scans they were allowed to load. */
    shareLinksByScan: manyBy<ShareLinkRow>(
      (l) => l.scan_id,
      (ids) => db.selectFrom('share_links').selectAll().where('scan_id', 'in', ids).orderBy('created_at', 'desc').orderBy('id', 'desc').execute(),
    ),
    /** Every stored setting value of a tenant (all documents); the services pick their prefixes. */
    settingRows: manyBy<SettingValueRow>((r) => r.tenant_id, (ids) => loadSettingRows(db, ids)),
    /** A tenant's explicitly set feature flags (a missing row means the catalog default). */
    featureFlagRows: manyBy<FeatureFlagRow>((r) => r.tenant_id, (ids) => loadFeatureFlagRows(db, ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
