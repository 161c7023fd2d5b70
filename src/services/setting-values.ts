import type { Selectable } from 'kysely';
import type { DbOrTrx } from '../db/connect.js';
import type { FeatureFlagsTable, SettingValuesTable } from '../db/tables.js';

export type SettingValueRow = Selectable<SettingValuesTable>;
export type FeatureFlagRow = Selectable<FeatureFlagsTable>;

/** Repository helpers of `setting_values` and `feature_flags`: `db` or `trx` first, tenant id always in the SQL. */
export async function loadSettingRows(
  db: DbOrTrx,
  tenantIds: readonly string[],
  prefixes?: string[],
): Promise<SettingValueRow[]> {
  let query = db.selectFrom('setting_values').selectAll().where('tenant_id', 'in', tenantIds);
  // Prefixes are catalog constants ("settings.", "admin.", "config.") without LIKE wildcards.
  if (prefixes) query = query.where((eb) => eb.or(prefixes.map((p) => eb('path', 'like', `${p}%`))));
  return query.orderBy('path').execute();
}

export async function upsertSettingRow(
  trx: DbOrTrx,
  row: {
    tenantId: string;
    path: string;
    value: string | null;
    encryptedValue: string | null;
    at: Date;
    keyId: string | null;
  },
): Promise<SettingValueRow> {
  const values = {
    value: row.value,
    encrypted_value: row.encryptedValue,
    updated_at: row.at,
    updated_by_key_id: row.keyId,
  };
  return trx
    .insertInto('setting_values')
    .values({ tenant_id: row.tenantId, path: row.path, ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'path']).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteSettingRow(trx: DbOrTrx, tenantId: string, path: string): Promise<void> {
  await trx.deleteFrom('setting_values').where('tenant_id', '=', tenantId).where('path', '=', path).execute();
}

export async function loadFeatureFlagRows(db: DbOrTrx, tenantIds: readonly string[]): Promise<FeatureFlagRow[]> {
  return db.selectFrom('feature_flags').selectAll().where('tenant_id', 'in', tenantIds).orderBy('key').execute();
}

export async function upsertFeatureFlagRow(
  trx: DbOrTrx,
  row: { tenantId: string; key: string; enabled: boolean; at: Date; keyId: string | null },
) {
  const values = { enabled: row.enabled, updated_at: row.at, updated_by_key_id: row.keyId };
  return trx
    .insertInto('feature_flags')
    .values({ tenant_id: row.tenantId, key: row.key, ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
}
