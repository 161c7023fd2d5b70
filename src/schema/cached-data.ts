import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';

/**
 * The fields whose values come only from the caller itself and from what the read cache holds of
 * its tenant and drops on every change the change feed announces (services/read-cache.ts): the
 * tenant's row, its settings, configuration, flags, entitlements and the OpenFeature evaluations
 * made of them. A query that selects nothing
 * else has the same answer for the same key until its tenant changes, so that answer may be kept
 * whole (src/http/answer-cache.ts). Anything read from other tables (keys, audit entries,
 * history, scans, links, deliveries) is not among them, and a query selecting it is run anew.
 */
const ROOT_FIELDS = ['Query.me', 'Query.currentTenant', 'Query.tenant', 'Query.flagEvaluations'];
const TENANT_FIELDS = [
  'id',
  'name',
  'tier',
  'industry',
  'createdAt',
  'settings',
  'config',
  'entitlements',
  'featureFlags',
];
/** Types whose every field, down through the object types below them, reads the caller or those rows. */
const WHOLE_TYPES = ['Me', 'Settings', 'TenantConfig', 'FeatureFlag', 'FlagEvaluations'];
/** Reached from the whole types but limited to its own list above. */
const LISTED_TYPES = new Set(['Tenant', 'Query']);

function cachedCoordinates(schema: GraphQLSchema): Set<string> {
  const coordinates = new Set([...ROOT_FIELDS, ...TENANT_FIELDS.map((f) => `Tenant.${f}`)]);
  const seen = new Set<string>();
  const addWhole = (name: string) => {
    const type = schema.getType(name);
    if (!isObjectType(type) || seen.has(name) || LISTED_TYPES.has(name)) return;
    seen.add(name);
    for (const field of Object.values(type.getFields())) {
      coordinates.add(`${name}.${field.name}`);
      addWhole(getNamedType(field.type).name);
    }
  };
  for (const name of WHOLE_TYPES) addWhole(name);
  for (const coordinate of coordinates) {
    const [type, field] = coordinate.split('.');
    const owner = schema.getType(type);
    if (!isObjectType(owner) || !owner.getFields()[field])
      throw new Error(`cached-data: ${coordinate} is not a field of the schema`);
  }
  return coordinates;
}

const bySchema = new WeakMap<GraphQLSchema, Set<string>>();
const byDocument = new WeakMap<DocumentNode, Map<string, boolean>>();

/**
 * True when the operation is a query that selects only those fields (`__typename` too). Memoised
 * per document (yoga's parse cache and the REST layer hand out the same document again); each
 * fragment is walked once.
 */
export function readsOnlyCachedData(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): boolean {
  let byOperation = byDocument.get(document);
  if (!byOperation) byDocument.set(document, (byOperation = new Map()));
  let known = byOperation.get(operationName ?? '');
  if (known === undefined) {
    known = walkOperation(schema, document, operationName);
    // Only names the document holds are kept (a client's other names would grow the map).
    if (getOperationAST(document, operationName)) byOperation.set(operationName ?? '', known);
  }
  return known;
}

function walkOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): boolean {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'query') return false;
  let coordinates = bySchema.get(schema);
  if (!coordinates) bySchema.set(schema, (coordinates = cachedCoordinates(schema)));
  const cached = coordinates;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const fragmentOk = new Map<string, boolean>();

  const walk = (typeName: string, selectionSet: SelectionSetNode | undefined): boolean => {
    if (!selectionSet) return true;
    const type = schema.getType(typeName);
    if (!isObjectType(type)) return false; // abstract types: none of the cached fields returns one
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === '__typename') continue;
        const field = type.getFields()[selection.name.value];
        if (!field || !cached.has(`${typeName}.${field.name}`)) return false;
        if (!walk(getNamedType(field.type).name, selection.selectionSet)) return false;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition?.name.value ?? typeName;
        if (on !== typeName || !walk(on, selection.selectionSet)) return false;
      } else {
        const name = selection.name.value;
        let ok = fragmentOk.get(name);
        if (ok === undefined) {
          const fragment = fragments.get(name);
          fragmentOk.set(name, false); // a cycle (which validation refuses) is not cached
          ok =
            fragment !== undefined &&
            fragment.typeCondition.name.value === typeName &&
            walk(typeName, fragment.selectionSet);
          fragmentOk.set(name, ok);
        }
        if (!ok) return false;
      }
    }
    return true;
  };
  return walk(schema.getQueryType()?.name ?? 'Query', operation.selectionSet);
}
