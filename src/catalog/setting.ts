/**
 * The declaration DSL of the settings catalog: one `Setting` per value, grouped into plain
 * nested objects (`SettingTree`). Pure: no database, no GraphQL. Everything else (GraphQL
 * object and input types, validation, defaults, env resolution, reset, diffs, document
 * shapes) is derived from these declarations.
 */

/**
 * The nullable text columns of `tenants` that hold a setting's value. Reads and writes go through
 * `spec.column` generically (setting-resolution.ts, document-write.ts, tenants.ts): adding one
 * here and in the table is the whole change.
 */
export type SettingColumn = 'industry';

type SettingKind = 'boolean' | 'integer' | 'number' | 'string' | 'enum' | 'stringList' | 'json';

/** A JSON value as stored and returned. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface SettingSpec {
  kind: SettingKind;
  description: string;
  /** The code default (lowest priority); `null` only when `nullable`. */
  default: JsonValue;
  /** Numeric range (integer, number), both ends inclusive. */
  min?: number;
  max?: number;
  /** Documented messages for a value above `max` / below `min` (seed 003); generic otherwise. */
  tooHigh?: string;
  tooLow?: string;
  /** Allowed values of an enum, or of each item of a string list. */
  values?: readonly string[];
  /** String length bounds. */
  minLength?: number;
  maxLength?: number;
  /** A string's (or each list item's) format, with the message naming it. */
  pattern?: { regex: RegExp; message: string };
  /** Most items a string list holds. */
  maxItems?: number;
  /** Null is a valid value (e.g. an unset KMS key id). */
  nullable?: boolean;
  /** Never returned, logged or audited; stored encrypted. */
  secret?: boolean;
  /**
   * Environment variable name; derived from the storage path when absent (see catalog.ts),
   * `false` when the setting has no environment layer.
   */
  env?: string | false;
  /** The value lives in this column of `tenants` instead of `setting_values`. */
  column?: SettingColumn;
  /**
   * The setting shapes every scan: it is read with the scan (services/scan-settings.ts) and
   * shown under this label in a shared scan's evidence (rest/share-page-html.ts).
   */
  scanEvidenceLabel?: string;
  /** Validation of a JSON-valued setting beyond its kind: returns problems (empty = valid). */
  check?: (value: JsonValue) => string[];
}

export class Setting {
  constructor(readonly spec: SettingSpec) {}
}

export interface SettingTree {
  readonly [key: string]: Setting | SettingTree;
}

type Options = Partial<Omit<SettingSpec, 'kind' | 'default' | 'description'>>;

/** One constructor per kind, so each declaration reads as one line. */
export const setting = {
  boolean: (def: boolean, description: string, options: Options = {}) =>
    new Setting({ kind: 'boolean', default: def, description, ...options }),
  integer: (def: number | null, [min, max]: [number, number], description: string, options: Options = {}) =>
    new Setting({ kind: 'integer', default: def, min, max, description, ...options }),
  number: (def: number, [min, max]: [number, number], description: string, options: Options = {}) =>
    new Setting({ kind: 'number', default: def, min, max, description, ...options }),
  string: (def: string | null, description: string, options: Options = {}) =>
    new Setting({ kind: 'string', default: def, description, ...options }),
  enum: (def: string, values: readonly string[], description: string, options: Options = {}) =>
    new Setting({ kind: 'enum', default: def, values, description, ...options }),
  stringList: (def: string[], description: string, options: Options = {}) =>
    new Setting({ kind: 'stringList', default: def, description, ...options }),
  json: (def: JsonValue, description: string, check: (value: JsonValue) => string[], options: Options = {}) =>
    new Setting({ kind: 'json', default: def, description, check, ...options }),
};

export function isSetting(node: Setting | SettingTree): node is Setting {
  return node instanceof Setting;
}

/** Every leaf of a tree with its dotted path, in declaration order. */
export function leavesOf(tree: SettingTree, prefix = ''): Array<{ path: string; setting: Setting }> {
  return Object.entries(tree).flatMap(([key, node]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return isSetting(node) ? [{ path, setting: node }] : leavesOf(node, path);
  });
}

/** A short, human description of a setting's allowed values (for docs and GraphQL descriptions). */
export function describeConstraints(spec: SettingSpec): string {
  const parts: string[] = [];
  if (spec.min !== undefined && spec.max !== undefined) parts.push(`range ${spec.min}-${spec.max}`);
  if (spec.values && spec.kind === 'enum') parts.push(`one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`);
  if (spec.values && spec.kind === 'stringList')
    parts.push(`items from ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`);
  if (spec.maxLength !== undefined) parts.push(`at most ${spec.maxLength} characters`);
  if (spec.maxItems !== undefined) parts.push(`at most ${spec.maxItems} items`);
  if (!spec.secret) parts.push(`default ${JSON.stringify(spec.default)}`);
  return parts.join('; ');
}
