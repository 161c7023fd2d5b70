import SchemaBuilder, { type SchemaTypes } from '@pothos/core';
import ScopeAuthPlugin, { type AuthFailure, AuthScopeFailureType } from '@pothos/plugin-scope-auth';
import { hasRole } from '../auth/principal.js';
import type { RoleName } from '../db/tables.js';
import { forbidden, unauthenticated } from '../errors/domain-error.js';
import type { ServiceContext } from '../services/service-context.js';

/**
 * The role checks of the whole API, one per scope; fields name them with `authScopes`. Services
 * check no roles: they check only whether a record belongs to the caller's tenant (in SQL).
 */
interface RoleScopes {
  /** Any valid key. */
  authenticated: boolean;
  viewer: boolean;
  operator: boolean;
  admin: boolean;
  platformAdmin: boolean;
  /** A tenant's own key, any role: the platform admin has no tenant of its own (OpenFeature evaluation). */
  tenantKey: boolean;
  /** Open to anyone, key or not (the share-link view). */
  public: boolean;
}

/**
 * What a caller with a valid key but without the scope is told (FORBIDDEN); the README's
 * "Roles" section lists them. A caller without a valid key is told UNAUTHENTICATED instead.
 */
export const SCOPE_REFUSALS: Record<keyof RoleScopes, string> = {
  authenticated: 'Requires a valid API key',
  viewer: 'Requires the viewer role or above',
  operator: 'Requires the operator role or above',
  admin: 'Requires the admin role',
  platformAdmin: 'Requires the platform admin key',
  tenantKey: 'Requires a tenant key: the platform admin has no tenant of its own',
  public: 'Open to anyone',
};

/** The refusal of the first scope that failed (fields name one scope each). */
function refusalOf(failure: AuthFailure): string {
  if (failure.kind === AuthScopeFailureType.AuthScope && failure.scope in SCOPE_REFUSALS)
    return SCOPE_REFUSALS[failure.scope as keyof RoleScopes];
  if (failure.kind === AuthScopeFailureType.AnyAuthScopes || failure.kind === AuthScopeFailureType.AllAuthScopes) {
    for (const inner of failure.failures) {
      const message = refusalOf(inner);
      if (message) return message;
    }
  }
  return '';
}

/** The builder and its typed context, scopes and scalars; it defines no types itself. */
export const builder = new SchemaBuilder<{
  Context: ServiceContext;
  DefaultFieldNullability: false;
  AuthScopes: RoleScopes;
  Scalars: {
    // graphql-js hands ID inputs over as strings; saying so spares every resolver a String(id).
    ID: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  plugins: [ScopeAuthPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Subscriptions are authorized once, when they start (then each event is the stream's own).
    authorizeOnSubscribe: true,
    // A failed scope says 401 to a caller without a valid key and 403 to one with too small a role.
    unauthorizedError: (_parent, context, _info, result) =>
      context.principal.kind === 'anonymous'
        ? unauthenticated()
        : forbidden(refusalOf(result.failure) || SCOPE_REFUSALS.authenticated),
    authScopes: (context) => {
      const p = context.principal;
      // A tenant key's role in its own tenant; the platform admin passes every role.
      const atLeast = (role: RoleName) => p.kind === 'platform' || (p.kind === 'tenant' && hasRole(p.role, role));
      return {
        authenticated: p.kind === 'tenant' || p.kind === 'platform',
        viewer: atLeast('VIEWER'),
        operator: atLeast('OPERATOR'),
        admin: atLeast('ADMIN'),
        platformAdmin: p.kind === 'platform',
        tenantKey: p.kind === 'tenant',
        public: true,
      };
    },
  },
});

// Deny by default: every root field needs a valid key unless it opts out with `skipTypeScopes`.
builder.queryType({ authScopes: { authenticated: true } });
builder.mutationType({ authScopes: { authenticated: true } });
builder.subscriptionType({ authScopes: { authenticated: true } });

/** The builder's schema types, for helpers that take Pothos refs and field builders. */
export type BuilderTypes =
  typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T extends SchemaTypes> ? T : never;
