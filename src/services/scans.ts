import { isUuid } from '../catalog/formats.js';
import type { ScanRow } from '../db/tables.js';
import { badInput, type FieldIssue, notFound } from '../errors/domain-error.js';
import { recordAudit } from './audit.js';
import { recordChange } from './change-feed.js';
import {
  createdAtIdKey,
  decodeCreatedAtIdCursor,
  type Page,
  type PageArgs,
  pageSize,
  pastCreatedAtId,
  toPage,
} from './pagination.js';
import { retentionPolicyOf } from './scan-settings.js';
import type { ServiceContext } from './service-context.js';
import { requireTenant } from './tenant-access.js';

export interface CreateScanInput {
  target: string;
  report?: unknown;
  summary?: unknown;
  retained?: boolean | null;
}

export const MAX_TARGET_LENGTH = 2048;
/** A report is stored as one jsonb value and served whole through share links: keep it bounded. */
export const MAX_REPORT_BYTES = 1024 * 1024;
/** The summary is shown in lists; it is meant to be small. */
export const MAX_SUMMARY_BYTES = 64 * 1024;

/** Serialized size in bytes, or the issue describing why the value is refused. */
function jsonSizeIssue(path: string, value: unknown, maxBytes: number): FieldIssue | null {
  if (value === undefined || value === null) return null;
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  if (bytes <= maxBytes) return null;
  return { path, message: `must be at most ${maxBytes} bytes when serialized as JSON (got ${bytes})` };
}

function validateScanInput(input: CreateScanInput): { target: string } {
  const issues: FieldIssue[] = [];
  const target = input.target.trim();
  if (target.length < 1 || target.length > MAX_TARGET_LENGTH) {
    issues.push({ path: 'target', message: `must be 1-${MAX_TARGET_LENGTH} characters` });
  }
  const report = jsonSizeIssue('report', input.report, MAX_REPORT_BYTES);
  if (report) issues.push(report);
  const summary = jsonSizeIssue('summary', input.summary, MAX_SUMMARY_BYTES);
  if (summary) issues.push(summary);
  if (issues.length) {
    const first = issues[0]!;
    // The message names the first problem plainly; details list all of them.
    throw badInput(`${first.path} ${first.message}`, issues);
  }
  return { target };
}

/** Records a scan's results. `retained` defaults to the tenant's autoRetainScans. */
export async function createScan(
  ctx: ServiceContext,
  tenantId: string | null | undefined,
  input: CreateScanInput,
): Promise<ScanRow> {
  const tenant = await requireTenant(ctx, tenantId);
  const { target } = validateScanInput(input);
  const retained = input.retained ?? (await retentionPolicyOf(ctx.db, tenant.id, ctx.settingsEnv)).autoRetainScans;
  const p = ctx.principal;
  return ctx.changeFeed.transaction(ctx.db, async (trx) => {
    const scan = await trx
      .insertInto('scans')
      .values({
        tenant_id: tenant.id,
        target,
        status: 'COMPLETED',
        report: input.report == null ? null : JSON.stringify(input.report),
        summary: input.summary == null ? null : JSON.stringify(input.summary),
        retained,
        created_at: ctx.now(),
        created_by_key_id: p.kind === 'tenant' ? p.keyId : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // The report itself is not copied into the audit log: it may be large, and it is in the scan.
    await recordAudit(trx, ctx, {
      tenantId: tenant.id,
      action: 'scan.create',
      target: scan.id,
      changes: { target, retained, status: scan.status },
    });
    await recordChange(trx, ctx, { tenantId: tenant.id, action: 'scan.create', target: scan.id });
    return scan;
  });
}

/** The tenant's scans, newest first. */
export async function listScans(ctx: ServiceContext, tenantId: string, args: PageArgs): Promise<Page<ScanRow>> {
  const tenant = await requireTenant(ctx, tenantId);
  const size = pageSize(args.first);
  const after = decodeCreatedAtIdCursor(args.after);
  let query = ctx.db
    .selectFrom('scans')
    .selectAll()
    .where('tenant_id', '=', tenant.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(size + 1);
  if (after) query = query.where(pastCreatedAtId(after, 'newest first'));
  const rows = await query.execute();
  return toPage(rows, size, createdAtIdKey);
}

/**
 * A scan the caller may see: its own tenant's (filtered in SQL), or any for the platform admin.
 * Unknown, malformed and other tenants' ids all answer NOT_FOUND.
 */
export async function getScan(ctx: ServiceContext, id: string): Promise<ScanRow> {
  const p = ctx.principal;
  if (p.kind === 'anonymous' || !isUuid(id)) throw notFound('Scan');
  let query = ctx.db.selectFrom('scans').selectAll().where('id', '=', id);
  if (p.kind === 'tenant') query = query.where('tenant_id', '=', p.tenantId);
  const scan = await query.executeTakeFirst();
  if (!scan) throw notFound('Scan');
  return scan;
}
