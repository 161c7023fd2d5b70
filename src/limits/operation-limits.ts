import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { AUDIT_EXPORT_MAX_PAGE_SIZE } from '../services/audit-log.js';
import { MAX_PAGE_SIZE } from '../services/pagination.js';

/**
 * What one GraphQL request may ask of the process, checked before the expensive parts: the text
 * before it is parsed, the tokens while it is parsed, the shape of the parsed document before
 * it is validated, the estimated cost before it executes, the response before it is sent.
 * Every REST route's document is one of these operations too, and fits with room to spare.
 */
export interface OperationLimits {
  /** A GraphQL request body, in bytes as received; counted while it is read (yoga's maxRequestBodySize). */
  maxBodyBytes: number;
  /** Query text, in bytes (UTF-8); refused before parsing. */
  maxQueryBytes: number;
  /** Lexer tokens; the parser stops at the first token past it (graphql-js `maxTokens`). */
  maxTokens: number;
  /** Nested field levels of any operation (fragments expanded; introspection fields not counted). */
  maxDepth: number;
  /** Aliased fields, every occurrence counted (a fragment spread twice counts its aliases twice). */
  maxAliases: number;
  /** Directives, every occurrence counted. */
  maxDirectives: number;
  /** Estimated cost of the operation to run (see `operationCost`); also bounds the expanded field count. */
  maxCost: number;
  /** Variables as JSON, in bytes. */
  maxVariablesBytes: number;
  /** Variables as JSON for a caller without a valid key, checked before they are coerced. */
  maxAnonymousVariablesBytes: number;
  /** The serialized `data` of one response. */
  maxResponseBytes: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxBodyBytes: 1_500 * 1024,
  maxQueryBytes: 32 * 1024,
  maxTokens: 4_000,
  maxDepth: 12,
  maxAliases: 20,
  maxDirectives: 20,
  maxCost: 20_000,
  // A scan report is up to 1 MB of JSON, sent as a variable.
  maxVariablesBytes: 1_200 * 1024,
  maxAnonymousVariablesBytes: 16 * 1024,
  maxResponseBytes: 16 * 1024 * 1024,
};

/** The weight of fields whose value may be large on their own (a report is up to 1 MB). */
const FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  'Scan.report': 100,
  'Query.sharedScan': 100,
};

/** Size assumed for a list of objects that takes no `first` (keys, flags, share links of one parent). */
const UNPAGED_LIST_SIZE = 10;
/** `first` when a paginated field is not given one (services/pagination's default). */
const DEFAULT_PAGE_SIZE = 20;

/** Paginated fields whose pages are not the lists' (default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE). */
export const PAGE_SIZES: Readonly<Record<string, { fallback: number; max: number }>> = {
  'Tenant.auditLogExport': { fallback: AUDIT_EXPORT_MAX_PAGE_SIZE, max: AUDIT_EXPORT_MAX_PAGE_SIZE },
};

export interface OperationShape {
  /** The deepest operation's depth. */
  depth: number;
  aliases: number;
  directives: number;
  /** Field occurrences with every fragment spread expanded. */
  fields: number;
}

interface Counts {
  depth: number;
  aliases: number;
  directives: number;
  fields: number;
}

const ZERO: Counts = { depth: 0, aliases: 0, directives: 0, fields: 0 };

/**
 * The shape of every operation of a parsed document, counted as if each fragment spread were
 * written out in place, yet computed in one pass: each fragment's counts are computed once and
 * reused at every spread (a 40-level fragment bomb is 40 small sums, not 2^40 visits). Needs no
 * schema and runs before validation; a fragment cycle (which validation refuses) counts as empty.
 */
export function operationShape(ast: DocumentNode): OperationShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of ast.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, Counts | null>();

  const ofFragment = (name: string): Counts => {
    if (memo.has(name)) return memo.get(name) ?? ZERO; // null: still being counted (a cycle)
    const fragment = fragments.get(name);
    if (!fragment) return ZERO;
    memo.set(name, null);
    const counts = ofSelectionSet(fragment.selectionSet);
    memo.set(name, counts);
    return counts;
  };

  const ofSelectionSet = (selectionSet: SelectionSetNode): Counts => {
    let depth = 0;
    let aliases = 0;
    let directives = 0;
    let fields = 0;
    for (const selection of selectionSet.selections) {
      directives += selection.directives?.length ?? 0;
      let inner: Counts;
      if (selection.kind === Kind.FIELD) {
        const child = selection.selectionSet ? ofSelectionSet(selection.selectionSet) : ZERO;
        // Introspection is bounded by the schema, and GraphiQL's own query nests ~10 levels.
        const introspection = selection.name.value.startsWith('__');
        inner = {
          depth: introspection ? 0 : 1 + child.depth,
          aliases: child.aliases + (selection.alias ? 1 : 0),
          directives: child.directives,
          fields: child.fields + 1,
        };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = ofSelectionSet(selection.selectionSet);
      } else {
        inner = ofFragment(selection.name.value);
      }
      depth = Math.max(depth, inner.depth);
      aliases += inner.aliases;
      directives += inner.directives;
      fields += inner.fields;
    }
    return { depth, aliases, directives, fields };
  };

  const shape: OperationShape = { ...ZERO };
  for (const d of ast.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const counts = ofSelectionSet(d.selectionSet);
    shape.depth = Math.max(shape.depth, counts.depth);
    shape.aliases = Math.max(shape.aliases, counts.aliases);
    shape.directives = Math.max(shape.directives, counts.directives + (d.directives?.length ?? 0));
    shape.fields = Math.max(shape.fields, counts.fields);
  }
  return shape;
}

