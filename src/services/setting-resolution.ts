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
interface ResolvedValue {
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

interface Derived<V> {
  tenant: object;
  env: object;
  value: V;
}

/** Two reads of one row: the same columns (times by their instant). */
function sameRow(a: object, b: object): boolean {
  if (a === b) return true;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const key in x) {
    const u = x[key];
    const v = y[key];
    if (u !== v && !(u instanceof Date && v instanceof Date && u.getTime() === v.getTime())) return false;
  }
  return Object.keys(x).length === Object.keys(y).length;
}

/**
 * A value derived from a tenant's rows (a resolution, a view), computed once while the rows stay
 * cached. The read cache hands out the same frozen rows array until the tenant changes
 * (services/read-cache.ts), so a value keyed by that array, for the same tenant row (the same
 * object, or a read of it with the same columns: a list reads its page of tenants afresh) and
 * environment, is as fresh as the rows are. Rows that are not frozen (just read, or as a write
 * left them) are derived afresh every time.
 */
export function derivedOnce<V>(
  memo: WeakMap<readonly unknown[], Derived<V>>,
  rows: readonly unknown[],
  tenant: object,
  env: object,
  derive: () => V,
): V {
  if (!Object.isFrozen(rows)) return derive();
  const known = memo.get(rows);
  if (known && known.env === env && sameRow(known.tenant, tenant)) return known.value;
  const value = derive();
  memo.set(rows, { tenant, env, value });
  return value;
}

export type DerivedMemo<V> = WeakMap<readonly unknown[], Derived<V>>;
