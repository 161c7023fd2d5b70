import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { SecretBox } from '../auth/secret-box.js';
import { entryAt } from '../catalog/catalog.js';
import type { CHANGE_EVENTS } from '../catalog/change-events.js';
import type { SettingsEnv } from '../catalog/environment.js';
import type { DbOrTrx } from '../db/connect.js';
import type { Database } from '../db/tables.js';
import type { ChangeAction, TenantChange } from './change-feed.js';
import { resolveSettings } from './setting-resolution.js';
import { loadSettingRows } from './setting-values.js';

// The catalog's webhook event names and the feed's actions are one list: this fails to compile
// when either gains a name the other lacks.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const eventsMatchActions: Same<(typeof CHANGE_EVENTS)[number], ChangeAction> = true;
void eventsMatchActions;

const ENTRIES = {
  enabled: entryAt('admin', 'webhooks.enabled'),
  endpoints: entryAt('admin', 'webhooks.endpoints'),
  timeoutSeconds: entryAt('admin', 'webhooks.timeout_seconds'),
  maxAttempts: entryAt('admin', 'webhooks.retry.max_attempts'),
  backoffSeconds: entryAt('admin', 'webhooks.retry.backoff_seconds'),
  signingSecret: entryAt('admin', 'webhooks.signing_secret'),
};

export interface WebhookEndpoint {
  url: string;
  events: string[];
}

export interface WebhookSettings {
  enabled: boolean;
  endpoints: WebhookEndpoint[];
  timeoutSeconds: number;
  maxAttempts: number;
  backoffSeconds: number;
  /** The signing secret's plaintext (only when a secret box is given), or whether one is set. */
  signingSecret: string | null;
  hasSigningSecret: boolean;
}

/**
 * A tenant's webhook settings as resolved now (stored > env > default). The signing secret is
 * opened only when `secrets` is passed (the deliverer); the outbox needs only to know it is set.
 */
export async function webhookSettingsOf(
  db: DbOrTrx,
  tenantId: string,
  env: SettingsEnv,
  secrets?: SecretBox,
): Promise<WebhookSettings> {
  const rows = await loadSettingRows(db, [tenantId], ['admin.webhooks.', ENTRIES.signingSecret.storagePath]);
  const resolution = resolveSettings({ industry: null }, rows, env);
  const value = (entry: (typeof ENTRIES)[keyof typeof ENTRIES]) => resolution.valueOf(entry).value;
  const secretRow = resolution.storedRow(ENTRIES.signingSecret);
  const encrypted = secretRow?.encrypted_value ?? null;
  return {
    enabled: value(ENTRIES.enabled) === true,
    endpoints: (value(ENTRIES.endpoints) as WebhookEndpoint[] | null) ?? [],
    timeoutSeconds: value(ENTRIES.timeoutSeconds) as number,
    maxAttempts: value(ENTRIES.maxAttempts) as number,
    backoffSeconds: value(ENTRIES.backoffSeconds) as number,
    hasSigningSecret: encrypted !== null,
    signingSecret:
      encrypted && secrets
        ? secrets.open(encrypted, { tenantId, storagePath: ENTRIES.signingSecret.storagePath })
        : null,
  };
}

/** The JSON a delivery POSTs (Standard Webhooks' `{ type, timestamp, data }` shape, plus ids). */
export function webhookBodyOf(id: string, change: TenantChange): string {
  return JSON.stringify({
    id,
    type: change.action,
    tenant_id: change.tenantId,
    created_at: change.committedAt.toISOString(),
    data: {
      cursor: String(change.cursor),
      document: change.document,
      version: change.version,
      paths: change.paths,
      actor: { key_id: change.actorKeyId, role: change.actorRole },
    },
  });
}

/**
 * The outbox: in the change's own transaction, one delivery row per endpoint subscribed to the
 * change's action (or `*`). Nothing when webhooks are disabled, no endpoint subscribes, or no
 * signing secret is set (a webhook is never sent unsigned).
 */
export function webhookOutbox(env: SettingsEnv) {
  return async (trx: Transaction<Database>, change: TenantChange): Promise<void> => {
    const settings = await webhookSettingsOf(trx, change.tenantId, env);
    if (!settings.enabled || !settings.hasSigningSecret) return;
    const endpoints = settings.endpoints.filter((e) => e.events.includes('*') || e.events.includes(change.action));
    if (!endpoints.length) return;
    await trx
      .insertInto('webhook_deliveries')
      .values(
        endpoints.map((endpoint) => {
          const id = randomUUID();
          return {
            id,
            tenant_id: change.tenantId,
            cursor: change.cursor,
            event: change.action,
            endpoint: endpoint.url,
            body: webhookBodyOf(id, change),
            next_attempt_at: change.committedAt,
            created_at: change.committedAt,
          };
        }),
      )
      .execute();
  };
}
