import { forbidden } from '../../errors/domain-error.js';

/** The `data` shape of an operation that reads the caller's tenant through `me { tenant { … } }`. */
export type CallerTenantData<T> = { me: { tenant: T | null } };

/**
 * `/tenant/*` and `/api/admin/*` act on the tenant of the key. The platform admin has none (its
 * `me.tenant` is null), so those paths answer it 403; it names tenants on `/api/v1/tenants/{id}`
 * or in GraphQL instead.
 */
export function callerTenant<T>(data: CallerTenantData<T>): T {
  if (!data.me.tenant) throw forbidden('This path acts on the tenant of the key: use a tenant API key');
  return data.me.tenant;
}
