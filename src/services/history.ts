import { sql } from 'kysely';
import { type CatalogEntry, entriesOfVersioned, REDACTED, type VersionedDoc } from '../catalog/catalog.js';
import { features } from '../catalog/features.js';
import type { JsonValue } from '../catalog/setting.js';
import { jsonEqual } from '../catalog/validate.js';
import type { ConfigDocumentName, ConfigVersionRow, TenantRow } from '../db/tables.js';
import { badInput, notFound } from '../errors/domain-error.js';
import { INDUSTRY_PATH, type StoredState, type VersionChange } from './history-record.js';
import { decodeCursor, type Page, type PageArgs, pageSize, toPage } from './pagination.js';
import type { ServiceContext } from './service-context.js';
import { changeViewOf, documentOf, type SettingChangeView } from './setting-documents.js';
import { type Resolution, resolveSettings } from './setting-resolution.js';
import type { SettingValueRow } from './setting-values.js';
import { requireSameTenant } from './tenant-access.js';

export const VERSIONED_OF: Record<ConfigDocumentName, VersionedDoc | null> = {
  SETTINGS: 'settings',
  TENANT_CONFIG: 'config',
  FEATURE_FLAGS: null,
};

/** A version as GraphQL shows it (the stored state stays behind). */
export interface ConfigVersionView {
  document: ConfigDocumentName;
  version: number;
  createdAt: Date;
  actorKeyId: string | null;
  actorRole: string;
  requestId: string | null;
  action: string;
  changes: SettingChangeView[];
}

export interface HistoryFilter {
  /** A path prefix, matched against the change's path, its category-qualified path and its storage path. */
  path?: string | null;
  /** Inclusive. */
  since?: Date | null;
  /** Exclusive. */
  until?: Date | null;
}

const PUBLIC_COLUMNS = [
  'document',
  'version',
  'created_at',
  'actor_key_id',
  'actor_role',
  'request_id',
  'action',
  'changes',
] as const;

function viewOf(row: Pick<ConfigVersionRow, (typeof PUBLIC_COLUMNS)[number]>): ConfigVersionView {
  return {
    document: row.document,
    version: row.version,
    createdAt: row.created_at,
    actorKeyId: row.actor_key_id,
    actorRole: row.actor_role,
    requestId: row.request_id,
    action: row.action,
    changes: (row.changes as VersionChange[]).map((c) => ({
      path: c.path,
      category: c.category,
      old: c.old,
      new: c.new,
    })),
  };
}

/** The current version number of a document (the tenant row's counter). */
export function currentVersionOf(tenant: TenantRow, document: ConfigDocumentName): number {
  return document === 'SETTINGS'
    ? tenant.settings_version
    : document === 'TENANT_CONFIG'
      ? tenant.config_version
      : tenant.flags_version;
}

/** A tenant's versions of one document, newest first, cursor-paginated (the cursor is the version number). */
export async function listHistory(
  ctx: ServiceContext,
  tenant: TenantRow,
  document: ConfigDocumentName,
  filter: HistoryFilter,
  args: PageArgs,
): Promise<Page<ConfigVersionView>> {
  requireSameTenant(ctx, tenant.id);
  const size = pageSize(args.first);
  const after = decodeCursor(args.after);
  if (after !== undefined && !/^\d{1,9}$/.test(after))
    throw badInput('Invalid cursor', [{ path: 'after', message: 'Invalid cursor' }]);
  if (filter.path != null && filter.path.length > 200)
    throw badInput('path must be at most 200 characters', [{ path: 'path', message: 'too long' }]);
  let query = ctx.db
    .selectFrom('config_versions')
    .select(PUBLIC_COLUMNS)
    .where('tenant_id', '=', tenant.id)
    .where('document', '=', document);
  if (filter.since) query = query.where('created_at', '>=', filter.since);
  if (filter.until) query = query.where('created_at', '<', filter.until);
  if (after !== undefined) query = query.where('version', '<', Number(after));
  if (filter.path) {
    const prefix = filter.path;
    query = query.where(
      sql<boolean>`exists (select 1 from jsonb_array_elements(changes) c where starts_with(c->>'path', ${prefix})
        or starts_with(c->>'storage_path', ${prefix}) or starts_with(coalesce(c->>'category' || '.', '') || (c->>'path'), ${prefix}))`,
    );
  }
  const rows = await query
    .orderBy('version', 'desc')
    .limit(size + 1)
    .execute();
  return toPage(rows.map(viewOf), size, (v) => String(v.version));
}

/**
 * The stored state of a document after `version`. Version 0 is the empty state (nothing
 * stored) when the history is complete from its first write. Unknown version: NOT_FOUND.
 */
