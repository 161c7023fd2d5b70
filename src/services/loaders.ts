import DataLoader from 'dataloader';
import type { Db } from '../db/connect.js';
import type { ApiKeyRow, ScanRow, ShareLinkRow, TenantRow } from '../db/tables.js';
import type { ReadCache, Ticket } from './read-cache.js';
import { type FeatureFlagRow, loadFeatureFlagRows, loadSettingRows, type SettingValueRow } from './setting-values.js';

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

/**
 * Batch rows by id through the read cache: ids it holds are answered from memory, the others with
 * one query, whose rows are offered to the cache (under a ticket taken before the query).
 */
function cachedById<Row extends { id: string }>(
  cache: ReadCache,
  cached: (id: string) => Row | undefined,
  store: (ticket: Ticket, row: Row) => void,
  load: (ids: readonly string[]) => Promise<Row[]>,
) {
  return byId<Row>(async (ids) => {
    const rows: Row[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const hit = cached(id);
      if (hit) rows.push(hit);
      else missing.push(id);
    }
    if (missing.length === 0) return rows;
    const ticket = cache.begin();
    try {
      const loaded = await load(missing);
      for (const row of loaded) store(ticket, row);
      return rows.concat(loaded);
    } finally {
      cache.end();
    }
  });
}

/** Tickets for loaders without a cache (nothing is stored). */
const noCache = { begin: () => 0, end: () => {} };

/** Batch child rows by a parent id through the read cache (a parent with no rows is cached as []). */
function cachedManyBy<Row>(
  cache: Pick<ReadCache, 'begin' | 'end'>,
  cached: (id: string) => readonly Row[] | undefined,
  store: (ticket: Ticket, id: string, rows: Row[]) => void,
  parentOf: (row: Row) => string,
  load: (ids: readonly string[]) => Promise<Row[]>,
) {
  return new DataLoader<string, readonly Row[]>(async (ids) => {
    const groups = new Map<string, readonly Row[]>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = cached(id);
      if (hit) groups.set(id, hit);
      else missing.push(id);
    }
    if (missing.length) {
      const ticket = cache.begin();
      try {
        const loaded = new Map<string, Row[]>(missing.map((id) => [id, []]));
        for (const row of await load(missing)) loaded.get(parentOf(row))?.push(row);
        for (const [id, rows] of loaded) {
          store(ticket, id, rows);
          groups.set(id, rows);
        }
      } finally {
        cache.end();
      }
    }
    return ids.map((id) => groups.get(id) ?? []);
  });
}

/**
 * Per-request loaders for every lookup by id (a fresh set per request, each loader made on its
 * first use: most requests use one or two). The tenant row, its setting rows and its flag rows
 * come through the process's read cache (read-cache.ts) when one is given (the app always gives its own).
 */
export function createLoaders(db: Db, cache?: ReadCache): Loaders {
  return new Loaders(db, cache);
}

export class Loaders {
  #tenant?: DataLoader<string, TenantRow | null>;
  #apiKey?: DataLoader<string, ApiKeyRow | null>;
  #apiKeysByTenant?: DataLoader<string, ApiKeyRow[]>;
  #scan?: DataLoader<string, ScanRow | null>;
  #shareLinksByScan?: DataLoader<{ tenantId: string; scanId: string }, ShareLinkRow[], string>;
  #settingRows?: DataLoader<string, readonly SettingValueRow[]>;
  #featureFlagRows?: DataLoader<string, readonly FeatureFlagRow[]>;

  constructor(
    private readonly db: Db,
    private readonly cache?: ReadCache,
  ) {}

  get tenant(): DataLoader<string, TenantRow | null> {
    if (this.#tenant) return this.#tenant;
    const { db, cache } = this;
    const loadTenants = (ids: readonly string[]) =>
      db.selectFrom('tenants').selectAll().where('id', 'in', ids).execute();
    this.#tenant = cache
      ? cachedById<TenantRow>(
          cache,
          (id) => cache.tenant(id),
          (t, row) => cache.storeTenant(t, row),
          loadTenants,
        )
      : byId<TenantRow>(loadTenants);
    return this.#tenant;
  }

  get apiKey(): DataLoader<string, ApiKeyRow | null> {
    const { db } = this;
    this.#apiKey ??= byId<ApiKeyRow>((ids) => db.selectFrom('api_keys').selectAll().where('id', 'in', ids).execute());
    return this.#apiKey;
  }

  /** A tenant's keys, oldest first (Tenant.apiKeys: one query for a whole page of tenants). */
  get apiKeysByTenant(): DataLoader<string, ApiKeyRow[]> {
    const { db } = this;
    this.#apiKeysByTenant ??= manyBy<ApiKeyRow>(
      (r) => r.tenant_id,
      (ids) =>
        db
          .selectFrom('api_keys')
          .selectAll()
          .where('tenant_id', 'in', ids)
          .orderBy('created_at')
          .orderBy('id')
          .execute(),
    );
    return this.#apiKeysByTenant;
  }

  get scan(): DataLoader<string, ScanRow | null> {
    const { db } = this;
    this.#scan ??= byId<ScanRow>((ids) => db.selectFrom('scans').selectAll().where('id', 'in', ids).execute());
    return this.#scan;
  }

  /**
   * A scan's share links, newest first, keyed by (tenant, scan): the tenant id is in the SQL, so
   * a scan id alone never yields another tenant's links, whatever the caller passes.
   */
  get shareLinksByScan(): DataLoader<{ tenantId: string; scanId: string }, ShareLinkRow[], string> {
    const { db } = this;
    this.#shareLinksByScan ??= new DataLoader<{ tenantId: string; scanId: string }, ShareLinkRow[], string>(
      async (keys) => {
        const rows = await db
          .selectFrom('share_links')
          .selectAll()
          .where('tenant_id', 'in', [...new Set(keys.map((k) => k.tenantId))])
          .where(
            'scan_id',
            'in',
            keys.map((k) => k.scanId),
          )
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .execute();
        return keys.map((k) => rows.filter((r) => r.tenant_id === k.tenantId && r.scan_id === k.scanId));
      },
      { cacheKeyFn: (k) => `${k.tenantId}:${k.scanId}` },
    );
    return this.#shareLinksByScan;
  }

  /** Every stored setting value of a tenant (all documents); the services pick their prefixes. */
  get settingRows(): DataLoader<string, readonly SettingValueRow[]> {
    const { db, cache } = this;
    this.#settingRows ??= cachedManyBy<SettingValueRow>(
      cache ?? noCache,
      (id) => cache?.settingRows(id),
      (t, id, rows) => cache?.storeSettingRows(t, id, rows),
      (r) => r.tenant_id,
      (ids) => loadSettingRows(db, ids),
    );
    return this.#settingRows;
  }

  /** A tenant's explicitly set feature flags (a missing row means the catalog default). */
  get featureFlagRows(): DataLoader<string, readonly FeatureFlagRow[]> {
    const { db, cache } = this;
    this.#featureFlagRows ??= cachedManyBy<FeatureFlagRow>(
      cache ?? noCache,
      (id) => cache?.flagRows(id),
      (t, id, rows) => cache?.storeFlagRows(t, id, rows),
      (r) => r.tenant_id,
      (ids) => loadFeatureFlagRows(db, ids),
    );
    return this.#featureFlagRows;
  }
}
