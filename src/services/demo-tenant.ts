import { sql } from 'kysely';
import { actorOf } from '../auth/principal.js';
import { generateApiKey } from '../auth/secrets.js';
import type { Db } from '../db/connect.js';
import type { RoleName } from '../db/tables.js';

export interface DemoTenant {
  tenantId: string;
  keys: Record<RoleName, string>;
}

/**
 * On the first start of an empty store, one demo tenant with a viewer, an operator and an
 * admin key, so a fresh machine has something to call. Returns null when tenants exist.
 */
export async function seedDemoTenantIfEmpty(db: Db): Promise<DemoTenant | null> {
  // Every start but the first finds a tenant: one read, no transaction or lock.
  if (await db.selectFrom('tenants').select('id').limit(1).executeTakeFirst()) return null;
  return db.transaction().execute(async (trx) => {
    // Serialises two processes starting together on one server.
    await sql`select pg_advisory_xact_lock(4242)`.execute(trx);
    const existing = await trx.selectFrom('tenants').select('id').limit(1).executeTakeFirst();
    if (existing) return null;
    const tenant = await trx
      .insertInto('tenants')
      .values({ name: 'Demo Tenant', tier: 'PRO', industry: 'financial' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const keys = {} as Record<RoleName, string>;
    for (const role of ['VIEWER', 'OPERATOR', 'ADMIN'] as const) {
      const { key, prefix, hash } = generateApiKey();
      await trx
        .insertInto('api_keys')
        .values({ tenant_id: tenant.id, role, prefix, key_hash: hash, label: `demo ${role.toLowerCase()}` })
        .execute();
      keys[role] = key;
    }
    await trx
      .insertInto('audit_log')
      .values({
        tenant_id: tenant.id,
        ...actorOf({ kind: 'system', task: 'demo-tenant' }),
        action: 'tenant.create',
        target: tenant.id,
        changes: JSON.stringify({ demo: true }),
      })
      .execute();
    return { tenantId: tenant.id, keys };
  });
}
