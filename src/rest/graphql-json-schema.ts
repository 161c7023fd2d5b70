import {
  type GraphQLInputType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
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
