import { isUuid } from '../catalog/formats.js';
import type { TenantRow, WebhookDeliveryRow } from '../db/tables.js';
import { notFound } from '../errors/domain-error.js';
import { recordAudit } from './audit.js';
import {
  createdAtIdKey,
  decodeCreatedAtIdCursor,
  type Page,
  type PageArgs,
  pageSize,
  pastCreatedAtId,
  toPage,
} from './pagination.js';
import type { ServiceContext } from './service-context.js';
import { requireSameTenant } from './tenant-access.js';

/** The delivery log: a tenant's webhook deliveries, newest first, cursor-paginated. */
export async function listWebhookDeliveries(
  ctx: ServiceContext,
  tenant: TenantRow,
  args: PageArgs,
): Promise<Page<WebhookDeliveryRow>> {
  requireSameTenant(ctx, tenant.id);
  const size = pageSize(args.first);
  const after = decodeCreatedAtIdCursor(args.after);
  let query = ctx.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(size + 1);
  if (after) query = query.where(pastCreatedAtId(after, 'newest first'));
  return toPage(await query.execute(), size, createdAtIdKey);
}

/**
 * Sends a delivery again (admin): it becomes due now with a fresh retry budget, keeping its
 * `webhook-id` and body. Another tenant's delivery answers NOT_FOUND, as an unknown one does.
 */
export async function redeliverWebhook(ctx: ServiceContext, id: string): Promise<WebhookDeliveryRow> {
  const p = ctx.principal;
  const existing = isUuid(id)
    ? await ctx.db.selectFrom('webhook_deliveries').select(['id', 'tenant_id']).where('id', '=', id).executeTakeFirst()
    : undefined;
  if (!existing || (p.kind === 'tenant' && p.tenantId !== existing.tenant_id)) throw notFound('Webhook delivery');
  return ctx.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', attempts: 0, next_attempt_at: ctx.now(), leased_until: null, delivered_at: null })
      .where('id', '=', id)
      .where('tenant_id', '=', existing.tenant_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx, {
      tenantId: row.tenant_id,
      action: 'webhook.redeliver',
      target: row.id,
      changes: { endpoint: row.endpoint, event: row.event },
    });
    return row;
  });
}
