/** Whom a policy counts calls for. */
type RateLimitSubject =
  /** The API key (the platform admin counts as one key). */
  | 'key'
  /** The caller's tenant (the platform admin counts as one tenant of its own). */
  | 'tenant'
  /** The client's network address (public operations, no key). */
  | 'clientAddress'
  /** The client's network address, for calls without a valid key (none, or one we do not know). */
  | 'keylessAddress';

export interface RateLimitPolicy {
  /** Named in the `RateLimit-Policy` / `RateLimit` headers; also the counter's name. */
  name: string;
  max: number;
  windowSeconds: number;
  per: RateLimitSubject;
  /** Told to the client in the 429 message. */
  description: string;
  /**
   * An operation whose every root field has such a policy counts against it instead of the
   * request policies (the key's 300 a minute): high-volume reads with a limit of their own.
   */
  replacesRequestPolicies?: boolean;
}

const MINUTE = 60;

/** Seeds 000, 002, 004: "Per-key rate limit exceeded (default 300 requests per minute)". */
const PER_KEY: RateLimitPolicy = {
  name: 'per-key',
  max: 300,
  windowSeconds: MINUTE,
  per: 'key',
  description: 'at most 300 requests per minute per API key',
};

// Seed 003, "Rate Limits": configuration reads 100, updates 10, feature queries 100 a minute per tenant.
const CONFIG_READS: RateLimitPolicy = {
  name: 'config-reads',
  max: 100,
  windowSeconds: MINUTE,
  per: 'tenant',
  description: 'at most 100 configuration reads per minute per tenant',
};
const FEATURE_QUERIES: RateLimitPolicy = {
  name: 'feature-queries',
  max: 100,
  windowSeconds: MINUTE,
  per: 'tenant',
  description: 'at most 100 feature queries per minute per tenant',
};
const CONFIG_UPDATES: RateLimitPolicy = {
  name: 'config-updates',
  max: 10,
  windowSeconds: MINUTE,
  per: 'tenant',
  description: 'at most 10 configuration updates per minute per tenant',
};
/** Seeds 000/002: "or public endpoint limit" — the share-link view, per client address. */
const SHARE_LINK_VIEWS: RateLimitPolicy = {
  name: 'share-link-views',
  max: 60,
  windowSeconds: MINUTE,
  per: 'clientAddress',
  description: 'at most 60 share-link views per minute per client address',
};

/** Calls without a valid key (anonymous, or a key we do not know), per client address. */
const KEYLESS_CALLS: RateLimitPolicy = {
  name: 'keyless-calls',
  max: 120,
  windowSeconds: MINUTE,
  per: 'keylessAddress',
  description: 'at most 120 calls without a valid API key per minute per client address',
};

/** GraphQL documents that do not parse or validate, per client address, whatever the key. */
export const INVALID_DOCUMENTS: RateLimitPolicy = {
  name: 'invalid-documents',
  max: 60,
  windowSeconds: MINUTE,
  per: 'clientAddress',
  description: 'at most 60 invalid GraphQL documents per minute per client address',
};

/** OpenFeature evaluations (OFREP, `Query.flagEvaluations`): per key, instead of its 300 a minute. */
function ofrepEvaluationsPolicy(max = 6000): RateLimitPolicy {
  return {
    name: 'ofrep-evaluations',
    max,
    windowSeconds: MINUTE,
    per: 'key',
    description: `at most ${max} flag evaluations per minute per API key`,
    replacesRequestPolicies: true,
  };
}

/**
 * The operations with limits of their own, by schema coordinate (`Type.field`), declared once
 * here: each occurrence of the field in an operation (aliases and fragment spreads included;
 * also through a REST route, which runs the same GraphQL) counts once against each of its
 * policies, before anything runs (a test checks each names a field).
 */
export const FIELD_POLICIES: Readonly<Record<string, readonly RateLimitPolicy[]>> = {
  'Tenant.config': [CONFIG_READS],
  'Tenant.featureFlags': [FEATURE_QUERIES],
  'Tenant.entitlements': [FEATURE_QUERIES],
  'Me.entitlements': [FEATURE_QUERIES],
  'Mutation.updateTenantConfig': [CONFIG_UPDATES],
  'Query.sharedScan': [SHARE_LINK_VIEWS],
  'Query.flagEvaluations': [ofrepEvaluationsPolicy()],
};

/**
 * A dry run (every root field of a mutation with `dryRun: true`) writes nothing: it counts as a
 * read. Each write policy here is replaced by the read policy it maps to; others stay as they are.
 */
export const DRY_RUN_POLICIES: ReadonlyMap<RateLimitPolicy, RateLimitPolicy> = new Map([
  [CONFIG_UPDATES, CONFIG_READS],
]);

/**
 * Every request also counts once against these, after its field policies: the key's own limit,
 * and for calls without a valid key, their address's.
 */
export const REQUEST_POLICIES: readonly RateLimitPolicy[] = [PER_KEY, KEYLESS_CALLS];

/** The declared field policies with another OFREP limit (`RATE_LIMIT_OFREP_PER_MINUTE`). */
export function withOfrepLimit(max: number): Readonly<Record<string, readonly RateLimitPolicy[]>> {
  return { ...FIELD_POLICIES, 'Query.flagEvaluations': [ofrepEvaluationsPolicy(max)] };
}
