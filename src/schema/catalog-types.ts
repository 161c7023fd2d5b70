import type { FieldMap, InputFieldBuilder, InputFieldMap, ObjectFieldBuilder, ObjectRef } from '@pothos/core';
import { describeConstraints, isSetting, type Setting, type SettingTree } from '../catalog/setting.js';
import type { SecretStatus } from '../services/setting-documents.js';
import { builder, type BuilderTypes as Types } from './builder.js';

/**
 * GraphQL object and input types derived from catalog trees, so no setting is listed twice:
 * a leaf becomes a field typed by its kind (enums stay String: values such as "AES-256-GCM"
 * and "semi-sync" are not valid GraphQL enum names); a group becomes a nested type.
 * Object types read a typed document (plain nested values, a secret as SecretStatus).
 */

const SecretStatusRef = builder.objectRef<SecretStatus>('SecretStatus').implement({
  description: 'Whether a write-only secret is set, and when it last changed. Never the value.',
  fields: (t) => ({
    isSet: t.exposeBoolean('isSet'),
    updatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.updatedAt }),
  }),
});

const pascal = (key: string) => key.replace(/(^|_)([a-z0-9])/g, (_m, _u, c: string) => c.toUpperCase());

/** Type name of a group: `names(path)` where path is the group's keys from the document root. */
export type GroupNamer = (path: string[]) => string;

/** Names a group `<Category><Group><suffix>` below a category, `<Category><suffix>` for a category. */
export const namerWithSuffix =
  (suffix: string): GroupNamer =>
  (path) =>
    path.map(pascal).join('') + suffix;

function describe(setting: Setting, envVar?: string | null): string {
  const spec = setting.spec;
  const env = envVar ? `; env ${envVar}` : '';
  return `${spec.description} (${describeConstraints(spec)}${env})`;
}

function outputType(setting: Setting): unknown {
  const spec = setting.spec;
  if (spec.secret) return SecretStatusRef;
  return {
    boolean: 'Boolean',
    integer: 'Int',
    number: 'Float',
    string: 'String',
    enum: 'String',
    stringList: ['String'],
    json: 'JSON',
  }[spec.kind];
}

type Doc = Record<string, unknown>;
/**
 * What a leaf or group field resolves to is only known from the tree at run time: GraphQL checks
 * it, so to TypeScript every such field is typed as an output whose value is `unknown`.
 */
type UntypedOutput = ObjectRef<Types, unknown>;

/**
 * The fields of one level of a tree for an object type whose parent is `P`; `read(parent)` gives
 * the typed document at this level. Group types are created now (eagerly, so they exist before
 * the schema is built); the returned function gives the fields inside a `fields: (t) => …`.
 */
export function treeFields<P>(
  tree: SettingTree,
  read: (parent: P) => Doc,
  names: GroupNamer,
  path: string[] = [],
  envOf?: (path: string) => string | null,
): (t: ObjectFieldBuilder<Types, P>) => FieldMap {
  const groups: Record<string, unknown> = Object.fromEntries(
    Object.entries(tree).flatMap(([key, node]) =>
      isSetting(node) ? [] : [[key, groupObjectType(node, names, [...path, key], envOf)]],
    ),
  );
  return (t) =>
    Object.fromEntries(
      Object.entries(tree).map(([key, node]) => {
        if (!isSetting(node))
          return [key, t.field({ type: groups[key] as UntypedOutput, resolve: (parent: P) => read(parent)[key] })];
        return [
          key,
          t.field({
            type: outputType(node) as UntypedOutput,
            nullable: !!node.spec.nullable && !node.spec.secret,
            description: describe(node, envOf?.([...path, key].join('.'))),
            resolve: (parent: P) => read(parent)[key],
          }),
        ];
      }),
    );
}

function groupObjectType(
  tree: SettingTree,
  names: GroupNamer,
  path: string[],
  envOf?: (path: string) => string | null,
): unknown {
  const fields = treeFields<Doc>(tree, (doc) => doc, names, path, envOf);
  return builder.objectRef<Doc>(names(path)).implement({ fields: (t) => fields(t) });
}

function inputField(t: InputFieldBuilder<Types, 'InputObject'>, setting: Setting) {
  const spec = setting.spec;
  const options = { required: false, description: describe(setting) };
  switch (spec.kind) {
    case 'boolean':
      return t.boolean(options);
    case 'integer':
      return t.int(options);
    case 'number':
      return t.float(options);
    case 'string':
    case 'enum':
      return t.string(options);
    case 'stringList':
      return t.stringList(options);
    case 'json':
      return t.field({ type: 'JSON', ...options });
  }
}

/** The fields of a patch input for one level of a tree (every field optional, groups nested); group inputs created now. */
export function treeInputFields(
  tree: SettingTree,
  names: GroupNamer,
  path: string[] = [],
): (t: InputFieldBuilder<Types, 'InputObject'>) => InputFieldMap {
  const groups: Record<string, unknown> = Object.fromEntries(
    Object.entries(tree).flatMap(([key, node]) =>
      isSetting(node) ? [] : [[key, groupInputType(node, names, [...path, key])]],
    ),
  );
  return (t) =>
    Object.fromEntries(
      Object.entries(tree).map(([key, node]) => [
        key,
        isSetting(node) ? inputField(t, node) : t.field({ type: groups[key] as GroupInput, required: false }),
      ]),
    );
}

type GroupInput = ReturnType<typeof builder.inputType<string, InputFieldMap>>;

function groupInputType(tree: SettingTree, names: GroupNamer, path: string[]): GroupInput {
  const fields = treeInputFields(tree, names, path);
  return builder.inputType(`${names(path)}Patch`, {
    description: 'Partial update: only the fields given change.',
    fields: (t) => fields(t),
  });
}
