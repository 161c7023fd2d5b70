import { generateApiKey } from '../auth/secrets.js';
import { isUuid } from '../catalog/formats.js';
import type { ApiKeyRow, RoleName } from '../db/tables.js';
import { badInput, notFound } from '../errors/domain-error.js';
import { recordAudit } from './audit.js';
import { recordChange } from './change-feed.js';
import type { ServiceContext } from './service-context.js';
import { requireSameTenant, requireTenant } from './tenant-access.js';

export interface CreateApiKeyInput {
  tenantId: string;
  role: RoleName;
  label?: string | null;
}

const MAX_LABEL_LENGTH = 200;

/** Creates a key; the secret is returned here once and only its hash is stored. */
export async function createApiKey(
  ctx: ServiceContext,
  input: CreateApiKeyInput,
): Promise<{ key: string; apiKey: ApiKeyRow }> {
  const tenant = await requireTenant(ctx, input.tenantId);
  if (input.label != null && input.label.length > MAX_LABEL_LENGTH) {
    throw badInput(`label must be at most ${MAX_LABEL_LENGTH} characters`, [{ path: 'label', message: 'too long' }]);
  }
  const { key, prefix, hash } = generateApiKey();
  const apiKey = await ctx.changeFeed.transaction(ctx.db, async (trx) => {
    const row = await trx
      .insertInto('api_keys')
      .values({
        tenant_id: tenant.id,
        role: input.role,
        prefix,
        key_hash: hash,
        label: input.label ?? null,
        created_at: ctx.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx, {
      tenantId: tenant.id,
      action: 'api_key.create',
      target: row.id,
      changes: { role: row.role, prefix, label: row.label },
    });
    await recordChange(trx, ctx, { tenantId: tenant.id, action: 'api_key.create', target: row.id });
    return row;
  });
  // The request's loaders may hold the list read before the write.
  ctx.loaders.apiKeysByTenant.clear(tenant.id);
  return { key, apiKey };
}

/** Revokes at once; another tenant's key id answers NOT_FOUND, as an unknown one does. */
export async function revokeApiKey(ctx: ServiceContext, id: string): Promise<ApiKeyRow> {
  const existing = isUuid(id) ? await ctx.loaders.apiKey.load(id) : null;
  const p = ctx.principal;
  if (!existing || (p.kind === 'tenant' && p.tenantId !== existing.tenant_id)) throw notFound('API key');
  const revoked = await ctx.changeFeed.transaction(ctx.db, async (trx) => {
    const row = await trx
      .updateTable('api_keys')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(ctx.now())) }))
      .where('id', '=', id)
      .where('tenant_id', '=', existing.tenant_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx, {
      tenantId: row.tenant_id,
      action: 'api_key.revoke',
      target: row.id,
      changes: { prefix: row.prefix },
    });
    await recordChange(trx, ctx, { tenantId: row.tenant_id, action: 'api_key.revoke', target: row.id });
    return row;
  });
  // The request's loaders cached the key (and maybe its tenant's list) before the write.
  ctx.loaders.apiKey.clear(id).prime(id, revoked);
  ctx.loaders.apiKeysByTenant.clear(revoked.tenant_id);
  return revoked;
}

export async function listApiKeys(ctx: ServiceContext, tenantId: string): Promise<ApiKeyRow[]> {
  requireSameTenant(ctx, tenantId);
  return ctx.loaders.apiKeysByTenant.load(tenantId);
}
