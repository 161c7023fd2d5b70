import type { TenantRow } from '../../db/tables.js';
import { requireTenant } from '../../services/tenant-access.js';
import { createTenant, listTenants } from '../../services/tenants.js';
import { builder } from '../builder.js';
import { connectionOf, pageArgs } from '../connection.js';
import { TierEnum } from './enums.js';

export const Tenant = builder.objectRef<TenantRow>('Tenant').implement({
  description: 'A customer of the platform; every other record belongs to one.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    tier: t.field({ type: TierEnum, resolve: (tenant) => tenant.tier }),
    industry: t.exposeString('industry', {
      nullable: true,
      description: 'Industry cohort used for benchmarking (the same value as settings.industry).',
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (tenant) => tenant.created_at }),
  }),
});

const TenantConnection = connectionOf('Tenant', Tenant);

builder.queryFields((t) => ({
  tenant: t.field({
    type: Tenant,
    description:
      'A tenant by id: a tenant key may read only its own; another id is FORBIDDEN whether it exists or not.',
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => requireTenant(ctx, args.id),
  }),
  // The REST paths that act on "the key's tenant" (`/tenant/*`, `/api/admin/*`) read through
  // this field, so the platform admin names its tenant exactly as on the mutations (`tenantId`)
  // and every such path answers the same way when it does not (requireTenant decides).
  currentTenant: t.field({
    type: Tenant,
    description:
      "The tenant a call acts on: a tenant key's own (tenantId may be omitted or name it; another id is FORBIDDEN). The platform admin must name one: BAD_USER_INPUT without it, NOT_FOUND for an unknown id.",
    authScopes: { viewer: true },
    args: { tenantId: t.arg.id() },
    resolve: (_root, args, ctx) => requireTenant(ctx, args.tenantId),
  }),
  tenants: t.field({
    type: TenantConnection,
    description: 'Every tenant, oldest first (platform admin).',
    authScopes: { platformAdmin: true },
    args: pageArgs,
    resolve: (_root, args, ctx) => listTenants(ctx, args),
  }),
}));

const CreateTenantInput = builder.inputType('CreateTenantInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    tier: t.field({ type: TierEnum, required: false, defaultValue: 'BASIC' }),
    industry: t.string({ required: false }),
  }),
});

const CreateTenantPayload = builder.objectRef<{ tenant: TenantRow }>('CreateTenantPayload').implement({
  fields: (t) => ({ tenant: t.field({ type: Tenant, nullable: true, resolve: (p) => p.tenant }) }),
});

builder.mutationFields((t) => ({
  createTenant: t.field({
    type: CreateTenantPayload,
    nullable: true,
    description: 'Creates a tenant (platform admin).',
    authScopes: { platformAdmin: true },
    args: { input: t.arg({ type: CreateTenantInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ tenant: await createTenant(ctx, input) }),
  }),
}));