/** The first limit a shape breaks, as [limit name, found, maximum]; null when it fits. */
export function brokenShapeLimit(
  shape: OperationShape,
  limits: OperationLimits,
): [keyof OperationLimits, number, number] | null {
  if (shape.depth > limits.maxDepth) return ['maxDepth', shape.depth, limits.maxDepth];
  if (shape.aliases > limits.maxAliases) return ['maxAliases', shape.aliases, limits.maxAliases];
  if (shape.directives > limits.maxDirectives) return ['maxDirectives', shape.directives, limits.maxDirectives];
  // Every field costs at least 1, so more fields than maxCost can never fit.
  if (shape.fields > limits.maxCost) return ['maxCost', shape.fields, limits.maxCost];
  return null;
}

export interface OperationCost {
  cost: number;
  /** True when a weighted field (a report) is selected: the response size is then worth measuring. */
  heavy: boolean;
  /** True when a page size comes from a variable: only then can another request's variables change the cost. */
  variablePaged: boolean;
}

/**
 * The estimated cost of running one operation: each field costs 1 (or its `FIELD_WEIGHTS`),
 * and what is selected under a list costs once per item expected — `first` (the variable's
 * value when it is one, default 20, at most 100) for paginated fields, `UNPAGED_LIST_SIZE` for
 * other lists of objects. Fragments are costed once per type and reused (linear, as above).
 */
export function operationCost(
  schema: GraphQLSchema,
  ast: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): OperationCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const d of ast.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    else if (d.kind === Kind.OPERATION_DEFINITION && (operationName ? d.name?.value === operationName : !operation))
      operation = d;
  }
  let heavy = false;
  let variablePaged = false;
  if (!operation) return { cost: 0, heavy, variablePaged };
  const memo = new Map<string, number | null>();

  const pageSize = (field: FieldNode, coordinate: string): number | undefined => {
    const own = PAGE_SIZES[coordinate];
    const arg = field.arguments?.find((a) => a.name.value === 'first');
    if (!arg) return own?.fallback;
    if (arg.value.kind === Kind.VARIABLE) variablePaged = true;
    const raw = literalValueOf(arg.value, variables);
    const n = typeof raw === 'number' && Number.isFinite(raw) ? raw : (own?.fallback ?? DEFAULT_PAGE_SIZE);
    return Math.min(Math.max(1, n), own?.max ?? MAX_PAGE_SIZE);
  };

  const ofSelectionSet = (type: GraphQLNamedType | null | undefined, selectionSet: SelectionSetNode): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) {
          cost += 1;
          continue;
        }
        const def =
          type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[selection.name.value] : undefined;
        const weight = (def && FIELD_WEIGHTS[`${type!.name}.${def.name}`]) || 1;
        if (weight > 1) heavy = true;
        if (!selection.selectionSet) {
          cost += weight;
          continue;
        }
        const first = pageSize(selection, def ? `${type!.name}.${def.name}` : '');
        const times =
          first ?? (def && isListOf(def.type) && !type!.name.endsWith('Connection') ? UNPAGED_LIST_SIZE : 1);
        cost += weight + times * ofSelectionSet(def ? getNamedType(def.type) : null, selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        cost += ofSelectionSet(
          selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type,
          selection.selectionSet,
        );
      } else {
        const name = selection.name.value;
        if (memo.has(name)) {
          cost += memo.get(name) ?? 0;
          continue;
        }
        const fragment = fragments.get(name);
        if (!fragment) continue;
        memo.set(name, null);
        const c = ofSelectionSet(schema.getType(fragment.typeCondition.name.value), fragment.selectionSet);
        memo.set(name, c);
        cost += c;
      }
    }
    return cost;
  };

  const cost = ofSelectionSet(schema.getRootType(operation.operation), operation.selectionSet);
  return { cost, heavy, variablePaged };
}

function isListOf(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function literalValueOf(node: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  return undefined;
}
