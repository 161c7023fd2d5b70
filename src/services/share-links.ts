import { hashSecret, randomToken } from '../auth/secrets.js';
import { isUuid } from '../catalog/formats.js';
import type { ScanRow, ShareLinkRow } from '../db/tables.js';
import { badInput, DomainError, type FieldIssue, notFound } from '../errors/domain-error.js';
import { recordAudit } from './audit.js';
import { recordChange } from './change-feed.js';
import { getScan } from './scans.js';
import type { ServiceContext } from './service-context.js';
import { buildSharedScanView, type SharedScanView } from './shared-scan-view.js';
import { requireSameTenant } from './tenant-access.js';

export const SHARE_SCOPES = ['report', 'bundle', 'passport'] as const;
export type ShareScope = (typeof SHARE_SCOPES)[number];
export const DEFAULT_SHARE_SCOPE: ShareScope = 'passport';

export const DEFAULT_EXPIRES_HOURS = 168;
export const MIN_EXPIRES_HOURS = 1;
export const MAX_EXPIRES_HOURS = 720;
export const MAX_SHARE_LABEL_LENGTH = 200;
const HOUR_MS = 3_600_000;

export interface CreateShareLinkInput {
  expiresHours?: number | null;
  label?: string | null;
  scope?: ShareScope | null;
}

export interface CreatedShareLink {
  url: string;
  /** The capability: returned here once, stored only as its SHA-256. */
  token: string;
  shareLink: ShareLinkRow;
}

/**
 * One message for every token that does not open a view (unknown, expired, revoked, tampered),
 * so a caller cannot tell which it was.
 */
export const SHARE_LINK_NOT_FOUND_MESSAGE = 'Share link not found or expired';

function validateShareLinkInput(input: CreateShareLinkInput): {
  expiresHours: number;
  label: string | null;
  scope: ShareScope;
} {
  const issues: FieldIssue[] = [];
  const expiresHours = input.expiresHours ?? DEFAULT_EXPIRES_HOURS;
  if (!Number.isInteger(expiresHours) || expiresHours < MIN_EXPIRES_HOURS || expiresHours > MAX_EXPIRES_HOURS) {
    issues.push({
      path: 'expiresHours',
      message: `must be an integer between ${MIN_EXPIRES_HOURS} and ${MAX_EXPIRES_HOURS}`,
    });
  }
  const scope = input.scope ?? DEFAULT_SHARE_SCOPE;
  if (!SHARE_SCOPES.includes(scope))
    issues.push({ path: 'scope', message: `must be one of ${SHARE_SCOPES.join(', ')}` });
  const label = input.label?.trim() || null;
  if (label && label.length > MAX_SHARE_LABEL_LENGTH)
    issues.push({ path: 'label', message: `must be at most ${MAX_SHARE_LABEL_LENGTH} characters` });
  if (issues.length) throw badInput(`${issues[0]!.path} ${issues[0]!.message}`, issues);
  return { expiresHours, label, scope };
}

/** Where the public view lives. */
function shareUrl(ctx: ServiceContext, token: string): string {
  return `${ctx.shareBaseUrl}/share/${token}`;
}

