import type { TenantRow } from '../db/tables.js';
import { listFeatureFlags } from './feature-flags.js';
import type { ServiceContext } from './service-context.js';

/** Seed 004's subscription feature flags of a tenant: feature key → in effect (enabled and available for its tier). */
export async function entitlementsOf(ctx: ServiceContext, tenant: TenantRow): Promise<Record<string, boolean>> {
  const flags = await listFeatureFlags(ctx, tenant);
  return Object.fromEntries(flags.map((f) => [f.key, f.enabled]));
}
