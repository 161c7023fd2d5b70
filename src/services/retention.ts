import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { Db, DbOrTrx } from '../db/connect.js';
import { recordAudit } from './audit.js';
import { recordChange, type ChangeFeed } from './change-feed.js';
import { retentionPolicyOf } from './scan-settings.js';

/** The environment layer of setting resolution (`AppConfig.settingsEnv`). */
type SettingsEnv = Record<string, string | undefined>;
import type { ServiceContext } from './service-context.js';
import { requireTenant } from './tenant-access.js';

export interface RetentionSweepResult {
  deletedScans: number;
  deletedShareLinks: number;
}

/**
 * `months` calendar months before `now` (UTC), the day clamped to the target month's length:
 * 31 March minus one month is 28/29 February, not 3 March.
 */
export function subtractCalendarMonths(now: Date, months: number): Date {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(y, m, Math.min(now.getUTCDate(), lastDay), now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds(), now.getUTCMilliseconds()),
  );
}

/** Who the audit entry names: the admin who asked, or the system timer. */
type AuditActor = Pick<ServiceContext, 'principal' | 'requestId' | 'now'>;

/**
 * Deletes one tenant's unretained scans older than its evidenceRetentionMonths, with their share
 * links, in one transaction with its audit entry. `always` writes the entry even when nothing
 * went (an on-demand run is itself worth recording; the timer stays quiet on idle tenants).
 */
async function sweepTenant(db: Db, feed: ChangeFeed, tenantId: string, actor: AuditActor, always: boolean, env: SettingsEnv): Promise<RetentionSweepResult> {
  const now = actor.now();
  const policy = await retentionPolicyOf(db, tenantId, env);
  const cutoff = subtractCalendarMonths(now, policy.evidenceRetentionMonths);
  return feed.transaction(db, async (trx) => {
    const scans = await trx
      .selectFrom('scans')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('retained', '=', false)
      .where('created_at', '<', cutoff)
      .orderBy('created_at')
      .forUpdate()
      .execute();
    const scanIds = scans.map((s) => s.id);
    const links = scanIds.length ? await deleteShareLinksOf(trx, tenantId, scanIds) : [];
    if (scanIds.length) await trx.deleteFrom('scans').where('tenant_id', '=', tenantId).where('id', 'in', scanIds).execute();
    if (scanIds.length || always) {
      await recordAudit(trx, actor, {
        tenantId,
        action: 'retention.sweep',
        target: tenantId,
        changes: {
          evidenceRetentionMonths: policy.evidenceRetentionMonths,
          cutoff: cutoff.toISOString(),
          deletedScans: scanIds.length,
          deletedShareLinks: links.length,
          scanIds,
          shareLinkIds: links,
        },
      });
    }
    if (scanIds.length) await recordChange(trx, actor, { tenantId, action: 'retention.sweep', target: tenantId });
    return { deletedScans: scanIds.length, deletedShareLinks: links.length };
  });
}

async function deleteShareLinksOf(trx: DbOrTrx, tenantId: string, scanIds: string[]): Promise<string[]> {
  const rows = await trx.deleteFrom('share_links').where('tenant_id', '=', tenantId).where('scan_id', 'in', scanIds).returning('id').execute();
  return rows.map((r) => r.id);
}

/** The sweep of one tenant, on demand (admin of that tenant, or the platform admin). */
export async function runRetentionSweep(ctx: ServiceContext, tenantId?: string | null): Promise<RetentionSweepResult> {
  const tenant = await requireTenant(ctx, tenantId, 'ADMIN');
  return sweepTenant(ctx.db, ctx.changeFeed, tenant.id, ctx, true, ctx.config.settingsEnv);
}

/** The principal the timer's audit entries name (actor role SYSTEM, no key). */
const SYSTEM: Principal = { kind: 'anonymous', reason: 'missing' };

/**
 * The timer's sweep over every tenant that has a candidate scan. A tenant that fails is logged
 * and skipped; the others still run.
 */
export async function sweepAllTenants(db: Db, feed: ChangeFeed, now: () => Date, logger: Logger, env: SettingsEnv): Promise<RetentionSweepResult> {
  const requestId = `retention-sweep-${randomUUID()}`;
  // The shortest retention is one month: nothing younger can be due, whatever the tenant says.
  const tenants = await db
    .selectFrom('scans')
    .select('tenant_id')
    .distinct()
    .where('retained', '=', false)
    .where('created_at', '<', subtractCalendarMonths(now(), 1))
    .execute();
  const total: RetentionSweepResult = { deletedScans: 0, deletedShareLinks: 0 };
  for (const { tenant_id } of tenants) {
    try {
      const r = await sweepTenant(db, feed, tenant_id, { principal: SYSTEM, requestId, now }, false, env);
      total.deletedScans += r.deletedScans;
      total.deletedShareLinks += r.deletedShareLinks;
    } catch (error) {
      logger.error({ requestId, tenantId: tenant_id, err: (error as Error).message }, 'retention sweep failed for a tenant');
    }
  }
  if (total.deletedScans) logger.info({ requestId, ...total, tenants: tenants.length }, 'retention sweep');
  return total;
}