/** Creates a link to one scan of the caller's tenant (any tenant's for the platform admin). */
export async function createShareLink(
  ctx: ServiceContext,
  scanId: string,
  input: CreateShareLinkInput = {},
): Promise<CreatedShareLink> {
  const scan = await getScan(ctx, scanId);
  const { expiresHours, label, scope } = validateShareLinkInput(input);
  const token = randomToken(32);
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + expiresHours * HOUR_MS);
  const p = ctx.principal;
  const shareLink = await ctx.changeFeed.transaction(ctx.db, async (trx) => {
    const row = await trx
      .insertInto('share_links')
      .values({
        tenant_id: scan.tenant_id,
        scan_id: scan.id,
        token_hash: hashSecret(token),
        label,
        scope,
        expires_at: expiresAt,
        created_at: now,
        created_by_key_id: p.kind === 'tenant' ? p.keyId : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // Never the token (nor its hash) in the audit log.
    await recordAudit(trx, ctx, {
      tenantId: scan.tenant_id,
      action: 'share_link.create',
      target: row.id,
      changes: { scanId: scan.id, scope, label, expiresAt: expiresAt.toISOString() },
    });
    await recordChange(trx, ctx, { tenantId: scan.tenant_id, action: 'share_link.create', target: row.id });
    return row;
  });
  return { url: shareUrl(ctx, token), token, shareLink };
}

/**
 * Ends a link of the caller's tenant at once. Idempotent: revoking a revoked link
 * returns it unchanged and writes no second audit entry. Another tenant's link is NOT_FOUND.
 */
export async function revokeShareLink(ctx: ServiceContext, id: string): Promise<ShareLinkRow> {
  const p = ctx.principal;
  if (p.kind === 'anonymous' || !isUuid(id)) throw notFound('Share link');
  return ctx.changeFeed.transaction(ctx.db, async (trx) => {
    let query = trx.selectFrom('share_links').selectAll().where('id', '=', id).forUpdate();
    if (p.kind === 'tenant') query = query.where('tenant_id', '=', p.tenantId);
    const existing = await query.executeTakeFirst();
    if (!existing) throw notFound('Share link');
    if (existing.revoked_at) return existing;
    const row = await trx
      .updateTable('share_links')
      .set({ revoked_at: ctx.now() })
      .where('id', '=', id)
      .where('tenant_id', '=', existing.tenant_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx, {
      tenantId: row.tenant_id,
      action: 'share_link.revoke',
      target: row.id,
      changes: { scanId: row.scan_id, scope: row.scope, label: row.label },
    });
    await recordChange(trx, ctx, { tenantId: row.tenant_id, action: 'share_link.revoke', target: row.id });
    return row;
  });
}

/** Whether a link opens its view now. */
export function isShareLinkActive(link: Pick<ShareLinkRow, 'revoked_at' | 'expires_at'>, now: Date): boolean {
  return !link.revoked_at && link.expires_at.getTime() > now.getTime();
}

/** A base64url token of 32 bytes is 43 characters; anything far longer is not worth hashing. */
const MAX_TOKEN_LENGTH = 256;

/**
 * The public view behind a token (no key needed). The token is hashed and looked up; only an
 * unrevoked, unexpired link opens its scan, shaped by the link's scope.
 */
export async function viewSharedScan(ctx: ServiceContext, token: string): Promise<SharedScanView> {
  const notOpen = () => new DomainError('NOT_FOUND', SHARE_LINK_NOT_FOUND_MESSAGE);
  if (!token || token.length > MAX_TOKEN_LENGTH) throw notOpen();
  const now = ctx.now();
  const found = await ctx.db
    .selectFrom('share_links as l')
    .innerJoin('scans as s', (j) => j.onRef('s.id', '=', 'l.scan_id').onRef('s.tenant_id', '=', 'l.tenant_id'))
    .innerJoin('tenants as t', 't.id', 'l.tenant_id')
    .select([
      'l.label as link_label',
      'l.scope as link_scope',
      'l.expires_at as link_expires_at',
      's.id as scan_id',
      's.tenant_id as tenant_id',
      's.target as scan_target',
      's.status as scan_status',
      's.summary as scan_summary',
      's.report as scan_report',
      's.retained as scan_retained',
      's.created_at as scan_created_at',
      't.name as tenant_name',
    ])
    .where('l.token_hash', '=', hashSecret(token))
    .where('l.revoked_at', 'is', null)
    .where('l.expires_at', '>', now)
    .executeTakeFirst();
  if (!found) throw notOpen();
  return buildSharedScanView(
    ctx.db,
    {
      link: { label: found.link_label, scope: found.link_scope, expiresAt: found.link_expires_at },
      scan: {
        id: found.scan_id,
        tenantId: found.tenant_id,
        target: found.scan_target,
        status: found.scan_status,
        summary: found.scan_summary,
        report: found.scan_report,
        retained: found.scan_retained,
        createdAt: found.scan_created_at,
      },
      tenant: { name: found.tenant_name },
    },
    ctx.settingsEnv,
  );
}

/** A scan's links, without tokens: the scan's own tenant's links only (its tenant id in the SQL). */
export function shareLinksOfScan(
  ctx: ServiceContext,
  scan: Pick<ScanRow, 'id' | 'tenant_id'>,
): Promise<ShareLinkRow[]> {
  requireSameTenant(ctx, scan.tenant_id);
  return ctx.loaders.shareLinksByScan.load({ tenantId: scan.tenant_id, scanId: scan.id });
}
