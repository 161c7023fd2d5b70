import {
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError } from '../errors/domain-error.js';
import { clientAddressOf } from '../http/client-address.js';
import { consume, type Refusal, retryAfterSecondsOf } from '../rate-limit/limiter.js';
import {
  DRY_RUN_POLICIES,
  FIELD_POLICIES,
  INVALID_DOCUMENTS,
  type RateLimitPolicy,
  REQUEST_POLICIES,
} from '../rate-limit/policies.js';
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
  invalidOperationPolicy?: RateLimitPolicy;
  /** The app clock (tests move it); the wall clock by default. */
  now?: () => Date;
}

/** The rate limits as the answer cache uses them: charged for an answer that is not executed. */
export interface RateLimitCharger {
  /**
   * Counts a query's charges for the caller of `request` before (or instead of) executing it;
   * false when refused. The request's execution, if it then runs, answers that refusal without
   * counting again.
   */
  chargeAhead(
    request: object,
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    caller: Pick<ServiceContext, 'principal' | 'clientAddress'>,
  ): boolean | Promise<boolean>;
}

/** Whom `policy` counts this request for; null when it does not apply to this caller. */
function subjectOf(policy: RateLimitPolicy, ctx: Pick<ServiceContext, 'principal' | 'clientAddress'>): string | null {
  const p = ctx.principal;
  switch (policy.per) {
    case 'key':
      return p.kind === 'tenant' ? `key:${p.keyId}` : p.kind === 'platform' ? 'key:platform' : null;
    case 'tenant':
      return p.kind === 'tenant' ? `tenant:${p.tenantId}` : p.kind === 'platform' ? 'tenant:platform' : null;
    case 'clientAddress':
      return `address:${ctx.clientAddress ?? 'unknown'}`;
    case 'keylessAddress':
      return p.kind === 'anonymous' ? `address:${ctx.clientAddress ?? 'unknown'}` : null;
  }
}

/**
 * How many times the operation selects each of `coordinates` (`Type.field`): every occurrence
 * counts, aliases and each spread of a fragment included, so `{ a: f b: f }` is 2 — but a field
 * under a list of N parents is one occurrence, counted once. The request is weighed before it
 * runs, so a refused request does nothing.
 *
 * Linear in the document: each fragment is walked once and its counts are kept, so a spread
 * adds them (multiplied through nested spreads) instead of walking the fragment again; a
 * document of fragments spreading each other twice, level after level, costs its size, not
 * 2^levels. Counts past Number.MAX_VALUE are Infinity, which no limit admits.
 */
export function occurrences(
  schema: GraphQLSchema,
  ast: DocumentNode,
  coordinates: ReadonlySet<string>,
  operationName?: string | null,
): Map<string, number> {
  const operation = getOperationAST(ast, operationName);
  if (!operation || coordinates.size === 0) return new Map();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of ast.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const ofFragment = new Map<string, Map<string, number>>();
  const IN_PROGRESS = new Map<string, number>();

  const add = (into: Map<string, number>, from: ReadonlyMap<string, number>) => {
    for (const [coordinate, n] of from) into.set(coordinate, (into.get(coordinate) ?? 0) + n);
  };
  const fragmentCounts = (name: string): ReadonlyMap<string, number> => {
    const known = ofFragment.get(name);
    if (known) return known; // IN_PROGRESS (a cycle, which validation refuses anyway) counts nothing
    const fragment = fragments.get(name);
    if (!fragment) return IN_PROGRESS;
    ofFragment.set(name, IN_PROGRESS);
    const counts = new Map<string, number>();
    walk(schema.getType(fragment.typeCondition.name.value), fragment.selectionSet, counts);
    ofFragment.set(name, counts);
    return counts;
  };
  function walk(
    type: GraphQLNamedType | null | undefined,
    selectionSet: SelectionSetNode | undefined,
    counts: Map<string, number>,
  ): void {
    if (!type || !selectionSet) return;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!isObjectType(type) && !isInterfaceType(type)) continue;
        const field = type.getFields()[selection.name.value];
        if (!field) continue; // __typename and friends
        const coordinate = `${type.name}.${field.name}`;
        if (coordinates.has(coordinate)) counts.set(coordinate, (counts.get(coordinate) ?? 0) + 1);
        walk(getNamedType(field.type), selection.selectionSet, counts);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(
          selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type,
          selection.selectionSet,
          counts,
        );
      } else {
        add(counts, fragmentCounts(selection.name.value));
      }
    }
  }
  const counts = new Map<string, number>();
  walk(schema.getRootType(operation.operation), operation.selectionSet, counts);
  return counts;
}

/** A policy an operation counts against, and how many calls it counts as. */
interface Charge {
  policy: RateLimitPolicy;
  cost: number;
}

/** An operation's charges, and whether it is a mutation (only a mutation can be a dry run). */
interface OperationCharges {
  charges: Charge[];
  mutation: boolean;
}

