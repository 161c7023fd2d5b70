import SchemaBuilder, { type SchemaTypes } from '@pothos/core';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { hasTenantRole } from '../auth/principal.js';
import { forbidden, unauthenticated } from '../errors/domain-error.js';
import type { ServiceContext } from '../services/service-context.js';

/**
 * The builder and its typed context, scopes and scalars; it defines no types itself.
 * Scopes are role checks only ("does this key have at least operator?"); whether a record
 * belongs to the caller's tenant is checked in the service, in SQL.
 */
export const builder = new SchemaBuilder<{
  Context: ServiceContext;
  DefaultFieldNullability: false;
  AuthScopes: {
    /** Any valid key. */
    authenticated: boolean;
    viewer: boolean;
    operator: boolean;
    admin: boolean;
    platformAdmin: boolean;
    /** Open to anyone, key or not (the share-link view). */
    public: boolean;
  };
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
    unauthorizedError: (_parent, context) =>
      context.principal.kind === 'anonymous' ? unauthenticated() : forbidden('This key lacks the role for this field'),
    authScopes: (context) => {
      const p = context.principal;
      const atLeast = (role: 'VIEWER' | 'OPERATOR' | 'ADMIN') =>
        p.kind === 'platform' || (p.kind === 'tenant' && hasTenantRole(p, p.tenantId, role));
      return {
        authenticated: p.kind !== 'anonymous',
        viewer: atLeast('VIEWER'),
        operator: atLeast('OPERATOR'),
        admin: atLeast('ADMIN'),
        platformAdmin: p.kind === 'platform',
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
