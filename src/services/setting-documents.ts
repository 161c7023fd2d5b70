import {
  buildDocument,
  type CatalogDocumentName,
  type CatalogEntry,
  documents,
  entriesOf,
  entryAt,
} from '../catalog/catalog.js';
import type { JsonValue } from '../catalog/setting.js';
import { flattenPatch, type Issue, validateEntries } from '../catalog/validate.js';
import { badInput } from '../errors/domain-error.js';
import type { Resolution, SettingSource } from './setting-resolution.js';

/** What GraphQL shows of a secret: whether it is set and when it last changed, never the value. */
export interface SecretStatus {
  isSet: boolean;
  updatedAt: Date | null;
}

/**
 * A document's nested shape from a resolution. `typed` is what the GraphQL object types read
 * (a secret as SecretStatus); `json` is the documented JSON body (a secret as "[redacted]" or null).
 */
export function documentOf(
  document: CatalogDocumentName,
  resolution: Resolution,
  mode: 'typed' | 'json',
): Record<string, unknown> {
  return buildDocument(documents[document].tree, (path) => {
    const entry = entryAt(document, path);
    const resolved = resolution.valueOf(entry);
    if (entry.spec.secret && mode === 'typed')
      return { isSet: resolved.value !== null, updatedAt: resolved.updatedAt } satisfies SecretStatus;
    return resolved.value;
  });
}

/** One row of `values(prefix)`: a setting with its provenance, keyed by storage path. */
export interface SettingValueView {
  path: string;
  value: JsonValue;
  source: SettingSource;
  envVar: string | null;
  defaultValue: JsonValue;
  secret: boolean;
  description: string;
  updatedAt: Date | null;
}

/** Every setting of some documents, once per home, optionally under a storage-path prefix. */
export function valuesOf(
  docs: CatalogDocumentName[],
  resolution: Resolution,
  prefix?: string | null,
): SettingValueView[] {
  const seen = new Set<string>();
  return docs
    .flatMap((d) => entriesOf(d))
    .filter((e) => !seen.has(e.storagePath) && seen.add(e.storagePath) && (!prefix || e.storagePath.startsWith(prefix)))
    .map((e) => {
      const r = resolution.valueOf(e);
      return {
        path: e.storagePath,
        value: r.value,
        source: r.source,
        envVar: e.envVar,
        defaultValue: e.spec.default,
        secret: !!e.spec.secret,
        description: e.spec.description,
        updatedAt: r.updatedAt,
      };
    });
}

/**
 * Turns a client's nested patch into (entry, value) pairs, refusing unknown fields and values
 * of the wrong type, range, length, format or enum (BAD_USER_INPUT, every problem in details,
 * the first one as the message). `deferred` paths are validated later, on the merged value.
 */
export function parsePatch(
  document: CatalogDocumentName,
  input: unknown,
  deferred: (path: string) => boolean = () => false,
): Array<[CatalogEntry, JsonValue]> {
  const { entries, issues } = flattenPatch(documents[document].tree, input);
  const checked = new Map([...entries].filter(([path]) => !deferred(path)));
  const all: Issue[] = [...issues, ...validateEntries(checked, (path) => entryAt(document, path).setting)];
  if (all.length) throw badInput(all[0].message, all);
  // Catalog order, so changes and updated_fields come out in the documented field order
  // (GraphQL hands input fields over in the schema's alphabetical order).
  const order = new Map(entriesOf(document).map((e, i) => [e.path, i]));
  return [...entries]
    .sort(([a], [b]) => order.get(a)! - order.get(b)!)
    .map(([path, value]) => [entryAt(document, path), value as JsonValue]);
}

/** A change as clients see it: seed 001 keys admin changes by path inside the category. */
export interface SettingChangeView {
  path: string;
  category: string | null;
  old: JsonValue;
  new: JsonValue;
}

export function changeViewOf(change: { entry: CatalogEntry; old: JsonValue; new: JsonValue }): SettingChangeView {
  return { path: change.entry.categoryPath, category: change.entry.category, old: change.old, new: change.new };
}