/** True when the operation is a mutation whose every root field says `dryRun: true` (literally or by variable). */
function isDryRun(
  ast: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): boolean {
  const operation = getOperationAST(ast, operationName);
  if (operation?.operation !== 'mutation' || operation.selectionSet.selections.length === 0) return false;
  return operation.selectionSet.selections.every((selection) => {
    if (selection.kind !== Kind.FIELD) return false;
    const arg = selection.arguments?.find((a) => a.name.value === 'dryRun')?.value;
    if (arg?.kind === Kind.BOOLEAN) return arg.value;
    return arg?.kind === Kind.VARIABLE && variables?.[arg.name.value] === true;
  });
}

/**
 * Rate limits, enforced once for GraphQL and every REST route (which runs GraphQL through this
 * same pipeline), and once per request (a streamed route's later pages are not charged again).
 * Before execution the operation's charges are found — each occurrence of a
 * limited field counts against the field's policies (src/rate-limit/policies.ts), then the
 * request counts once against the request policies (the key's; the address's when there is no
 * valid key) — and each is checked and recorded in one step by the store
 * (src/rate-limit/rate-limit-store.ts) through src/rate-limit/limiter.ts, which names what it
 * counts with graphql-rate-limit's identities and refuses with its `RateLimitError`. The first refusal answers 429 RATE_LIMITED with
 * `Retry-After`, `RateLimit-Policy` and `RateLimit`; nothing runs, and the charges after it are
 * not counted. An operation that alone counts more than a policy's maximum is refused without
 * asking the store.
 *
 * Documents that do not parse or validate count against the address's invalid-document policy
 * once their errors are known; an address over that limit is refused before its next documents
 * are parsed, until its wait has passed (remembered in this process: no store call on the way in).
 */
