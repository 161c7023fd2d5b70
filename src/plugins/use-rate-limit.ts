import {
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError } from '../errors/domain-error.js';
import { FIELD_POLICIES, REQUEST_POLICIES, type RateLimitPolicy } from '../rate-limit/policies.js';
import type { RateLimitStore } from '../rate-limit/rate-limit-store.js';
import type { ServiceContext } from '../services/service-context.js';

export interface RateLimitOptions {
  /** Where calls are counted (in-process or Redis); closed when the app is disposed. */
  store: RateLimitStore;
  /** Multiplies every policy's maximum (default 1). */
  scale?: number;
  /** Defaults to the declared policies of src/rate-limit/policies.ts. */
  fieldPolicies?: Readonly<Record<string, readonly RateLimitPolicy[]>>;
  requestPolicies?: readonly RateLimitPolicy[];
}

/** Whom `policy` counts this request for; null when it does not apply to this caller. */
export function subjectOf(policy: RateLimitPolicy, ctx: Pick<ServiceContext, 'principal' | 'clientAddress'>): string | null {
  const p = ctx.principal;
  switch (policy.per) {
    case 'key':
      return p.kind === 'tenant' ? `key:${p.keyId}` : p.kind === 'platform' ? 'key:platform' : null;
    case 'tenant':
      return p.kind === 'tenant' ? `tenant:${p.tenantId}` : p.kind === 'platform' ? 'tenant:platform' : null;
    case 'clientAddress':
      return `address:${ctx.clientAddress ?? 'unknown'}`;
  }
}

/**
 * Every `Type.field` the operation selects, through fragments too: the request is weighed
 * before it runs, so a refused request does nothing, and a field selected under a list of N
 * parents counts once.
 */
export function selectedCoordinates(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): Set<string> {
  const found = new Set<string>();
  const operation = getOperationAST(document, operationName);
  if (!operation) return found;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  // Validation has refused fragment cycles before execution, so this recursion ends.
  const walk = (type: GraphQLNamedType | null | undefined, selectionSet: SelectionSetNode | undefined) => {
    if (!type || !selectionSet) return;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!isObjectType(type) && !isInterfaceType(type)) continue;
        const field = type.getFields()[selection.name.value];
        if (!field) continue; // __typename and friends
        found.add(`${type.name}.${field.name}`);
        walk(getNamedType(field.type), selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type, selection.selectionSet);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(schema.getType(fragment.typeCondition.name.value), fragment.selectionSet);
      }
    }
  };
  walk(schema.getRootType(operation.operation), operation.selectionSet);
  return found;
}

/**
 * Rate limits, enforced once for GraphQL and every REST route (which runs GraphQL through this
 * same pipeline). Before execution the operation's policies are found — those of the fields
 * it selects (src/rate-limit/policies.ts), then the per-key one — and each is checked and
 * recorded in one step by the store (src/rate-limit/rate-limit-store.ts). The first refusal answers
 * 429 RATE_LIMITED with `Retry-After`, `RateLimit-Policy` and `RateLimit`; nothing runs.
 */
export function useRateLimit(options: RateLimitOptions): Plugin<ServiceContext> {
  const { store, scale = 1, fieldPolicies = FIELD_POLICIES, requestPolicies = REQUEST_POLICIES } = options;
  const maxOf = (policy: RateLimitPolicy) => Math.max(1, Math.round(policy.max * scale));
  // Yoga caches parsed documents, so the same document object comes back for a repeated query.
  const policiesByDocument = new WeakMap<DocumentNode, Map<string, RateLimitPolicy[]>>();

  const policiesFor = (schema: GraphQLSchema, document: DocumentNode, operationName?: string | null) => {
    let byOperation = policiesByDocument.get(document);
    if (!byOperation) policiesByDocument.set(document, (byOperation = new Map()));
    let policies = byOperation.get(operationName ?? '');
    if (!policies) {
      const coordinates = [...selectedCoordinates(schema, document, operationName)];
      const fromFields = coordinates.flatMap((c) => fieldPolicies[c] ?? []);
      // Only when every root field has a limit replacing the request's (OFREP evaluations).
      const roots = coordinates.filter((c) => /^(Query|Mutation|Subscription)\./.test(c));
      const replaced = roots.length > 0 && roots.every((c) => (fieldPolicies[c] ?? []).some((p) => p.replacesRequestPolicies));
      // Field policies first: a request they refuse is then not counted against the key.
      policies = [...new Set([...fromFields, ...(replaced ? [] : requestPolicies)])];
      byOperation.set(operationName ?? '', policies);
    }
    return policies;
  };

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as unknown as ServiceContext;
      for (const policy of policiesFor(args.schema, args.document, args.operationName)) {
        const identity = subjectOf(policy, ctx);
        if (!identity) continue;
        const max = maxOf(policy);
        const decision = await store.hit(policy.name, identity, max, policy.windowSeconds * 1000);
        if (decision.allowed) continue;
        setResultAndStopExecution({ errors: [rateLimited(policy, max, Math.max(1, Math.ceil(decision.retryAfterMs / 1000)))] });
        return;
      }
    },
    onDispose: () => store.close(),
  };
}

function rateLimited(policy: RateLimitPolicy, max: number, retryAfterSeconds: number): DomainError {
  return new DomainError('RATE_LIMITED', `Too many requests: ${policy.description}. Retry in ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
    extra: { policy: policy.name },
    headers: {
      // draft-ietf-httpapi-ratelimit-headers: the policy (quota, window) and where the caller stands.
      'ratelimit-policy': `"${policy.name}";q=${max};w=${policy.windowSeconds}`,
      ratelimit: `"${policy.name}";r=0;t=${retryAfterSeconds}`,
    },
  });
}
