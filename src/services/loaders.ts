import DataLoader from 'dataloader';
import type { Db } from '../db/connect.js';
import type { ApiKeyRow, ScanRow, TenantRow } from '../db/tables.js';
import { loadFeatureFlagRows, loadSettingRows, type FeatureFlagRow, type SettingValueRow } from './setting-values.js';

/** Batch rows by id with one `where id in (...)` query; missing ids resolve to null. */
function byId<Row extends { id: string }>(load: (ids: readonly string[]) => Promise<Row[]>) {
  return new DataLoader<string, Row | null>(async (ids) => {
    const rows = await load(ids);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Batch every row of each tenant with one `where tenant_id in (...)` query. */
function byTenant<Row extends { tenant_id: string }>(load: (ids: readonly string[]) => Promise<Row[]>) {
  return new DataLoader<string, Row[]>(async (ids) => {
    const rows = await load(ids);
    return ids.map((id) => rows.filter((r) => r.tenant_id === id));
  });
}

/** Per-request loaders for every lookup by id (a fresh set per request: no cross-request cache). */
export function createLoaders(db: Db) {
  return {
    tenant: byId<TenantRow>((ids) => db.selectFrom('tenants').selectAll().where('id', 'in', ids).execute()),
    apiKey: byId<ApiKeyRow>((ids) => db.selectFrom('api_keys').selectAll().where('id', 'in', ids).execute()),
    scan: byId<ScanRow>((ids) => db.selectFrom('scans').selectAll().where('id', 'in', ids).execute()),
    settingRows: byTenant<SettingValueRow>((ids) => loadSettingRows(db, ids)),
    featureFlagRows: byTenant<FeatureFlagRow>((ids) => loadFeatureFlagRows(db, ids)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
