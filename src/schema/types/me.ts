import type { RoleName, TenantRow } from '../../db/tables.js';
import { entitlementsOf } from '../../services/entitlements.js';
import { builder } from '../builder.js';
import { RoleEnum } from './enums.js';
import { Tenant } from './tenant.js';

interface MeShape {
  tenant: TenantRow | null;
  role: RoleName | null;
  keyId: string | null;
  platformAdmin: boolean;
}

const Me = builder.objectRef<MeShape>('Me').implement({
  description: 'The caller, as resolved from its API key.',
  fields: (t) => ({
    tenant: t.field({
      type: Tenant,
      nullable: true,
      resolve: (me) => me.tenant,
      description: 'Null for the platform admin.',
    }),
    role: t.field({
      type: RoleEnum,
      nullable: true,
      resolve: (me) => me.role,
      description: 'Null for the platform admin.',
    }),
    keyId: t.exposeID('keyId', { nullable: true }),
    platformAdmin: t.exposeBoolean('platformAdmin'),
    entitlements: t.field({
      type: 'JSON',
      description: "Subscription feature flags: feature key → enabled, from the tenant's tier.",
      resolve: (me, _args, ctx) => (me.tenant ? entitlementsOf(ctx, me.tenant) : {}),
    }),
  }),
});

builder.objectField(Tenant, 'entitlements', (t) =>
  t.field({
    type: 'JSON',
    description: "The tenant's subscription feature flags: feature key → enabled (the same as Me.entitlements).",
    authScopes: { viewer: true },
    resolve: (tenant, _args, ctx) => entitlementsOf(ctx, tenant),
  }),
);

builder.queryField('me', (t) =>
  t.field({
    type: Me,
    authScopes: { authenticated: true },
    resolve: async (_root, _args, ctx) => {
      const p = ctx.principal;
      if (p.kind !== 'tenant') return { tenant: null, role: null, keyId: null, platformAdmin: true };
      return { tenant: await ctx.loaders.tenant.load(p.tenantId), role: p.role, keyId: p.keyId, platformAdmin: false };
    },
  }),
);
