import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLInterfaceType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { JsonSchema } from './route.js';

/**
 * JSON Schema of a GraphQL input type of the live schema. REST bodies that GraphQL receives as
 * one input object are documented from the very type that validates them, so the OpenAPI
 * document cannot drift from what the server accepts and no field is listed twice.
 */
export function inputTypeSchema(schema: GraphQLSchema, typeName: string, field?: string): JsonSchema | undefined {
  const type = schema.getType(typeName);
  if (!type || !isInputObjectType(type)) return undefined;
  if (!field) return toJsonSchema(type, new Set());
  const f = type.getFields()[field];
  return f ? toJsonSchema(f.type, new Set()) : undefined;
}

const SCALARS: Record<string, JsonSchema> = {
  Int: { type: 'integer' },
  Float: { type: 'number' },
  String: { type: 'string' },
  Boolean: { type: 'boolean' },
  ID: { type: 'string' },
  DateTime: { type: 'string', format: 'date-time' },
  JSON: {},
};

function toJsonSchema(type: GraphQLInputType, seen: Set<string>): JsonSchema {
  if (isNonNullType(type)) return toJsonSchema(type.ofType, seen);
  if (isListType(type)) return { type: 'array', items: toJsonSchema(type.ofType, seen) };
  if (isScalarType(type))
    return {
      ...(SCALARS[type.name] ?? {}),
      ...(type.description && !SCALARS[type.name] ? { description: type.description } : {}),
    };
  if (isEnumType(type)) return { type: 'string', enum: type.getValues().map((v) => v.name) };
  if (isInputObjectType(type)) {
    // A recursive input type is cut at its second appearance.
    if (seen.has(type.name)) return { type: 'object' };
    const inner = new Set(seen).add(type.name);
    const fields = Object.values(type.getFields());
    const required = fields.filter((f) => isNonNullType(f.type) && f.defaultValue === undefined).map((f) => f.name);
    return {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        fields.map((f) => [
          f.name,
          {
            ...toJsonSchema(f.type, inner),
            ...(f.description ? { description: f.description } : {}),
            ...(f.defaultValue !== undefined ? { default: f.defaultValue } : {}),
          },
        ]),
      ),
      ...(required.length ? { required } : {}),
    };
  }
  return {};
}

/** The values of a GraphQL enum of the live schema (e.g. `SettingsCategory`), or undefined. */
export function enumValues(schema: GraphQLSchema, typeName: string): string[] | undefined {
  const type = schema.getType(typeName);
  return type && isEnumType(type) ? type.getValues().map((v) => v.name) : undefined;
}

/** The field names of a GraphQL input type of the live schema (empty when it does not exist). */
export function inputFieldNames(schema: GraphQLSchema, typeName: string): string[] {
  const type = schema.getType(typeName);
  return type && isInputObjectType(type) ? Object.keys(type.getFields()) : [];
}

/**
 * JSON Schema of what a route's document selects at `path` (response keys from the operation's
 * root, dotted; a list's items are walked through), from the live schema: the field's type,
 * nullability, enum values and description, and for an object the fields selected in it. What
 * a route passes through from its result is so documented from the very selection it reads.
 * Undefined when the document selects nothing there.
 */
export function selectionSchema(schema: GraphQLSchema, document: DocumentNode, path: string): JsonSchema | undefined {
  const fragments = new Map(
    document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return undefined;
  let parent: GraphQLObjectType | GraphQLInterfaceType = root;
  let selections = operation.selectionSet;
  let found: { def: GraphQLField<unknown, unknown>; node: FieldNode } | undefined;
  for (const key of path.split('.')) {
    const node = selectedField(selections, key, fragments);
    const def: GraphQLField<unknown, unknown> | undefined = node && parent.getFields()[node.name.value];
    if (!node || !def) return undefined;
    found = { def, node };
    const named: GraphQLNamedType = getNamedType(def.type);
    if (isObjectType(named) || isInterfaceType(named)) parent = named;
    if (node.selectionSet) selections = node.selectionSet;
  }
  return found && outputSchema(found.def.type, found.node, fragments, found.def.description);
}

/** The field a selection set answers under `key` (its alias or name), also inside fragments. */
function selectedField(
  set: SelectionSetNode,
  key: string,
  fragments: Map<string, FragmentDefinitionNode>,
): FieldNode | undefined {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD && (s.alias ?? s.name).value === key) return s;
    const inner =
      s.kind === Kind.INLINE_FRAGMENT
        ? s.selectionSet
        : s.kind === Kind.FRAGMENT_SPREAD
          ? fragments.get(s.name.value)?.selectionSet
          : undefined;
    const field = inner && selectedField(inner, key, fragments);
    if (field) return field;
  }
  return undefined;
}

function outputSchema(
  type: GraphQLOutputType,
  node: FieldNode,
  fragments: Map<string, FragmentDefinitionNode>,
  description: string | null | undefined,
): JsonSchema {
  const described = (s: JsonSchema) => (description ? { ...s, description } : s);
  if (!isNonNullType(type)) {
    const inner = nonNullSchema(type, node, fragments);
    // A nullable value: its type or null.
    const nullable =
      typeof inner.type === 'string'
        ? { ...inner, type: [inner.type, 'null'] }
        : Array.isArray(inner.enum)
          ? { ...inner, enum: [...inner.enum, null] }
          : Object.keys(inner).length
            ? { anyOf: [inner, { type: 'null' }] }
            : inner;
    return described(nullable);
  }
  return described(nonNullSchema(type.ofType, node, fragments));
}

function nonNullSchema(
  type: GraphQLOutputType,
  node: FieldNode,
  fragments: Map<string, FragmentDefinitionNode>,
): JsonSchema {
  if (isNonNullType(type)) return nonNullSchema(type.ofType, node, fragments);
  if (isListType(type)) {
    const items = type.ofType;
    return {
      type: 'array',
      items: isNonNullType(items)
        ? nonNullSchema(items.ofType, node, fragments)
        : { anyOf: [nonNullSchema(items, node, fragments), { type: 'null' }] },
    };
  }
  if (isScalarType(type)) return { ...(SCALARS[type.name] ?? {}) };
  if (isEnumType(type)) return { enum: type.getValues().map((v) => v.name) };
  if ((isObjectType(type) || isInterfaceType(type)) && node.selectionSet) {
    const fields = type.getFields();
    const selected = selectedFields(node.selectionSet, fragments);
    const properties = Object.fromEntries(
      selected.map((f) => [
        (f.alias ?? f.name).value,
        outputSchema(fields[f.name.value].type, f, fragments, fields[f.name.value].description),
      ]),
    );
    const required = selected
      .filter((f) => isNonNullType(fields[f.name.value].type))
      .map((f) => (f.alias ?? f.name).value);
    return { type: 'object', properties, ...(required.length ? { required } : {}) };
  }
  return {};
}

/** Every field of a selection set, fragments spread in. */
function selectedFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): FieldNode[] {
  return set.selections.flatMap((s) =>
    s.kind === Kind.FIELD
      ? [s]
      : s.kind === Kind.INLINE_FRAGMENT
        ? selectedFields(s.selectionSet, fragments)
        : selectedFields(
            fragments.get(s.name.value)?.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [] },
            fragments,
          ),
  );
}
