import type * as GraphQLRateLimit from 'graphql-rate-limit';
import type { Identity, RateLimitError } from 'graphql-rate-limit';
import { graphqlRateLimit, loadedGraphqlRateLimit } from './graphql-rate-limit.js';
import type { RateLimitPolicy } from './policies.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.js';

/** A call refused by a policy: graphql-rate-limit's error, with what the 429 tells the client. */
export interface Refusal extends RateLimitError {
  policy: RateLimitPolicy;
  /** The policy's maximum as scaled. */
  max: number;
  /** How many calls the refused operation counted as. */
  cost: number;
  /** Until the call would fit (a whole window when it never can). */
  retryAfterMs: number;
}

/**
 * Whom and what a policy counts, in graphql-rate-limit's terms: the caller (`contextIdentity`,
 * e.g. `tenant:<id>`) and the counted thing, built by the library's `getFieldIdentity` from the
 * policy's name (policies count calls of any of their fields together, with no identity arguments).
 */
export async function identityOf(policy: RateLimitPolicy, subject: string): Promise<Identity> {
  return identityWith(await graphqlRateLimit(), policy, subject);
}

/** A policy's `fieldIdentity`: the library's of its name, which is all it depends on (made once per policy; policies are few and live as long as the process). */
const fieldIdentities = new Map<RateLimitPolicy, string>();

function identityWith(library: typeof GraphQLRateLimit, policy: RateLimitPolicy, subject: string): Identity {
  let fieldIdentity = fieldIdentities.get(policy);
  if (fieldIdentity === undefined)
    fieldIdentities.set(policy, (fieldIdentity = library.getFieldIdentity(policy.name, [], {})));
  return { contextIdentity: subject, fieldIdentity };
}

/**
 * One operation's charge against one policy for one caller: counted and allowed (undefined), or
 * refused with graphql-rate-limit's `RateLimitError` (nothing counted). An operation that alone
 * counts more than the policy's maximum is refused without asking the store: it can never run whole.
 * Synchronous when the store answers synchronously (the in-process one) and the library is
 * loaded: a cached read is charged on every request, and each await there was a measurable part of it.
 */
export function consume(
  store: RateLimitStore,
  policy: RateLimitPolicy,
  subject: string,
  max: number,
  cost = 1,
): Refusal | undefined | Promise<Refusal | undefined> {
  const library = loadedGraphqlRateLimit();
  if (!library) return graphqlRateLimit().then(() => consume(store, policy, subject, max, cost));
  const windowMs = policy.windowSeconds * 1000;
  const refusal = (message: string, retryAfterMs: number): Refusal =>
    Object.assign(new library.RateLimitError(message), { policy, max, cost, retryAfterMs });
  if (cost > max)
    return refusal(
      `Too many requests: this operation counts ${cost} against ${policy.description}; it can never run whole, split it.`,
      windowMs,
    );
  const decided = (decision: RateLimitDecision): Refusal | undefined => {
    if (decision.allowed) return undefined;
    const counted = cost > 1 ? ` (this operation counts ${cost})` : '';
    return refusal(
      `Too many requests: ${policy.description}${counted}. Retry in ${retryAfterSecondsOf(decision.retryAfterMs)} s.`,
      decision.retryAfterMs,
    );
  };
  const decision = store.hit(identityWith(library, policy, subject), max, windowMs, cost);
  return decision instanceof Promise ? decision.then(decided) : decided(decision);
}

/** `Retry-After` of a wait: whole seconds, at least 1. */
export function retryAfterSecondsOf(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
