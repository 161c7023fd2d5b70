import { entryAt } from '../catalog/catalog.js';
import { validateValue } from '../catalog/validate.js';
import type { TenantRow, TierName } from '../db/tables.js';
import { badInput } from '../errors/domain-error.js';
import { recordAudit } from './audit.js';
import { recordChange } from './change-feed.js';
import {
  createdAtIdKey,
  decodeCreatedAtIdCursor,
  type PageArgs,
  pageSize,
  pastCreatedAtId,
  toPage,
} from './pagination.js';
import type { ServiceContext } from './service-context.js';

export interface CreateTenantInput {
  name: string;
  tier?: TierName | null;
  industry?: string | null;
}

const MAX_NAME_LENGTH = 200;

export async function createTenant(ctx: ServiceContext, input: CreateTenantInput): Promise<TenantRow> {
  const name = input.name.trim();
  if (!name || name.length > MAX_NAME_LENGTH) {
    throw badInput(`name must be 1-${MAX_NAME_LENGTH} characters`, [
      { path: 'name', message: `must be 1-${MAX_NAME_LENGTH} characters` },
    ]);
  }
  // The same rule as every later write of settings.industry: the catalog's.
  const industry = input.industry ?? null;
  const issues = validateValue(entryAt('settings', 'industry').spec, industry, 'industry');
  if (issues.length) throw badInput(issues[0].message, issues);
  return ctx.changeFeed.transaction(ctx.db, async (trx) => {
    const tenant = await trx
      .insertInto('tenants')
      .values({ name, tier: input.tier ?? 'BASIC', industry, created_at: ctx.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, ctx, {
      tenantId: tenant.id,
      action: 'tenant.create',
      target: tenant.id,
      changes: { name, tier: tenant.tier, industry: tenant.industry },
    });
    await recordChange(trx, ctx, { tenantId: tenant.id, action: 'tenant.create', target: tenant.id });
    return tenant;
  });
}

/** Every tenant, oldest first (the field is the platform admin's). */
export async function listTenants(ctx: ServiceContext, args: PageArgs) {
  const size = pageSize(args.first);
  const after = decodeCreatedAtIdCursor(args.after);
  let query = ctx.db
    .selectFrom('tenants')
    .selectAll()
    .orderBy('created_at')
    .orderBy('id')
    .limit(size + 1);
  if (after) query = query.where(pastCreatedAtId(after, 'oldest first'));
  const rows = await query.execute();
  // Fields below each tenant that check access again (e.g. Tenant.scans → requireTenant) find it here.
  for (const row of rows) ctx.loaders.tenant.prime(row.id, row);
  return toPage(rows, size, createdAtIdKey);
}
