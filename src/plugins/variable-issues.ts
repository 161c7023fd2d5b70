import {
  type GraphQLEnumType,
  GraphQLError,
  type GraphQLInputType,
  type GraphQLScalarType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isSpecifiedScalarType,
  Kind,
  typeFromAST,
  type VariableDefinitionNode,
} from 'graphql';
import type { FieldIssue } from '../errors/domain-error.js';

/** One reason a variable's value does not fit its type, at a path inside the value. */
interface ValueIssue {
  /** Where the refused value sits inside the variable (input field names, list indexes). */
  at: (string | number)[];
  /** For an input field the type does not define: its name (the value refused is the object at `at`). */
  unknownField?: string;
  reason: string;
}

/**
 * The invalid-input error of a variable graphql-js refused while coercing it, told from the
 * variable's definition (the error's node) and the value sent, not from graphql-js's message:
 * that message prints the value (secrets included) and its path only as text.
 *
 * The message keeps graphql-js's shape without the value — `Variable "$input" got invalid value
 * at "input.performance"; Field "foo" is not defined by type "PerformancePatch".` — and
 * `details` list every issue with a dotted path (inside `$input`, the REST body, the path starts
 * at its fields; any other variable is named first).
 */
export function variableError(
  schema: GraphQLSchema,
  definition: VariableDefinitionNode,
  variables: Readonly<Record<string, unknown>> | null | undefined,
): GraphQLError {
  const name = definition.variable.name.value;
  const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
  const issues: ValueIssue[] = [];
  const value = variables?.[name];
  if (value === undefined && definition.type.kind === Kind.NON_NULL_TYPE && !definition.defaultValue) {
    issues.push({ at: [], reason: `Variable "$${name}" of required type "${String(type ?? '')}" was not provided.` });
  } else if (type) {
    collectIssues(type, value, [], issues);
  }
  const details: FieldIssue[] = issues.map((issue) => ({ path: detailPath(name, issue), message: issue.reason }));
  const first = issues[0];
  const message = !first
    ? `Variable "$${name}" got invalid value`
    : first.reason.startsWith('Variable ')
      ? first.reason
      : `Variable "$${name}" got invalid value${first.at.length ? ` at "${name}${printPath(first.at)}"` : ''}; ${first.reason}`;
  return new GraphQLError(message, {
    nodes: definition,
    extensions: { code: 'BAD_USER_INPUT', details, http: { status: 400 } },
  });
}

function collectIssues(type: GraphQLInputType, value: unknown, at: (string | number)[], out: ValueIssue[]): void {
  if (isNonNullType(type)) {
    if (value === null || value === undefined) {
      out.push({ at, reason: `Expected non-nullable type "${String(type)}" not to be null.` });
      return;
    }
    collectIssues(type.ofType, value, at, out);
    return;
  }
  if (value === null || value === undefined) return;
  if (isListType(type)) {
    if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) collectIssues(type.ofType, item, [...at, index], out);
    } else collectIssues(type.ofType, value, at, out);
    return;
  }
  if (isInputObjectType(type)) {
    if (typeof value !== 'object' || Array.isArray(value)) {
      out.push({ at, reason: `Expected type "${type.name}" to be an object.` });
      return;
    }
    const object = value as Record<string, unknown>;
    const fields = type.getFields();
    for (const field of Object.values(fields)) {
      const fieldValue = object[field.name];
      if (fieldValue === undefined) {
        if (isNonNullType(field.type) && field.defaultValue === undefined) {
          out.push({
            at: [...at, field.name],
            reason: `Field "${field.name}" of required type "${String(field.type)}" was not provided.`,
          });
        }
        continue;
      }
      collectIssues(field.type, fieldValue, [...at, field.name], out);
    }
    for (const key of Object.keys(object)) {
      if (!Object.hasOwn(fields, key))
        out.push({ at, unknownField: key, reason: `Field "${key}" is not defined by type "${type.name}".` });
    }
    return;
  }
  try {
    if (type.parseValue(value) === undefined) out.push({ at, reason: `Expected type "${type.name}".` });
  } catch (error) {
    out.push({ at, reason: leafReason(type, value, error) });
  }
}

/** Why a scalar or enum refused a value, never repeating the value. */
function leafReason(type: GraphQLScalarType | GraphQLEnumType, value: unknown, error: unknown): string {
  if (isEnumType(type)) return `Value does not exist in "${type.name}" enum.`;
  // graphql-js's built-in scalars print the value in their reason ("Int cannot represent
  // non-integer value: …"): their reasons are told here in the same words, without it.
  switch (type.name) {
    case 'Int':
      return Number.isInteger(value)
        ? 'Int cannot represent non 32-bit signed integer value'
        : 'Int cannot represent non-integer value';
    case 'Float':
      return 'Float cannot represent non numeric value';
    case 'String':
      return 'String cannot represent a non string value';
    case 'Boolean':
      return 'Boolean cannot represent a non boolean value';
    case 'ID':
      return 'ID cannot represent value';
  }
  // Our own scalars (src/schema/scalars.ts) say what they expect without echoing the value.
  if (!isSpecifiedScalarType(type) && error instanceof GraphQLError) return error.message;
  return `Expected a value of type "${type.name}".`;
}

function printPath(at: readonly (string | number)[]): string {
  return at.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
}

function detailPath(variable: string, issue: ValueIssue): string {
  const segments = [...issue.at, ...(issue.unknownField !== undefined ? [issue.unknownField] : [])].map(String);
  // `$input` is the body of a write (REST sends the request body as it): paths start inside it.
  return (variable === 'input' ? segments : [variable, ...segments]).join('.');
}
