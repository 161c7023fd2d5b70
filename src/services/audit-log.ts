import { AUDIT_ACTIONS, isAuditAction } from '../catalog/audit-actions.js';
import type { AuditLogRow, TenantRow } from '../db/tables.js';
import { badInput, DomainError } from '../errors/domain-error.js';
import { listFeatureFlags } from './feature-flags.js';
import { decodeCursor, type Page, type PageArgs, pageSize, toPage } from './pagination.js';
import type { ServiceContext } from './service-context.js';
import { requireSameTenant } from './tenant-access.js';

const MAX_BIGINT = 9223372036854775807n;

/** An entry as listed: the tenant is the one asked for, so its id is not read (less to decode per row). */
export type AuditEntryRow = Omit<AuditLogRow, 'tenant_id'>;

const ENTRY_COLUMNS = [
  'id',
  'actor_key_id',
  'actor_role',
  'action',
  'target',
  'changes',
  'request_id',
  'created_at',
] as const satisfies readonly (keyof AuditEntryRow)[];

/** Seed 001's feature flag "CSV/JSON export functionality for audit logs". */
export const AUDIT_LOG_EXPORT_FLAG = 'audit_log_export';

/**
 * Pages of an export are larger than a list's: fewer executions for a long log. Past a few
 * hundred rows the per-page cost is small beside the per-row cost, and the page's estimated
 * operation cost stays well inside maxCost.
 */
export const AUDIT_EXPORT_MAX_PAGE_SIZE = 500;

export interface AuditLogFilter {
  /** One of AUDIT_ACTIONS; any other name is BAD_USER_INPUT (no entry can carry it). */
  action?: string | null;
  /** Inclusive lower bound of created_at. */
  since?: Date | null;
  /** Exclusive upper bound of created_at. */
  until?: Date | null;
}

function checkFilter(filter: AuditLogFilter | null | undefined): void {
  const action = filter?.action;
  if (action != null && action !== '' && !isAuditAction(action))
    throw badInput(`filter.action ${JSON.stringify(action.slice(0, 100))} is not an audit action`, [
      { path: 'filter.action', message: `one of ${AUDIT_ACTIONS.join(', ')}` },
    ]);
}

/** The id an `after` cursor names. Ids are bigserial: anything else would fail the cast in SQL (a 500). */
function afterId(cursor: string | null | undefined): string | undefined {
  const after = decodeCursor(cursor);
  if (after !== undefined && !(/^\d{1,19}$/.test(after) && BigInt(after) <= MAX_BIGINT))
    throw badInput('Invalid cursor', [{ path: 'after', message: 'Invalid cursor' }]);
  return after;
}

/**
 * One keyset page of the tenant's entries, newest first (by id, which grows with time), after the
 * entry the cursor names; the cursor and the filter are checked first (invalid input otherwise).
 */
async function auditPage(
  ctx: ServiceContext,
  tenant: TenantRow,
  filter: AuditLogFilter | null | undefined,
  cursor: string | null | undefined,
  size: number,
): Promise<Page<AuditEntryRow>> {
  const after = afterId(cursor);
  checkFilter(filter);
  let query = ctx.db.selectFrom('audit_log').select(ENTRY_COLUMNS).where('tenant_id', '=', tenant.id);
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

/** A tenant's audit entries, newest first, cursor-paginated. */
export async function listAuditLog(
  ctx: ServiceContext,
  tenant: TenantRow,
  filter: AuditLogFilter | null | undefined,
  args: PageArgs,
): Promise<Page<AuditEntryRow>> {
  requireSameTenant(ctx, tenant.id);
  return auditPage(ctx, tenant, filter, args.after, pageSize(args.first));
}

/**
 * One page of an audit-log export: the same entries, order and filter as the list, in pages of
 * up to AUDIT_EXPORT_MAX_PAGE_SIZE, only while the tenant's `audit_log_export` feature is in
 * effect (FORBIDDEN naming the flag otherwise). Each page is one indexed keyset query holding
 * nothing between pages (no cursor, no transaction), so an export of any length costs the
 * database one page at a time and never pins a connection; newest first, it leaves out entries
 * written after it began.
 */
export async function exportAuditLogPage(
  ctx: ServiceContext,
  tenant: TenantRow,
  filter: AuditLogFilter | null | undefined,
  args: PageArgs,
): Promise<Page<AuditEntryRow>> {
  requireSameTenant(ctx, tenant.id);
  const flag = (await listFeatureFlags(ctx, tenant)).find((f) => f.key === AUDIT_LOG_EXPORT_FLAG);
  if (!flag?.enabled)
    throw new DomainError(
      'FORBIDDEN',
      `Audit log export is off for this tenant: the feature flag '${AUDIT_LOG_EXPORT_FLAG}' is disabled`,
      { extra: { flag: AUDIT_LOG_EXPORT_FLAG } },
    );
  const size = pageSize(args.first, AUDIT_EXPORT_MAX_PAGE_SIZE, AUDIT_EXPORT_MAX_PAGE_SIZE);
  return auditPage(ctx, tenant, filter, args.after, size);
}
