import { actorOf } from '../auth/principal.js';
import type { AuditAction } from '../catalog/audit-actions.js';
import type { DbOrTrx } from '../db/connect.js';
import type { ServiceContext } from './service-context.js';

export interface AuditEvent {
  tenantId: string | null;
  action: AuditAction;
  target?: string;
  /** Already redacted by the caller: secrets never reach this object. */
  changes?: unknown;
}

/** Appends one audit entry; call it with the write's own transaction so both commit together. */
export async function recordAudit(
  trx: DbOrTrx,
  ctx: Pick<ServiceContext, 'principal' | 'requestId' | 'now'>,
  event: AuditEvent,
) {
  await trx
    .insertInto('audit_log')
    .values({
      tenant_id: event.tenantId,
      ...actorOf(ctx.principal),
      action: event.action,
      target: event.target ?? null,
      changes: event.changes === undefined ? null : JSON.stringify(event.changes),
      request_id: ctx.requestId,
      created_at: ctx.now(),
    })
    .execute();
}