export function useRateLimit(options: RateLimitOptions): Plugin<ServiceContext> & RateLimitCharger {
  const {
    store,
    scale = 1,
    fieldPolicies = FIELD_POLICIES,
    requestPolicies = REQUEST_POLICIES,
    invalidOperationPolicy = INVALID_DOCUMENTS,
    now = () => new Date(),
  } = options;
  const maxOf = (policy: RateLimitPolicy) => Math.max(1, Math.round(policy.max * scale));
  const limited = new Set(Object.keys(fieldPolicies));
  // Yoga caches parsed documents (and the REST layer parses its own once), so the same document
  // object comes back for a repeated query.
  const chargesByAst = new WeakMap<DocumentNode, Map<string, OperationCharges>>();
  /** Addresses over the invalid-document limit: until when (app clock, ms) they are refused. */
  const refusedUntil = new Map<string, number>();
  /** Request contexts already charged (a context is one request's). */
  const charged = new WeakSet<object>();

  const chargesFor = (schema: GraphQLSchema, ast: DocumentNode, operationName?: string | null) => {
    let byOperation = chargesByAst.get(ast);
    if (!byOperation) chargesByAst.set(ast, (byOperation = new Map()));
    let known = byOperation.get(operationName ?? '');
    if (!known) {
      const byPolicy = new Map<RateLimitPolicy, number>();
      for (const [coordinate, n] of occurrences(schema, ast, limited, operationName)) {
        for (const policy of fieldPolicies[coordinate] ?? []) byPolicy.set(policy, (byPolicy.get(policy) ?? 0) + n);
      }
      // Field policies first: a request they refuse is then not counted against the key.
      const charges = [...byPolicy].map(([policy, cost]) => ({ policy, cost }));
      // Unless every root field has a limit replacing the request's (OFREP evaluations).
      if (!rootsReplaceRequestPolicies(schema, ast, operationName, fieldPolicies)) {
        for (const policy of requestPolicies) if (!byPolicy.has(policy)) charges.push({ policy, cost: 1 });
      }
      const mutation = getOperationAST(ast, operationName)?.operation === 'mutation';
      byOperation.set(operationName ?? '', (known = { charges, mutation }));
    }
    return known;
  };

  /**
   * Counts the operation's charges for this caller, in order; the first refusal stops the
   * counting. Synchronous as long as the store answers synchronously (the in-process store).
   */
  function charge(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | null | undefined,
    caller: Pick<ServiceContext, 'principal' | 'clientAddress'>,
  ): DomainError | undefined | Promise<DomainError | undefined> {
    const { charges, mutation } = chargesFor(schema, document, operationName);
    return chargeFrom(
      mutation && isDryRun(document, operationName, variables) ? asDryRun(charges) : charges,
      0,
      caller,
    );
  }
  /** The charges from `from` on; continues after a store that answers with a promise. */
  function chargeFrom(
    charges: readonly Charge[],
    from: number,
    caller: Pick<ServiceContext, 'principal' | 'clientAddress'>,
  ): DomainError | undefined | Promise<DomainError | undefined> {
    for (let i = from; i < charges.length; i++) {
      const { policy, cost } = charges[i];
      const subject = subjectOf(policy, caller);
      if (!subject) continue;
      const refusal = consume(store, policy, subject, maxOf(policy), cost);
      if (refusal instanceof Promise)
        return refusal.then((refused) => (refused ? rateLimited(refused) : chargeFrom(charges, i + 1, caller)));
      if (refusal) return rateLimited(refusal);
    }
    return undefined;
  }
  /** Requests whose operation was refused by `chargeAhead`: their execution answers the refusal. */
  const refusedAhead = new WeakMap<object, DomainError>();

  const plugin: Plugin<ServiceContext> = {
    onParams({ context, setResult }) {
      const address = `address:${clientAddressOf(context)}`;
      const until = refusedUntil.get(address);
      if (until === undefined) return;
      const waitMs = until - now().getTime();
      if (waitMs <= 0) {
        refusedUntil.delete(address);
        return;
      }
      setResult({ errors: [refusedAddress(invalidOperationPolicy, maxOf(invalidOperationPolicy), waitMs)] });
    },
    async onExecutionResult({ result, context, setResult }) {
      if (!isInvalidOperation(result)) return;
      const policy = invalidOperationPolicy;
      const address = `address:${clientAddressOf(context)}`;
      const refusal = await consume(store, policy, address, maxOf(policy));
      if (!refusal) return;
      refusedUntil.set(address, now().getTime() + refusal.retryAfterMs);
      setResult({ errors: [rateLimited(refusal)] });
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as unknown as ServiceContext & { request?: object };
      // One request, one charge: a streamed REST route runs its operation once per page of its
      // answer, every time on the same request's context.
      if (charged.has(ctx)) return;
      charged.add(ctx);
      // Charged ahead (chargeAhead) and refused there: answered here, not counted again.
      const refusal =
        (ctx.request && refusedAhead.get(ctx.request)) ??
        (await charge(args.schema, args.document, args.operationName, args.variableValues, ctx));
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
    onDispose: () => store.close(),
  };
  return Object.assign(plugin, {
    chargeAhead(request, schema, document, operationName, caller) {
      const decided = (refusal: DomainError | undefined) => {
        if (!refusal) return true;
        refusedAhead.set(request, refusal);
        return false;
      };
      const refusal = charge(schema, document, operationName, {}, caller);
      return refusal instanceof Promise ? refusal.then(decided) : decided(refusal);
    },
  } satisfies RateLimitCharger);
}

/** True when the operation's every root field has a policy that replaces the request policies. */
function rootsReplaceRequestPolicies(
  schema: GraphQLSchema,
  ast: DocumentNode,
  operationName: string | null | undefined,
  fieldPolicies: Readonly<Record<string, readonly RateLimitPolicy[]>>,
): boolean {
  const operation = getOperationAST(ast, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root || operation.selectionSet.selections.length === 0) return false;
  return operation.selectionSet.selections.every(
    (s) =>
      s.kind === Kind.FIELD &&
      (fieldPolicies[`${root.name}.${s.name.value}`] ?? []).some((p) => p.replacesRequestPolicies),
  );
}

/** A dry run's charges: each write policy replaced by the read policy it maps to, costs added up. */
function asDryRun(charges: readonly Charge[]): Charge[] {
  const byPolicy = new Map<RateLimitPolicy, number>();
  for (const { policy, cost } of charges) {
    const counted = DRY_RUN_POLICIES.get(policy) ?? policy;
    byPolicy.set(counted, (byPolicy.get(counted) ?? 0) + cost);
  }
  return [...byPolicy].map(([policy, cost]) => ({ policy, cost }));
}

/** A result of a document that did not parse or validate (it never reached execution). */
function isInvalidOperation(result: unknown): boolean {
  const errors = (result as ExecutionResult | undefined)?.errors;
  if (!errors?.length || (result as ExecutionResult).data !== undefined) return false;
  return errors.some(
    (e) => e.extensions?.code === 'GRAPHQL_PARSE_FAILED' || e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED',
  );
}

/** The 429 of a refusal: its message, `Retry-After`, the policy's headers. */
function rateLimited(refusal: Refusal): DomainError {
  const { policy, max, cost } = refusal;
  const whole = cost > max;
  const retryAfterSeconds = whole ? policy.windowSeconds : retryAfterSecondsOf(refusal.retryAfterMs);
  return new DomainError('RATE_LIMITED', refusal.message, {
    retryAfterSeconds,
    extra: whole ? { policy: policy.name, cost } : { policy: policy.name },
    headers: headersOf(policy, max, retryAfterSeconds),
  });
}

/** An address over the invalid-document limit, refused before its next document is parsed (no store call). */
function refusedAddress(policy: RateLimitPolicy, max: number, waitMs: number): DomainError {
  const retryAfterSeconds = retryAfterSecondsOf(waitMs);
  return new DomainError('RATE_LIMITED', `Too many requests: ${policy.description}. Retry in ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
    extra: { policy: policy.name },
    headers: headersOf(policy, max, retryAfterSeconds),
  });
}

/** draft-ietf-httpapi-ratelimit-headers: the policy (quota, window) and where the caller stands. */
function headersOf(policy: RateLimitPolicy, max: number, retryAfterSeconds: number): Record<string, string> {
  return {
    'ratelimit-policy': `"${policy.name}";q=${max};w=${policy.windowSeconds}`,
    ratelimit: `"${policy.name}";r=0;t=${retryAfterSeconds}`,
  };
}
