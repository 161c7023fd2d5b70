import { type CatalogEntry, REDACTED } from '../catalog/catalog.js';
import type { SettingsEnv } from '../catalog/environment.js';
import type { JsonValue, SettingColumn } from '../catalog/setting.js';
import { parseEnvValue } from '../catalog/validate.js';
import type { TenantRow } from '../db/tables.js';
import type { SettingValueRow } from './setting-values.js';

export type SettingSource = 'STORED' | 'ENVIRONMENT' | 'DEFAULT';

/**
 * A setting's effective value and where it came from. For a secret, `value` is REDACTED when
 * set and null when not: the plaintext never leaves the write path.
 */
export interface ResolvedValue {
  value: JsonValue;
  source: SettingSource;
  /** When the stored value was last written (null for env/default). */
  updatedAt: Date | null;
}

export interface Resolution {
  valueOf(entry: CatalogEntry): ResolvedValue;
  /** The stored row of an entry's home, if any (the write path needs it for secrets). */
  storedRow(entry: CatalogEntry): SettingValueRow | undefined;
}

const warnedEnv = new Set<string>();

/**
 * Seed 001's priority, per field: stored value (KV) > environment variable > code default.
 * An environment value that does not parse or validate is ignored (with one warning per
 * variable), so a typo in a deployment cannot put an out-of-range value in force.
 */
export function resolveSettings(
  tenant: Pick<TenantRow, SettingColumn>,
  rows: readonly SettingValueRow[],
  env: SettingsEnv,
  warn: (message: string, envVar: string) => void = () => {},
): Resolution {
  const stored = new Map(rows.map((r) => [r.path, r]));
  const storedRow = (entry: CatalogEntry) => stored.get(entry.storagePath);
  const resolvedValueOf = (entry: CatalogEntry): ResolvedValue => {
    const { spec } = entry;
    if (spec.column) {
      const stored = tenant[spec.column];
      return stored != null
        ? { value: stored, source: 'STORED', updatedAt: null }
        : { value: spec.default, source: 'DEFAULT', updatedAt: null };
    }
    const row = storedRow(entry);
    if (row) {
      const value = spec.secret ? (row.encrypted_value ? REDACTED : null) : (row.value as JsonValue);
      return { value, source: 'STORED', updatedAt: row.updated_at };
    }
    const raw = entry.envVar ? env[entry.envVar] : undefined;
    if (raw !== undefined && raw !== '') {
      const parsed = parseEnvValue(spec, raw);
      if (parsed !== undefined)
        return { value: spec.secret ? REDACTED : parsed, source: 'ENVIRONMENT', updatedAt: null };
      if (!warnedEnv.has(entry.envVar!)) {
        warnedEnv.add(entry.envVar!);
        warn('ignoring an invalid environment value for a setting', entry.envVar!);
      }
    }
    return { value: spec.default, source: 'DEFAULT', updatedAt: null };
  };
  return { valueOf: resolvedValueOf, storedRow };
}
