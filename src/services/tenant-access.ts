import { isUuid } from '../catalog/formats.js';
import type { TenantRow } from '../db/tables.js';
import { badInput, forbidden, notFound, unauthenticated } from '../errors/domain-error.js';
import type { ServiceContext } from './service-context.js';

/**
 * A second line behind `requireTenant` for code handed a record of some tenant by its parent
 * (nested fields such as Tenant.settings, Tenant.apiKeys, Scan.shareLinks): a tenant key may read
 * only its own tenant's records. Today every such parent was itself loaded through a tenant-scoped
 * check; this keeps a future root field or payload that returns another tenant's row from
 * exposing what hangs below it. No database access.
 */
export function requireSameTenant(ctx: Pick<ServiceContext, 'principal'>, tenantId: string): void {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw unauthenticated();
  if (principal.kind === 'tenant' && principal.tenantId !== tenantId)
    throw forbidden('This key cannot access that tenant');
}

/**
 * The tenant a call acts on: record ownership only (the caller's role was checked by the field's
 * scope). A tenant key may name only its own tenant (or none): any other id is FORBIDDEN,
 * whether it exists or not, so ids cannot be probed. The platform admin (and the system) must
 * name one and gets BAD_USER_INPUT for a malformed id, NOT_FOUND for an unknown one.
 */
export async function requireTenant(ctx: ServiceContext, tenantId: string | null | undefined): Promise<TenantRow> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') throw unauthenticated();
  let id: string;
  if (principal.kind === 'tenant') {
    if (tenantId != null && tenantId !== principal.tenantId) throw forbidden('This key cannot access that tenant');
    id = principal.tenantId;
  } else {
    if (tenantId == null)
      throw badInput('tenantId is required for the platform admin', [{ path: 'tenantId', message: 'required' }]);
    if (!isUuid(tenantId)) throw badInput('tenantId must be a UUID', [{ path: 'tenantId', message: 'must be a UUID' }]);
    id = tenantId;
  }
  const tenant = await ctx.loaders.tenant.load(id);
  if (!tenant) throw notFound('Tenant');
  return tenant;
}
