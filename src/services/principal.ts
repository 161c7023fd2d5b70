import type { Principal } from '../auth/principal.js';
import { hashSecret, secretsEqual } from '../auth/secrets.js';
import type { Db } from '../db/connect.js';

/** Minimum gap between two `last_used_at` writes of one key: a write per request would cost more than it tells. */
const LAST_USED_RESOLUTION_MS = 60_000;

export async function resolvePrincipal(
  db: Db,
  presentedKey: string | undefined,
  platformAdminKey: string | undefined,
  now: Date,
): Promise<Principal> {
  if (!presentedKey) return { kind: 'anonymous', reason: 'missing' };
  if (platformAdminKey && secretsEqual(presentedKey, platformAdminKey)) return { kind: 'platform' };
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'tenant_id', 'role', 'revoked_at', 'last_used_at'])
    .where('key_hash', '=', hashSecret(presentedKey))
    .executeTakeFirst();
  if (!row || row.revoked_at) return { kind: 'anonymous', reason: 'invalid' };
  if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return { kind: 'tenant', tenantId: row.tenant_id, role: row.role, keyId: row.id };
}
