import type { Transaction } from 'kysely';
import { type CatalogEntry, REDACTED, type VersionedDoc } from '../catalog/catalog.js';
import type { SettingsEnv } from '../catalog/environment.js';
import type { JsonValue } from '../catalog/setting.js';
import { type Issue, jsonEqual } from '../catalog/validate.js';
import type { Database, TenantRow } from '../db/tables.js';
import { badInput, conflict } from '../errors/domain-error.js';
import { recordAudit } from './audit.js';
import { type ChangeAction, recordChange } from './change-feed.js';
import { CONFIG_DOCUMENT_OF, recordVersion, stateOfRows, versionChangeOf } from './history-record.js';
import type { ServiceContext } from './service-context.js';
import { type Resolution, resolveSettings } from './setting-resolution.js';
import { deleteSettingRow, loadSettingRows, type SettingValueRow, upsertSettingRow } from './setting-values.js';

/**
 * One change of one setting: `old`/`new` are public values (a secret's are REDACTED or null);
 * `plaintext` carries a secret's new value to the encryption step and nowhere else.
 */
export interface PlannedChange {
  entry: CatalogEntry;
  op: 'set' | 'delete';
  old: JsonValue;
  new: JsonValue;
  plaintext?: string;
  /** A secret restored as it was stored (a rollback): its ciphertext, written back unopened. */
  ciphertext?: string;
}

/** What a planner sees: the locked tenant row and the current resolution, read inside the transaction. */
export interface WriteState {
  tenant: TenantRow;
  resolution: Resolution;
  /** The current plaintext of a stored secret (null when none is stored). */
  secretPlaintext(entry: CatalogEntry): string | null;
  env: SettingsEnv;
}

export interface WriteResult {
  tenant: TenantRow;
  changes: PlannedChange[];
  /** Every setting row of the tenant after the write (a dry run's were never committed). */
  rows: SettingValueRow[];
  /** True when the write was a dry run: everything above is what it would have been. */
  dryRun: boolean;
}

/**
 * Thrown at the end of a dry run's transaction so that it rolls back; carries the result out.
 * Only inWriteTransaction throws and catches it.
 */
export class DryRunRollback<T> extends Error {
  constructor(readonly result: T) {
    super('dry run: rolled back');
  }
}

/**
 * Runs `work` in a transaction that commits, or, for a dry run, always rolls back (answering the
 * same result). With `ctx.db` already a transaction, `work` joins it.
 */
export async function inWriteTransaction<T>(
  ctx: ServiceContext,
  dryRun: boolean,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  // Part of a larger write (an import): the transaction's owner commits or rolls back.
  if (ctx.db.isTransaction) return work(ctx.db as Transaction<Database>);
  try {
    return await ctx.changeFeed.transaction(ctx.db, async (trx) => {
      const result = await work(trx);
      if (dryRun) throw new DryRunRollback(result);
      return result;
    });
  } catch (error) {
    if (dryRun && error instanceof DryRunRollback) return error.result as T;
    throw error;
  }
}

/**
 * The write transaction shared by every settings and config mutation:
 * lock the tenant row (`select … for update`), check `expectedVersion` (stale → CONFLICT with
 * `currentVersion`, nothing written), let the planner compute the changes from the state as
 * locked (it may refuse with issues), write only the changed paths (so concurrent writers to
 * different fields never overwrite each other), bump the version and `*_updated_at`, and
 * record the audit entry and the version (history) — all in one transaction. No change:
 * nothing is written, no audit. `dryRun`: the same transaction, every check and write, then
 * rolled back; no audit entry is inserted (its id sequence would move even on rollback).
 */
