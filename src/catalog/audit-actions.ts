import { CHANGE_EVENTS } from './change-events.js';

/**
 * Every action an audit entry records: the changes of a tenant (also its change-feed and webhook
 * event names) and the writes that change no tenant document. services/audit.ts takes only these,
 * so an action written anywhere is listed here, and the audit-log filters can refuse a name that
 * no entry can carry.
 */
export const AUDIT_ACTIONS = [...CHANGE_EVENTS, 'webhook.redeliver'] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(name: string): name is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(name);
}