export async function storedStateAt(
  ctx: ServiceContext,
  tenant: TenantRow,
  document: ConfigDocumentName,
  version: number,
): Promise<{ state: StoredState; createdAt: Date | null }> {
  const unknown = () => notFound(`Version ${version} of ${document}`);
  if (!Number.isInteger(version) || version < 0 || version > currentVersionOf(tenant, document)) throw unknown();
  const wanted = version === 0 ? 1 : version;
  const row = await ctx.db
    .selectFrom('config_versions')
    .select(['state', 'created_at'])
    .where('tenant_id', '=', tenant.id)
    .where('document', '=', document)
    .where('version', '=', wanted)
    .executeTakeFirst();
  if (version === 0 && (row || currentVersionOf(tenant, document) === 0)) return { state: {}, createdAt: null };
  if (!row) throw unknown();
  return { state: row.state as StoredState, createdAt: row.created_at };
}

/** A settings/config resolution over a stored state (stored > environment > default, as for live values). */
export function resolutionOfState(
  ctx: ServiceContext,
  tenant: TenantRow,
  state: StoredState,
  at: Date | null,
): Resolution {
  const rows: SettingValueRow[] = Object.entries(state)
    .filter(([path]) => path !== INDUSTRY_PATH)
    .map(([path, stored]) => ({
      tenant_id: tenant.id,
      path,
      value: 'v' in stored ? stored.v : null,
      encrypted_value: 'enc' in stored ? stored.enc : null,
      updated_at: at ?? tenant.created_at,
      updated_by_key_id: null,
    }));
  const industry = state[INDUSTRY_PATH];
  return resolveSettings(
    { industry: industry && 'v' in industry ? (industry.v as string) : null },
    rows,
    ctx.settingsEnv,
  );
}

/** Whether each feature is switched on in a flags state (stored, else the catalog default). */
export function flagsOfState(state: StoredState): Record<string, boolean> {
  return Object.fromEntries(
    features.map((f) => {
      const stored = state[f.key];
      return [f.key, stored && 'v' in stored ? stored.v === true : f.defaultEnabled];
    }),
  );
}

/** The whole document after a version, secrets as "[redacted]" (set) or null (unset). */
export async function documentAt(
  ctx: ServiceContext,
  tenant: TenantRow,
  document: ConfigDocumentName,
  version: number,
): Promise<Record<string, unknown>> {
  requireSameTenant(ctx, tenant.id);
  const { state, createdAt } = await storedStateAt(ctx, tenant, document, version);
  return documentOfState(ctx, tenant, document, state, createdAt);
}

export function documentOfState(
  ctx: ServiceContext,
  tenant: TenantRow,
  document: ConfigDocumentName,
  state: StoredState,
  at: Date | null,
): Record<string, unknown> {
  if (document === 'FEATURE_FLAGS') return flagsOfState(state);
  const resolution = resolutionOfState(ctx, tenant, state, at);
  if (document === 'TENANT_CONFIG') return documentOf('config', resolution, 'json');
  return { settings: documentOf('settings', resolution, 'json'), categories: documentOf('admin', resolution, 'json') };
}

/** Each catalog entry of a versioned document once (a value declared twice has one home). */
export function homesOf(versioned: VersionedDoc): CatalogEntry[] {
  const seen = new Set<string>();
  return entriesOfVersioned(versioned).filter((e) => !seen.has(e.storagePath) && seen.add(e.storagePath));
}

/** A secret's stored ciphertext in a state, or null. */
export const cipherOf = (state: StoredState, path: string) => {
  const stored = state[path];
  return stored && 'enc' in stored ? stored.enc : null;
};

/** The changes that lead from version `from` to version `to` (either order), paths as in SettingChange. */
export async function diffVersions(
  ctx: ServiceContext,
  tenant: TenantRow,
  document: ConfigDocumentName,
  from: number,
  to: number,
): Promise<SettingChangeView[]> {
  requireSameTenant(ctx, tenant.id);
  const [a, b] = await Promise.all([
    storedStateAt(ctx, tenant, document, from),
    storedStateAt(ctx, tenant, document, to),
  ]);
  const versioned = VERSIONED_OF[document];
  if (!versioned) {
    const [fa, fb] = [flagsOfState(a.state), flagsOfState(b.state)];
    return features
      .filter((f) => fa[f.key] !== fb[f.key])
      .map((f) => ({ path: f.key, category: null, old: fa[f.key], new: fb[f.key] }));
  }
  const [ra, rb] = [
    resolutionOfState(ctx, tenant, a.state, a.createdAt),
    resolutionOfState(ctx, tenant, b.state, b.createdAt),
  ];
  return homesOf(versioned).flatMap((entry): SettingChangeView[] => {
    if (entry.spec.secret) {
      const [ca, cb] = [cipherOf(a.state, entry.storagePath), cipherOf(b.state, entry.storagePath)];
      if (ca === cb) return [];
      return [
        changeViewOf({
          entry,
          old: ca === null ? ra.valueOf(entry).value : REDACTED,
          new: cb === null ? rb.valueOf(entry).value : REDACTED,
        }),
      ];
    }
    const [va, vb] = [ra.valueOf(entry).value, rb.valueOf(entry).value];
    return jsonEqual(va, vb) ? [] : [changeViewOf({ entry, old: va as JsonValue, new: vb as JsonValue })];
  });
}
