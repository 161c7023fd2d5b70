import { unstorableText } from './formats.js';
import { isSetting, type JsonValue, type Setting, type SettingSpec, type SettingTree } from './setting.js';

/** One problem of an input, at a dotted path relative to its document. */
export interface Issue {
  path: string;
  message: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The problems of one value for one setting (empty = valid). Messages never quote the value. */
export function validateValue(spec: SettingSpec, value: unknown, path: string): Issue[] {
  const issue = (message: string): Issue[] => [{ path, message }];
  if (value === null) return spec.nullable || spec.secret ? [] : issue(`${path} must not be null`);
  switch (spec.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? [] : issue(`${path} must be a boolean`);
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return issue(`${path} must be a number`);
      if (spec.kind === 'integer' && !Number.isInteger(value)) return issue(`${path} must be an integer`);
      const range = `${path} must be between ${spec.min} and ${spec.max}`;
      if (spec.max !== undefined && value > spec.max) return issue(spec.tooHigh ?? range);
      if (spec.min !== undefined && value < spec.min) return issue(spec.tooLow ?? range);
      return [];
    }
    case 'string':
      return typeof value === 'string' ? stringIssues(spec, value, path) : issue(`${path} must be a string`);
    case 'enum':
      return typeof value === 'string' && spec.values!.includes(value)
        ? []
        : issue(`${path} must be one of: ${spec.values!.join(', ')}`);
    case 'stringList': {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
        return issue(`${path} must be a list of strings`);
      if (spec.maxItems !== undefined && value.length > spec.maxItems)
        return issue(`${path} must have at most ${spec.maxItems} items`);
      if (new Set(value).size !== value.length) return issue(`${path} must not repeat an item`);
      return value.flatMap((item, i) =>
        spec.values && !spec.values.includes(item)
          ? [{ path: `${path}[${i}]`, message: `${path}[${i}] must be one of: ${spec.values.join(', ')}` }]
          : stringIssues(spec, item, `${path}[${i}]`),
      );
    }
    case 'json':
      return spec.check!(value as JsonValue).map((message) => ({ path, message: `${path} ${message}` }));
  }
}

function stringIssues(spec: SettingSpec, value: string, path: string): Issue[] {
  const unstorable = unstorableText(value);
  if (unstorable) return [{ path, message: `${path} ${unstorable}` }];
  const min = spec.minLength ?? 0;
  if (value.length < min || (spec.maxLength !== undefined && value.length > spec.maxLength)) {
    const bound = spec.maxLength !== undefined ? `between ${min} and ${spec.maxLength}` : `at least ${min}`;
    return [{ path, message: `${path} must be ${bound} characters long` }];
  }
  if (spec.pattern && !spec.pattern.regex.test(value)) return [{ path, message: `${path} ${spec.pattern.message}` }];
  return [];
}

/**
 * Flattens a (possibly nested) patch against a tree: dotted path → new value, for the leaves
 * the patch names. Unknown keys and wrong shapes are issues; `undefined` means "not given".
 * A `null` group is treated as not given (GraphQL lets a client send an optional object as null).
 */
export function flattenPatch(
  tree: SettingTree,
  patch: unknown,
  prefix = '',
): { entries: Map<string, unknown>; issues: Issue[] } {
  const entries = new Map<string, unknown>();
  const issues: Issue[] = [];
  const walk = (node: SettingTree, value: unknown, at: string) => {
    if (value === undefined || value === null) return;
    if (!isPlainObject(value)) {
      issues.push({ path: at || '(root)', message: `${at || 'input'} must be an object` });
      return;
    }
    for (const [key, child] of Object.entries(value)) {
      const path = at ? `${at}.${key}` : key;
      const decl = Object.hasOwn(node, key) ? node[key] : undefined;
      if (!decl) issues.push({ path, message: `${path} is not a known setting` });
      else if (isSetting(decl)) {
        if (child !== undefined) entries.set(path, child);
      } else walk(decl, child, path);
    }
  };
  walk(tree, patch, prefix);
  return { entries, issues };
}

/** Validates every entry of a flattened patch against its declaration. */
export function validateEntries(entries: Map<string, unknown>, settingAt: (path: string) => Setting): Issue[] {
  return [...entries].flatMap(([path, value]) => validateValue(settingAt(path).spec, value, path));
}

/** Structural JSON equality (key order ignored): "a value equal to the current one is not a change". */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Parses an environment variable's text as a setting of this kind; undefined when it does not parse or validate. */
export function parseEnvValue(spec: SettingSpec, raw: string): JsonValue | undefined {
  let value: unknown;
  const text = raw.trim();
  switch (spec.kind) {
    case 'boolean':
      value = /^(true|1|yes|on)$/i.test(text) ? true : /^(false|0|no|off)$/i.test(text) ? false : undefined;
      break;
    case 'integer':
    case 'number':
      value = text !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined;
      break;
    case 'string':
    case 'enum':
      value = raw;
      break;
    case 'stringList':
      value = text.startsWith('[')
        ? safeJson(text)
        : text
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
      break;
    case 'json':
      value = safeJson(text);
      break;
  }
  if (value === undefined || validateValue(spec, value, 'env').length > 0) return undefined;
  return value as JsonValue;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
