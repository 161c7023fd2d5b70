import { checkObjectList, formats, isObject, oneOfField, stringField } from './formats.js';
import { type JsonValue, type SettingTree, setting } from './setting.js';

/** Bounds of `custom_settings` (free key/values): enough for real use, small enough to keep rows cheap. */
const CUSTOM_SETTINGS_LIMITS = { maxKeys: 100, maxKeyLength: 64, maxBytes: 16 * 1024 } as const;

function checkCustomSettings(value: JsonValue): string[] {
  if (!isObject(value)) return ['must be an object of key/value pairs'];
  const keys = Object.keys(value);
  const { maxKeys, maxKeyLength, maxBytes } = CUSTOM_SETTINGS_LIMITS;
  if (keys.length > maxKeys) return [`must have at most ${maxKeys} keys`];
  const badKey = keys.find((k) => k.length === 0 || k.length > maxKeyLength || !/^[A-Za-z0-9_.-]+$/.test(k));
  if (badKey !== undefined) return [`keys must be 1-${maxKeyLength} characters of letters, digits, _ . -`];
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > maxBytes) return [`must be at most ${maxBytes} bytes as JSON`];
  return [];
}

/** Seed 003's data models, every range and default of its tables. */
export const tenantConfigTree = {
  performance: {
    cache_size_mb: setting.integer(1024, [0, 100_000], 'Result cache size in MB.', {
      tooHigh: 'Cache size exceeds maximum (100 GB)',
    }),
    max_parallel_workers: setting.integer(8, [1, 128], 'Maximum parallel query workers.', {
      tooHigh: 'Parallel workers exceeds maximum (128)',
    }),
    enable_query_optimization: setting.boolean(true, 'Enable query optimizer.'),
    enable_result_caching: setting.boolean(true, 'Enable result caching.'),
    enable_adaptive_indexing: setting.boolean(true, 'Enable adaptive indexing.'),
    query_timeout_secs: setting.integer(300, [1, 3600], 'Query timeout in seconds.'),
    query_memory_limit_mb: setting.integer(4096, [256, 65_536], 'Per-query memory limit in MB.'),
    collect_query_stats: setting.boolean(true, 'Collect query statistics.'),
  },
  security: {
    encryption_at_rest: setting.boolean(true, 'Enable encryption at rest.'),
    encryption_in_transit: setting.boolean(true, 'Enable encryption in transit.'),
    encryption_algorithm: setting.enum('AES-256-GCM', ['AES-256-GCM', 'AES-128-GCM'], 'Encryption algorithm.'),
    kms_key_id: setting.string(null, 'KMS key identifier (a valid KMS ARN).', {
      nullable: true,
      maxLength: 2048,
      pattern: formats.kmsArn,
    }),
    enable_rls: setting.boolean(true, 'Enable row-level security.'),
    enable_column_encryption: setting.boolean(false, 'Enable column encryption.'),
    password_complexity: setting.integer(3, [1, 5], 'Password complexity level.', {
      tooHigh: 'Password complexity must be between 1 and 5',
      tooLow: 'Password complexity must be between 1 and 5',
    }),
    session_timeout_mins: setting.integer(30, [5, 1440], 'Session timeout in minutes.'),
    require_mfa: setting.boolean(false, 'Require multi-factor auth.'),
    allowed_ips: setting.stringList([], 'Allowed IP addresses (CIDR).', {
      maxItems: 100,
      maxLength: 64,
      pattern: formats.cidr,
    }),
    enable_audit_log: setting.boolean(true, 'Enable audit logging.'),
    audit_retention_days: setting.integer(90, [1, 3650], 'Audit log retention days.'),
  },
  backup: {
    enabled: setting.boolean(true, 'Enable automatic backups.'),
    frequency_hours: setting.integer(24, [1, 168], 'Backup frequency in hours.'),
    retention_days: setting.integer(30, [1, 365], 'Backup retention days.'),
    full_backup_interval: setting.integer(7, [1, 30], 'Full backup interval (incrementals).'),
    destinations: setting.json(
      [],
      'Backup destinations: BackupDestination[] { destination_type, bucket, region, path, credentials_id }, at most 10.',
      (v) =>
        checkObjectList(v, 10, {
          destination_type: { required: true, check: oneOfField(['s3', 'gcs', 'azure_blob', 'local']) },
          bucket: { required: true, check: stringField(255) },
          region: { required: false, check: stringField(64) },
          path: { required: false, check: stringField(1024) },
          credentials_id: { required: false, check: stringField(255) },
        }),
    ),
    enable_pitr: setting.boolean(true, 'Enable point-in-time recovery.'),
    pitr_retention_days: setting.integer(7, [1, 30], 'PITR retention days.'),
    encrypt_backups: setting.boolean(true, 'Encrypt backup data.'),
    compress_backups: setting.boolean(true, 'Compress backup data.'),
  },
  replication: {
    enabled: setting.boolean(false, 'Enable replication.'),
    mode: setting.enum('async', ['async', 'sync', 'semi-sync'], 'Replication mode.'),
    regions: setting.stringList([], 'Target regions (AWS regions).', { maxItems: 32, pattern: formats.awsRegion }),
    consistency_level: setting.enum('eventual', ['eventual', 'read_after_write', 'strong'], 'Consistency level.'),
    max_lag_seconds: setting.integer(60, [1, 300], 'Max replication lag (seconds).'),
    enable_auto_failover: setting.boolean(true, 'Enable automatic failover.'),
    failover_priority: setting.stringList([], 'Failover priority order (region names).', {
      maxItems: 32,
      pattern: formats.awsRegion,
    }),
  },
  compliance: {
    gdpr: setting.boolean(false, 'Enable GDPR compliance.'),
    hipaa: setting.boolean(false, 'Enable HIPAA compliance.'),
    soc2: setting.boolean(false, 'Enable SOC2 compliance.'),
    pci_dss: setting.boolean(false, 'Enable PCI-DSS compliance.'),
    data_residency: setting.stringList([], 'Data residency requirements (country codes).', {
      maxItems: 50,
      pattern: formats.countryCode,
    }),
    enable_retention_policies: setting.boolean(false, 'Enable retention policies.'),
    default_retention_days: setting.integer(365, [1, 3650], 'Default retention period.'),
    enable_anonymization: setting.boolean(false, 'Enable data anonymization.'),
    enable_rtbf: setting.boolean(false, 'Enable right-to-be-forgotten.'),
  },
  custom_settings: setting.json(
    {},
    `Custom key-value settings (merged into the stored object; a null value removes its key). At most ${CUSTOM_SETTINGS_LIMITS.maxKeys} keys of ${CUSTOM_SETTINGS_LIMITS.maxKeyLength} characters, ${CUSTOM_SETTINGS_LIMITS.maxBytes} bytes in all.`,
    checkCustomSettings,
  ),
} satisfies SettingTree;
