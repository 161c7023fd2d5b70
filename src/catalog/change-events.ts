/**
 * The actions of a tenant's change feed, which are also the event names webhooks subscribe to
 * (`*`: every one). services/change-feed.ts's ChangeAction must list the same names (a type
 * check in services/webhook-outbox.ts fails the build when the two differ).
 */
export const CHANGE_EVENTS = [
  'tenant.create',
  'settings.update',
  'settings.reset',
  'config.update',
  'feature_flag.update',
  'api_key.create',
  'api_key.revoke',
  'share_link.create',
  'share_link.revoke',
  'scan.create',
  'settings.rollback',
  'config.rollback',
  'feature_flags.rollback',
  'feature_flags.import',
  'retention.sweep',
] as const;

/** What `webhooks.endpoints[].events` may name. */
export const WEBHOOK_EVENT_NAMES: readonly string[] = [...CHANGE_EVENTS, '*'];
