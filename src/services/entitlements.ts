import type { TenantRow } from '../db/tables.js';
import type { ServiceContext } from './service-context.js';

/**
 * Subscription feature flags of a tenant: feature key → enabled.
 * PLACEHOLDER until the feature catalog lands (issue 4): no features known yet.
 */
export async function entitlementsOf(_ctx: ServiceContext, _tenant: TenantRow): Promise<Record<string, boolean>> {
  return {};
}
