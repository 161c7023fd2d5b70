import { sql } from 'kysely';
import type { Principal } from '../auth/principal.js';
import { hashSecret, secretsEqual } from '../auth/secrets.js';
import type { Db } from '../db/connect.js';
import type { RoleName } from '../db/tables.js';
import type { ReadCache } from './read-cache.js';

/** Minimum gap between two `last_used_at` writes of one key: a write per request would cost more than it tells. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The caller of a request. A key's principal comes from the read cache when it holds it (no
 * database access; its `last_used_at` is still written at most once a minute), else from one
 * statement that reads the key and, when due, stamps `last_used_at`. Unknown and revoked keys
 * are never cached: a revocation drops the key's principal when the change feed announces it.
 */
export async function resolvePrincipal(
  db: Db,
  cache: ReadCache | undefined,
  presentedKey: string | undefined,
  platformAdminKey: string | undefined,
  now: Date,
): Promise<Principal> {
  if (!presentedKey) return { kind: 'anonymous', reason: 'missing' };
  if (platformAdminKey && secretsEqual(presentedKey, platformAdminKey)) return { kind: 'platform' };
  const hash = hashSecret(presentedKey);
  const cached = cache?.key(hash);
  if (cached) {
    if (!cached.lastUsedAt || now.getTime() - cached.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', cached.principal.keyId).execute();
      cached.lastUsedAt = now;
    }
    return cached.principal;
  }
  const ticket = cache?.begin();
  try {
    const cutoff = new Date(now.getTime() - LAST_USED_RESOLUTION_MS);
    // One statement: the key as it was, and the last_used_at stamp when due (of a live key only).
    const { rows } = await sql<{ id: string; tenant_id: string; role: RoleName; revoked_at: Date | null; last_used_at: Date | null }>`
      with found as (
        select id, tenant_id, role, revoked_at, last_used_at from api_keys where key_hash = ${hash}
      ), stamped as (
        update api_keys set last_used_at = ${now} where id in (
          select id from found where revoked_at is null and (last_used_at is null or last_used_at < ${cutoff})
        ) returning id
      )
      select found.id, found.tenant_id, found.role, found.revoked_at,
        case when exists (select 1 from stamped) then ${now}::timestamptz else found.last_used_at end as last_used_at
      from found`.execute(db);
    const row = rows[0];
    if (!row || row.revoked_at) return { kind: 'anonymous', reason: 'invalid' };
    // Shared by every request of the key while cached: frozen.
    const principal = Object.freeze({ kind: 'tenant', tenantId: row.tenant_id, role: row.role, keyId: row.id } as const);
    if (cache && ticket !== undefined) cache.storeKey(ticket, hash, { principal, lastUsedAt: row.last_used_at ? new Date(row.last_used_at) : null });
    return principal;
  } finally {
    if (ticket !== undefined) cache?.end();
  }
}
