import type { QueryParamSpec, RouteRequest } from '../route.js';

/**
 * `/tenant/*` and `/api/admin/*` act on the tenant of the key. The platform admin has no tenant
 * of its own, so on these paths it names one with the `tenant_id` query parameter, which goes on
 * to GraphQL as `tenantId` (reads through `currentTenant(tenantId:)`, writes as the mutation's
 * `tenantId`). GraphQL's `requireTenant` makes every decision: the platform admin without it
 * gets BAD_USER_INPUT (422 on `/tenant/*`, 400 on `/api/admin/*`, the message naming
 * `tenant_id`); a tenant key may omit it or name its own tenant, any other id is 403.
 */
export const TENANT_ID_QUERY: Record<string, QueryParamSpec> = {
  tenant_id: {
    type: 'string',
    variable: 'tenantId',
    description:
      "Platform admin: the tenant to act on (required for it). A tenant key may omit it or name its own tenant; another tenant's id is 403.",
  },
};

/** The `tenantId` variable of a caller-tenant route. */
export function tenantIdOf(req: RouteRequest): { tenantId: string | number | undefined } {
  return { tenantId: req.query.tenant_id };
}
