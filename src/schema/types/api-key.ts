import type { ApiKeyRow } from '../../db/tables.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../services/api-keys.js';
import { builder } from '../builder.js';
import { RoleEnum } from './enums.js';
import { Tenant } from './tenant.js';

const ApiKey = builder.objectRef<ApiKeyRow>('ApiKey').implement({
  description: 'An API key. Its secret is shown once, in CreateApiKeyPayload.key, and never again.',
  fields: (t) => ({
    id: t.exposeID('id'),
    role: t.field({ type: RoleEnum, resolve: (k) => k.role }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the key, to recognise it.' }),
    label: t.exposeString('label', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (k) => k.created_at }),
    lastUsedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.last_used_at }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (k) => k.revoked_at }),
  }),
});

builder.objectField(Tenant, 'apiKeys', (t) =>
  t.field({
    type: [ApiKey],
    description: "The tenant's keys, without their secrets (admin).",
    authScopes: { admin: true },
    resolve: (tenant, _args, ctx) => listApiKeys(ctx, tenant.id),
  }),
);

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    tenantId: t.id({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
    label: t.string({ required: false }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ key: string; apiKey: ApiKeyRow }>('CreateApiKeyPayload').implement({
  fields: (t) => ({
    key: t.exposeString('key', { nullable: true, description: 'The secret: shown here once, stored only as a hash.' }),
    apiKey: t.field({ type: ApiKey, nullable: true, resolve: (p) => p.apiKey }),
  }),
});

const RevokeApiKeyPayload = builder.objectRef<{ apiKey: ApiKeyRow }>('RevokeApiKeyPayload').implement({
  fields: (t) => ({ apiKey: t.field({ type: ApiKey, nullable: true, resolve: (p) => p.apiKey }) }),
});

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    nullable: true,
    description: "Creates a key for a tenant (platform admin, or that tenant's admin).",
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => createApiKey(ctx, input),
  }),
  revokeApiKey: t.field({
    type: RevokeApiKeyPayload,
    nullable: true,
    description: 'Revokes a key at once (platform admin, or its tenant admin).',
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ({ apiKey: await revokeApiKey(ctx, args.id) }),
  }),
}));
