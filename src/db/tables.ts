import type { ColumnType, Generated, Selectable } from 'kysely';

// One interface per table, combined into `Database` (the shape of db/migrations).
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<unknown, string | undefined | null, string | null>;

export type TierName = 'BASIC' | 'PRO' | 'ENTERPRISE';
export type RoleName = 'VIEWER' | 'OPERATOR' | 'ADMIN';

interface TenantsTable {
  id: Generated<string>;
  name: string;
  tier: ColumnType<TierName, TierName | undefined, TierName>;
  industry: string | null;
  settings_version: Generated<number>;
  config_version: Generated<number>;
  flags_version: Generated<number>;
  settings_updated_at: NullableTimestamp;
  config_updated_at: NullableTimestamp;
  created_at: Timestamp;
  /** The tenant's last change-feed cursor (bigint: a string from pg). */
  change_cursor: ColumnType<string | number, never, never>;
}

interface ApiKeysTable {
  id: Generated<string>;
  tenant_id: string;
  role: RoleName;
  prefix: string;
  key_hash: string;
  label: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface SettingValuesTable {
  tenant_id: string;
  path: string;
  value: Json;
  encrypted_value: string | null;
  updated_at: Timestamp;
  updated_by_key_id: string | null;
}

export interface FeatureFlagsTable {
  tenant_id: string;
  key: string;
  enabled: boolean;
  updated_at: Timestamp;
  updated_by_key_id: string | null;
}

interface ScansTable {
  id: Generated<string>;
  tenant_id: string;
  target: string;
  status: ColumnType<string, string | undefined, string>;
  summary: Json;
  report: Json;
  retained: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  created_by_key_id: string | null;
}

interface ShareLinksTable {
  id: Generated<string>;
  tenant_id: string;
  scan_id: string;
  token_hash: string;
  label: string | null;
  scope: 'report' | 'bundle' | 'passport';
  expires_at: Timestamp;
  created_at: Timestamp;
  created_by_key_id: string | null;
  revoked_at: NullableTimestamp;
}

interface AuditLogTable {
  id: Generated<string>;
  tenant_id: string | null;
  actor_key_id: string | null;
  actor_role: string;
  action: string;
  target: string | null;
  changes: Json;
  request_id: string | null;
  created_at: Timestamp;
}

interface TenantChangesTable {
  tenant_id: string;
  /** bigint: pg returns it as a string. */
  cursor: ColumnType<string | number, number, never>;
  action: string;
  document: 'SETTINGS' | 'TENANT_CONFIG' | 'FEATURE_FLAGS' | null;
  version: number | null;
  paths: ColumnType<string[], string, never>;
  target: string | null;
  actor_key_id: string | null;
  actor_role: string;
  request_id: string | null;
  committed_at: Timestamp;
}

export type ConfigDocumentName = 'SETTINGS' | 'TENANT_CONFIG' | 'FEATURE_FLAGS';

interface ConfigVersionsTable {
  tenant_id: string;
  document: ConfigDocumentName;
  version: number;
  action: string;
  actor_key_id: string | null;
  actor_role: string;
  request_id: string | null;
  changes: Json;
  state: Json;
  created_at: Timestamp;
}

interface WebhookDeliveriesTable {
  /** Also the message's `webhook-id`. */
  id: string;
  tenant_id: string;
  /** The change's cursor (bigint: a string from pg). */
  cursor: ColumnType<string | number, number, never>;
  event: string;
  endpoint: string;
  body: string;
  status: ColumnType<'pending' | 'delivered' | 'failed', 'pending' | undefined, 'pending' | 'delivered' | 'failed'>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: NullableTimestamp;
  leased_until: NullableTimestamp;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  setting_values: SettingValuesTable;
  feature_flags: FeatureFlagsTable;
  scans: ScansTable;
  share_links: ShareLinksTable;
  audit_log: AuditLogTable;
  tenant_changes: TenantChangesTable;
  config_versions: ConfigVersionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type TenantRow = Selectable<TenantsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type ScanRow = Selectable<ScansTable>;
export type ShareLinkRow = Selectable<ShareLinksTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type ConfigVersionRow = Selectable<ConfigVersionsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
