import type { WebhookDeliveryRow } from '../../db/tables.js';
import { listWebhookDeliveries, redeliverWebhook } from '../../services/webhook-deliveries.js';
import { builder } from '../builder.js';
import { connectionOf, pageArgs } from '../connection.js';
import { Tenant } from './tenant.js';

const WebhookDelivery = builder.objectRef<WebhookDeliveryRow>('WebhookDelivery').implement({
  description: 'One webhook message to one endpoint: queued with the change, sent (and retried) by a deliverer.',
  fields: (t) => ({
    id: t.exposeID('id', { description: "Also the message's `webhook-id` header, the same on every attempt." }),
    endpoint: t.exposeString('endpoint'),
    event: t.exposeString('event', { description: "The change's action, e.g. config.update." }),
    cursor: t.string({ description: "The change's cursor (as in tenantChanges).", resolve: (d) => String(d.cursor) }),
    status: t.exposeString('status', { description: 'pending, delivered, or failed (retries spent).' }),
    attempts: t.exposeInt('attempts'),
    lastStatus: t.exposeInt('last_status', {
      nullable: true,
      description: 'HTTP status of the last attempt (null: no response, e.g. a timeout or a refused target).',
    }),
    lastError: t.exposeString('last_error', {
      nullable: true,
      description: 'A short excerpt of the last failed response or error.',
    }),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.next_attempt_at }),
    deliveredAt: t.field({ type: 'DateTime', nullable: true, resolve: (d) => d.delivered_at }),
    createdAt: t.field({ type: 'DateTime', resolve: (d) => d.created_at }),
  }),
});

const WebhookDeliveryConnection = connectionOf('WebhookDelivery', WebhookDelivery);

builder.objectField(Tenant, 'webhookDeliveries', (t) =>
  t.field({
    type: WebhookDeliveryConnection,
    description: "The tenant's webhook delivery log, newest first.",
    authScopes: { viewer: true },
    args: pageArgs,
    resolve: (tenant, args, ctx) => listWebhookDeliveries(ctx, tenant, args),
  }),
);

builder.mutationFields((t) => ({
  redeliverWebhook: t.field({
    type: WebhookDelivery,
    nullable: true,
    description:
      "Sends a delivery again, now, with a fresh retry budget and the same webhook-id (admin). Another tenant's id is NOT_FOUND.",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => redeliverWebhook(ctx, args.id),
  }),
}));
