import DataLoader from 'dataloader';
import type { Db } from '../db/connect.js';
import type { ApiKeyRow, ScanRow, TenantRow } from '../db/tables.js';

/** Batch rows by id with one `where id in (...)` query; missing ids resolve to null. */
function byId<Row extends { id: string }>(load: (ids: readonly string[]) => Promise<Row[]>) {
  return new DataLoader<string, Row | null>(async (ids) => {
    const rows = await load(ids);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/** Per-request loaders for every lookup by id (a fresh set per request: no cross-request cache). */
export function createLoaders(db: Db) {
  return {
    tenant: byId<TenantRow>((ids) => db.selectFrom('tenants').selectAll().where('id', 'in', ids).execute()),
    apiKey: byId<ApiKeyRow>((ids) => db.selectFrom('api_keys').selectAll().where('id', 'in', ids).execute()),
    scan: byId<ScanRow>((ids) => db.selectFrom('scans').selectAll().where('id', 'in', ids).execute()),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
