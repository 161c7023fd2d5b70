import type { AuditLogRow, TenantRow } from '../db/tables.js';
import { badInput } from '../errors/domain-error.js';
import { decodeCursor, type Page, type PageArgs, pageSize, toPage } from './pagination.js';
import type { ServiceContext } from './service-context.js';
import { requireSameTenant } from './tenant-access.js';

const MAX_BIGINT = 9223372036854775807n;

export interface AuditLogFilter {
  action?: string | null;
  /** Inclusive lower bound of created_at. */
  since?: Date | null;
  /** Exclusive upper bound of created_at. */
  until?: Date | null;
}

/** A tenant's audit entries, newest first (by id, which grows with time), cursor-paginated. */
export async function listAuditLog(
  ctx: ServiceContext,
  tenant: TenantRow,
  filter: AuditLogFilter | null | undefined,
  args: PageArgs,
): Promise<Page<AuditLogRow>> {
  requireSameTenant(ctx, tenant.id);
  const size = pageSize(args.first);
  const after = decodeCursor(args.after);
  // Ids are bigserial: anything that is not a bigint would fail the cast in SQL (a 500).
  if (after !== undefined && !(/^\d{1,19}$/.test(after) && BigInt(after) <= MAX_BIGINT))
    throw badInput('Invalid cursor', [{ path: 'after', message: 'Invalid cursor' }]);
  if (filter?.action != null && filter.action.length > 100)
    throw badInput('action must be at most 100 characters', [{ path: 'filter.action', message: 'too long' }]);
  let query = ctx.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenant.id);
  if (filter?.action) query = query.where('action', '=', filter.action);
  if (filter?.since) query = query.where('created_at', '>=', filter.since);
  if (filter?.until) query = query.where('created_at', '<', filter.until);
  if (after !== undefined) query = query.where('id', '<', after);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(size + 1)
    .execute();
  return toPage(rows, size, (row) => String(row.id));
}