export async function writeVersioned(
  ctx: ServiceContext,
  tenantId: string,
  options: {
    versioned: VersionedDoc;
    expectedVersion?: number | null;
    action: ChangeAction;
    target: string;
    plan: (state: WriteState) => PlannedChange[] | { issues: Issue[] };
    /** Record an audit entry even when nothing changed (a reset is an act worth recording). */
    auditWhenUnchanged?: boolean;
    dryRun?: boolean;
  },
): Promise<WriteResult> {
  const { versioned } = options;
  const dryRun = options.dryRun === true;
  const { rows: rowsAfter, ...result } = await inWriteTransaction(ctx, dryRun, async (trx) => {
    const locked = await trx
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', tenantId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const currentVersion = versioned === 'settings' ? locked.settings_version : locked.config_version;
    if (options.expectedVersion != null && options.expectedVersion !== currentVersion) {
      throw conflict(`Version ${options.expectedVersion} is stale: the ${versioned} are at version ${currentVersion}`, {
        currentVersion,
      });
    }
    // Every document's rows, not only this one's: the set as written primes the request's
    // settingRows loader (which holds all of a tenant's rows), so the payload does not read them again.
    const rows = await loadSettingRows(trx, [tenantId]);
    const resolution = resolveSettings(locked, rows, ctx.settingsEnv, (msg, envVar) =>
      ctx.logger.warn({ envVar }, msg),
    );
    const state: WriteState = {
      tenant: locked,
      resolution,
      env: ctx.settingsEnv,
      secretPlaintext: (entry) => {
        const row = resolution.storedRow(entry);
        return row?.encrypted_value
          ? ctx.secrets.open(row.encrypted_value, { tenantId, storagePath: entry.storagePath })
          : null;
      },
    };
    const planned = options.plan(state);
    if (!Array.isArray(planned)) throw badInput(planned.issues[0].message, planned.issues);
    if (planned.length === 0) {
      if (options.auditWhenUnchanged && !dryRun)
        await recordAudit(trx, ctx, { tenantId, action: options.action, target: options.target, changes: {} });
      return { tenant: locked, changes: [], rows, dryRun };
    }
    const written = await applyChanges(trx, ctx, locked.id, planned);
    const now = ctx.now();
    const tenant = await trx
      .updateTable('tenants')
      .set((eb) =>
        versioned === 'settings'
          ? { settings_version: eb('settings_version', '+', 1), settings_updated_at: now }
          : { config_version: eb('config_version', '+', 1), config_updated_at: now },
      )
      .where('id', '=', tenantId)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (!dryRun)
      await recordAudit(trx, ctx, {
        tenantId,
        action: options.action,
        target: options.target,
        changes: auditChanges(planned),
      });
    const after = rowsAfterWrite(rows, written);
    const version = versioned === 'settings' ? tenant.settings_version : tenant.config_version;
    await recordVersion(trx, ctx, {
      tenantId,
      document: CONFIG_DOCUMENT_OF[versioned],
      version,
      action: options.action,
      changes: planned.map(versionChangeOf),
      state: stateOfRows(versioned, tenant, after),
      at: now,
    });
    if (!dryRun) {
      await recordChange(trx, ctx, {
        tenantId,
        action: options.action,
        document: CONFIG_DOCUMENT_OF[versioned],
        version,
        paths: [...new Set(planned.map((c) => c.entry.storagePath))],
      });
    }
    return { tenant, changes: planned, rows: after, dryRun };
  });
  // A dry run's rows were never committed: they go to the answer only, not to the request's loaders.
  if (dryRun) return { ...result, rows: rowsAfter };
  // The request's loaders may hold the rows read before the write: replace them with the
  // rows as this transaction left them (read and written under the tenant row's lock).
  ctx.loaders.tenant.clear(tenantId).prime(tenantId, result.tenant);
  ctx.loaders.settingRows.clear(tenantId).prime(tenantId, rowsAfter);
  return { ...result, rows: rowsAfter };
}

/** The rows read before the write, with the written ones replaced and the deleted ones (null) gone. */
function rowsAfterWrite(before: SettingValueRow[], written: Map<string, SettingValueRow | null>): SettingValueRow[] {
  const byPath = new Map(before.map((r) => [r.path, r]));
  for (const [path, row] of written) {
    if (row) byPath.set(path, row);
    else byPath.delete(path);
  }
  return [...byPath.values()];
}

/** Writes the changes; returns the setting rows written (storage path → row, null when deleted). */
async function applyChanges(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  tenantId: string,
  changes: PlannedChange[],
) {
  const at = ctx.now();
  const keyId = ctx.principal.kind === 'tenant' ? ctx.principal.keyId : null;
  const written = new Map<string, SettingValueRow | null>();
  for (const change of changes) {
    const { entry } = change;
    const path = entry.storagePath;
    if (entry.spec.column) {
      const value = change.op === 'delete' ? null : (change.new as string | null);
      await trx
        .updateTable('tenants')
        .set({ [entry.spec.column]: value })
        .where('id', '=', tenantId)
        .execute();
    } else if (change.op === 'delete') {
      await deleteSettingRow(trx, tenantId, path);
      written.set(path, null);
    } else if (entry.spec.secret) {
      const encryptedValue = change.ciphertext ?? ctx.secrets.seal(change.plaintext!, { tenantId, storagePath: path });
      written.set(path, await upsertSettingRow(trx, { tenantId, path, value: null, encryptedValue, at, keyId }));
    } else {
      written.set(
        path,
        await upsertSettingRow(trx, {
          tenantId,
          path,
          value: JSON.stringify(change.new),
          encryptedValue: null,
          at,
          keyId,
        }),
      );
    }
  }
  return written;
}

/** The audit entry's `changes`: storage path → { old, new }, secrets already REDACTED. */
function auditChanges(changes: PlannedChange[]): Record<string, { old: JsonValue; new: JsonValue }> {
  return Object.fromEntries(changes.map((c) => [c.entry.storagePath, { old: c.old, new: c.new }]));
}

/**
 * Plans a patch (entry → requested value) against the current state: values equal to the
 * current ones are not changes. A secret is compared by plaintext; null clears it.
 */
export function planPatch(state: WriteState, patch: Array<[CatalogEntry, JsonValue]>): PlannedChange[] {
  return patch.flatMap(([entry, requested]): PlannedChange[] => {
    const current = state.resolution.valueOf(entry);
    if (entry.spec.secret) {
      const plaintext = state.secretPlaintext(entry);
      if (requested === null) return plaintext === null ? [] : [{ entry, op: 'delete', old: REDACTED, new: null }];
      if (requested === plaintext) return [];
      return [
        { entry, op: 'set', old: plaintext === null ? null : REDACTED, new: REDACTED, plaintext: requested as string },
      ];
    }
    if (jsonEqual(current.value, requested)) return [];
    return [{ entry, op: 'set', old: current.value, new: requested }];
  });
}

/** Plans deleting the stored values of some entries: the value falls back to env, then default. */
export function planReset(state: WriteState, entries: CatalogEntry[]): PlannedChange[] {
  const seen = new Set<string>();
  const fallback = resolveSettings({ industry: null }, [], state.env);
  return entries.flatMap((entry): PlannedChange[] => {
    if (seen.has(entry.storagePath) || !state.resolution.storedRow(entry)) return [];
    seen.add(entry.storagePath);
    return [{ entry, op: 'delete', old: state.resolution.valueOf(entry).value, new: fallback.valueOf(entry).value }];
  });
}
