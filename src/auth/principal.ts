import type { RoleName } from '../db/tables.js';

/** Who is calling: resolved once per request from the presented API key. */
export type Principal =
  | { kind: 'anonymous'; reason: 'missing' | 'invalid' }
  | { kind: 'tenant'; tenantId: string; role: RoleName; keyId: string }
  | { kind: 'platform' };

export const ROLE_RANK: Record<RoleName, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

/** True when the principal may act in `tenantId` with at least `minRole`. */
export function hasTenantRole(principal: Principal, tenantId: string, minRole: RoleName): boolean {
  if (principal.kind === 'platform') return true;
  if (principal.kind !== 'tenant') return false;
  return principal.tenantId === tenantId && ROLE_RANK[principal.role] >= ROLE_RANK[minRole];
}

/** What the audit log records about the actor: never the key itself. */
export function actorOf(principal: Principal): { actor_key_id: string | null; actor_role: string } {
  if (principal.kind === 'tenant') return { actor_key_id: principal.keyId, actor_role: principal.role };
  if (principal.kind === 'platform') return { actor_key_id: null, actor_role: 'PLATFORM_ADMIN' };
  return { actor_key_id: null, actor_role: 'SYSTEM' };
}
