import { adminSettingsTree } from './admin-settings.js';
import { isSetting, leavesOf, type Setting, type SettingSpec, type SettingTree } from './setting.js';
import { tenantConfigTree } from './tenant-config.js';
import { tenantSettingsTree } from './tenant-settings.js';

/**
 * The three documents of the catalog and where each value lives. Storage paths follow the
 * shared convention: `settings.<field>`, `admin.<category>.<group>.<field>`,
 * `config.<section>.<field>`. A Setting instance declared in two documents (the webhook
 * signing secret) has one home: the storage path of its first declaration.
 */
export type CatalogDocumentName = 'settings' | 'admin' | 'config';

/** Documents sharing one version counter: seed 000 and seed 001 are both "settings". */
export type VersionedDoc = 'settings' | 'config';

export const documents: Record<CatalogDocumentName, { tree: SettingTree; prefix: string; versioned: VersionedDoc }> = {
  settings: { tree: tenantSettingsTree, prefix: 'settings', versioned: 'settings' },
  admin: { tree: adminSettingsTree, prefix: 'admin', versioned: 'settings' },
  config: { tree: tenantConfigTree, prefix: 'config', versioned: 'config' },
};

export interface CatalogEntry {
  document: CatalogDocumentName;
  /** Dotted path within its document (`authentication.password_policy.min_length`). */
  path: string;
  /** For admin settings: the category and the path inside it (seed 001's change keys). */
  category: string | null;
  categoryPath: string;
  /** setting_values.path of the value's one home (or `tenants.<column>`). */
  storagePath: string;
  envVar: string | null;
  setting: Setting;
  spec: SettingSpec;
}

const camelToSnake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
const envNameOf = (storagePath: string) => camelToSnake(storagePath).replace(/[.]/g, '_').toUpperCase();

const homes = new Map<Setting, string>();
const byDocument = {} as Record<CatalogDocumentName, CatalogEntry[]>;
for (const [name, doc] of Object.entries(documents) as Array<
  [CatalogDocumentName, (typeof documents)[CatalogDocumentName]]
>) {
  byDocument[name] = leavesOf(doc.tree).map(({ path, setting }) => {
    const spec = setting.spec;
    if (!homes.has(setting)) homes.set(setting, spec.column ? `tenants.${spec.column}` : `${doc.prefix}.${path}`);
    const storagePath = homes.get(setting)!;
    const [first, ...rest] = path.split('.');
    const category = name === 'admin' ? first : null;
    return {
      document: name,
      path,
      category,
      categoryPath: category ? rest.join('.') : path,
      storagePath,
      envVar: spec.env === false || spec.column ? null : (spec.env ?? envNameOf(storagePath)),
      setting,
      spec,
    };
  });
}

export function entriesOf(document: CatalogDocumentName): CatalogEntry[] {
  return byDocument[document];
}

/** Every entry whose value counts toward one version counter (duplicates by home included). */
export function entriesOfVersioned(versioned: VersionedDoc): CatalogEntry[] {
  return (Object.keys(documents) as CatalogDocumentName[])
    .filter((d) => documents[d].versioned === versioned)
    .flatMap((d) => byDocument[d]);
}

/** The `setting_values.path` prefixes a versioned document reads (a prefix ends with a dot). */
export function storagePrefixesOf(versioned: VersionedDoc): string[] {
  return (Object.keys(documents) as CatalogDocumentName[])
    .filter((d) => documents[d].versioned === versioned)
    .map((d) => `${documents[d].prefix}.`);
}

const entryIndex = new Map<string, CatalogEntry>();
for (const name of Object.keys(byDocument) as CatalogDocumentName[])
  for (const e of byDocument[name]) entryIndex.set(`${name}:${e.path}`, e);

export function entryAt(document: CatalogDocumentName, path: string): CatalogEntry {
  const entry = entryIndex.get(`${document}:${path}`);
  if (!entry) throw new Error(`No setting ${document}:${path} in the catalog`);
  return entry;
}

/** Builds a document's nested JSON shape from a value per leaf path (in declaration order). */
export function buildDocument(
  tree: SettingTree,
  valueAt: (path: string, setting: Setting) => unknown,
  prefix = '',
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(tree).map(([key, node]) => {
      const path = prefix ? `${prefix}.${key}` : key;
      return [key, isSetting(node) ? valueAt(path, node) : buildDocument(node, valueAt, path)];
    }),
  );
}

/** Shown in place of a secret's value everywhere a value would appear (documents, changes, audit). */
export const REDACTED = '[redacted]';
