import type { Principal } from '../auth/principal.js';
import { digestMatches, hashSecret } from '../auth/secrets.js';
import type { Db } from '../db/connect.js';
import type { ReadCache } from './read-cache.js';

/** Minimum gap between two `last_used_at` writes of one key: a write per request would cost more than it tells. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Whether a key's `last_used_at` is due to be written again. */
function lastUsedDue(lastUsedAt: Date | null, now: Date): boolean {
  return !lastUsedAt || now.getTime() - lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS;
}

function stampLastUsed(db: Db, keyId: string, now: Date): Promise<unknown> {
  return db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', keyId).execute();
}

/**
 * The caller of a request. A key's principal comes from the read cache when it holds it (no
 * database access; its `last_used_at` is still written at most once a minute), else read from
 * the database (and `last_used_at` stamped when due). Unknown and revoked keys
 * are never cached: a revocation drops the key's principal when the change feed announces it.
 */
export function principalOfApiKey(
  db: Db,
  cache: ReadCache | undefined,
  presentedKey: string | undefined,
  platformAdminKey: string | undefined,
  now: Date,
): Principal | Promise<Principal> {
  if (!presentedKey) return { kind: 'anonymous', reason: 'missing' };
  // One digest per request: compared with the platform key's, and looked up as the stored key hash.
  const hash = hashSecret(presentedKey);
  if (platformAdminKey && digestMatches(hash, platformAdminKey)) return { kind: 'platform' };
  const cached = cache?.key(hash);
  // A cached key is answered at once, without an await: the fast read path resolves it on every request.
  if (cached) {
    if (!lastUsedDue(cached.lastUsedAt, now)) return cached.principal;
    return stampLastUsed(db, cached.principal.keyId, now).then(() => {
      cached.lastUsedAt = now;
      return cached.principal;
    });
  }
  return principalFromDatabase(db, cache, hash, now);
}

/** A key's principal read from the database (and cached when the key is valid). */
async function principalFromDatabase(
  db: Db,
  cache: ReadCache | undefined,
  hash: string,
  now: Date,
): Promise<Principal> {
  const ticket = cache?.begin();
  try {
    const row = await db
      .selectFrom('api_keys')
      .select(['id', 'tenant_id', 'role', 'revoked_at', 'last_used_at'])
      .where('key_hash', '=', hash)
      .executeTakeFirst();
    if (!row || row.revoked_at) return { kind: 'anonymous', reason: 'invalid' };
    let lastUsedAt = row.last_used_at;
    if (lastUsedDue(lastUsedAt, now)) {
      await stampLastUsed(db, row.id, now);
      lastUsedAt = now;
    }
    // Shared by every request of the key while cached: frozen.
    const principal = Object.freeze({
      kind: 'tenant',
      tenantId: row.tenant_id,
      role: row.role,
      keyId: row.id,
    } as const);
    if (cache && ticket !== undefined) cache.storeKey(ticket, hash, { principal, lastUsedAt });
    return principal;
  } finally {
    if (ticket !== undefined) cache?.end();
  }
}
