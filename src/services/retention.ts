import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import { entryAt } from '../catalog/catalog.js';
import type { SettingsEnv } from '../catalog/environment.js';
import type { Db, DbOrTrx } from '../db/connect.js';
import { recordAudit } from './audit.js';
import { type ChangeFeed, recordChange } from './change-feed.js';
import { retentionPolicyOf } from './scan-settings.js';
import type { ServiceContext } from './service-context.js';
import { resolveSettings } from './setting-resolution.js';
import { loadSettingRows } from './setting-values.js';
import { requireTenant } from './tenant-access.js';

export interface RetentionSweepResult {
  deletedScans: number;
  deletedShareLinks: number;
  deletedAuditEntries: number;
}

const AUDIT_RETENTION = entryAt('admin', 'compliance.audit_log_retention_days');
const DAY_MS = 86_400_000;

/** compliance.audit_log_retention_days of a tenant (stored > environment > default). */
async function auditRetentionDaysOf(db: DbOrTrx, tenantId: string, env: SettingsEnv): Promise<number> {
  const rows = await loadSettingRows(db, [tenantId], [AUDIT_RETENTION.storagePath]);
  return resolveSettings({ industry: null }, rows, env).valueOf(AUDIT_RETENTION).value as number;
}

/**
 * Deletes a tenant's audit entries older than `cutoff`, and the history versions of the same
 * age: a version is kept as long as the audit entry of its change. The newest version of each
 * document is kept whatever its age (it is the document as it stands; rollbacks and diffs start there).
 */
async function deleteAuditOlderThan(trx: DbOrTrx, tenantId: string, cutoff: Date): Promise<number> {
  const deleted = await trx
    .deleteFrom('audit_log')
    .where('tenant_id', '=', tenantId)
    .where('created_at', '<', cutoff)
    .returning('id')
    .execute();
  await trx
    .deleteFrom('config_versions as v')
    .where('v.tenant_id', '=', tenantId)
    .where('v.created_at', '<', cutoff)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('config_versions as newer')
          .select('newer.version')
          .whereRef('newer.tenant_id', '=', 'v.tenant_id')
          .whereRef('newer.document', '=', 'v.document')
          .whereRef('newer.version', '>', 'v.version'),
      ),
    )
    .execute();
  return deleted.length;
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
    Date.UTC(
      y,
      m,
      Math.min(now.getUTCDate(), lastDay),
      now.getUTCHours(),
      now.getUTCMinutes(),
      now.getUTCSeconds(),
      now.getUTCMilliseconds(),
    ),
  );
}

/** Who the audit entry names: the admin who asked, or the system timer. */
type AuditActor = Pick<ServiceContext, 'principal' | 'requestId' | 'now'>;

/**
 * Deletes one tenant's unretained scans older than its evidenceRetentionMonths, with their share
 * links, in one transaction with its audit entry. `always` writes the entry even when nothing
 * went (an on-demand run is itself worth recording; the timer stays quiet on idle tenants).
 */
async function sweepTenant(
  db: Db,
  feed: ChangeFeed,
  tenantId: string,
  actor: AuditActor,
  always: boolean,
  env: SettingsEnv,
): Promise<RetentionSweepResult> {
  const now = actor.now();
  const policy = await retentionPolicyOf(db, tenantId, env);
  const cutoff = subtractCalendarMonths(now, policy.evidenceRetentionMonths);
  const auditCutoff = new Date(now.getTime() - (await auditRetentionDaysOf(db, tenantId, env)) * DAY_MS);
  return feed.transaction(db, async (trx) => {
    // Before this sweep's own entry is written: that one is never older than the cutoff.
    const deletedAuditEntries = await deleteAuditOlderThan(trx, tenantId, auditCutoff);
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
    if (scanIds.length)
      await trx.deleteFrom('scans').where('tenant_id', '=', tenantId).where('id', 'in', scanIds).execute();
    if (scanIds.length || deletedAuditEntries || always) {
      await recordAudit(trx, actor, {
        tenantId,
        action: 'retention.sweep',
        target: tenantId,
        changes: {
          evidenceRetentionMonths: policy.evidenceRetentionMonths,
          cutoff: cutoff.toISOString(),
          deletedScans: scanIds.length,
          deletedShareLinks: links.length,
          auditLogRetentionDays: Math.round((now.getTime() - auditCutoff.getTime()) / DAY_MS),
          deletedAuditEntries,
          scanIds,
          shareLinkIds: links,
        },
      });
    }
    if (scanIds.length || deletedAuditEntries)
      await recordChange(trx, actor, { tenantId, action: 'retention.sweep', target: tenantId });
    return { deletedScans: scanIds.length, deletedShareLinks: links.length, deletedAuditEntries };
  });
}

async function deleteShareLinksOf(trx: DbOrTrx, tenantId: string, scanIds: string[]): Promise<string[]> {
  const rows = await trx
    .deleteFrom('share_links')
    .where('tenant_id', '=', tenantId)
    .where('scan_id', 'in', scanIds)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** The sweep of one tenant, on demand (the field is the admin's). */
export async function runRetentionSweep(ctx: ServiceContext, tenantId?: string | null): Promise<RetentionSweepResult> {
  const tenant = await requireTenant(ctx, tenantId);
  return sweepTenant(ctx.db, ctx.changeFeed, tenant.id, ctx, true, ctx.settingsEnv);
}

/** The timer's actor: its audit entries and changes name the role SYSTEM and no key. */
const SWEEP_TIMER: Principal = { kind: 'system', task: 'retention-sweep' };

/**
 * The timer's sweep over every tenant that has a candidate scan. A tenant that fails is logged
 * and skipped; the others still run.
 */
export async function sweepAllTenants(
  db: Db,
  feed: ChangeFeed,
  now: () => Date,
  logger: Logger,
  env: SettingsEnv,
): Promise<RetentionSweepResult> {
  const requestId = `retention-sweep-${randomUUID()}`;
  // The shortest retention is one month (scans) and 30 days (audit entries, the setting's minimum):
  // nothing younger can be due, whatever the tenant says.
  const tenants = await db
    .selectFrom('scans')
    .select((eb) => eb.cast<string | null>('tenant_id', 'uuid').as('tenant_id'))
    .where('retained', '=', false)
    .where('created_at', '<', subtractCalendarMonths(now(), 1))
    .union((eb) =>
      eb
        .selectFrom('audit_log')
        .select('tenant_id')
        .where('tenant_id', 'is not', null)
        .where('created_at', '<', new Date(now().getTime() - 30 * DAY_MS)),
    )
    .execute();
  const total: RetentionSweepResult = { deletedScans: 0, deletedShareLinks: 0, deletedAuditEntries: 0 };
  for (const { tenant_id } of tenants) {
    if (!tenant_id) continue;
    try {
      const r = await sweepTenant(db, feed, tenant_id, { principal: SWEEP_TIMER, requestId, now }, false, env);
      total.deletedScans += r.deletedScans;
      total.deletedShareLinks += r.deletedShareLinks;
      total.deletedAuditEntries += r.deletedAuditEntries;
    } catch (error) {
      logger.error(
        { requestId, tenantId: tenant_id, err: (error as Error).message },
        'retention sweep failed for a tenant',
      );
    }
  }
  if (total.deletedScans || total.deletedAuditEntries)
    logger.info({ requestId, ...total, tenants: tenants.length }, 'retention sweep');
  return total;
}
