import type { RoleName } from '../db/tables.js';

/**
 * Who is acting. A request's caller is resolved once from the presented API key (anonymous,
 * a tenant key, or the platform admin); `system` is the process itself, acting on a timer (the
 * retention sweep), never the caller of a request.
 */
export type Principal =
  | { kind: 'anonymous'; reason: 'missing' | 'invalid' }
  | { kind: 'tenant'; tenantId: string; role: RoleName; keyId: string }
  | { kind: 'platform' }
  | { kind: 'system'; task: string };

const ROLE_RANK: Record<RoleName, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

/** True when `role` is `minRole` or above. */
export function hasRole(role: RoleName, minRole: RoleName): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minRole];
}

/** What the audit log records about the actor: never the key itself. */
export function actorOf(principal: Principal): { actor_key_id: string | null; actor_role: string } {
  switch (principal.kind) {
    case 'tenant':
      return { actor_key_id: principal.keyId, actor_role: principal.role };
    case 'platform':
      return { actor_key_id: null, actor_role: 'PLATFORM_ADMIN' };
    case 'system':
      return { actor_key_id: null, actor_role: 'SYSTEM' };
    case 'anonymous':
      // No write is open to a caller without a key; were one to record, it would say so.
      return { actor_key_id: null, actor_role: 'ANONYMOUS' };
  }
}
