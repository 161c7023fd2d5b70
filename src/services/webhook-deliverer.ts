import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { SecretBox } from '../auth/secret-box.js';
import type { SettingsEnv } from '../catalog/environment.js';
import type { Db } from '../db/connect.js';
import type { WebhookDeliveryRow } from '../db/tables.js';
import { counter } from '../metrics/registry.js';
import type { ChangeFeed } from './change-feed.js';
import { webhookSettingsOf } from './webhook-outbox.js';
import { webhookSignature } from './webhook-signature.js';
import { guardedLookup, isForbiddenAddress, webhookUrlProblem } from './webhook-target.js';

/** Delivery attempts by outcome: delivered, retry (will try again), failed (gave up). */
const deliveryAttempts = counter({
  name: 'gateway_webhook_delivery_attempts_total',
  help: 'Webhook delivery attempts by outcome',
  labelNames: ['outcome'],
});

/** A response body is read up to this much (the rest is not read), and only an excerpt is stored. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
const EXCERPT_CHARS = 200;
/** Rows claimed per query. */
const BATCH = 20;
/** A claimed row is left alone by other deliverers this long past its attempt's timeout. */
const LEASE_MARGIN_MS = 30_000;
/** At most this share of a wait is added at random, so retries of many rows do not align. */
export const JITTER = 0.1;

export interface WebhookDelivererOptions {
  db: Db;
  logger: Logger;
  settingsEnv: SettingsEnv;
  /** Opens the tenants' signing secrets. */
  secrets: SecretBox;
  /** WEBHOOKS_ALLOW_PRIVATE=1: private/loopback targets and plain http allowed. */
  allowPrivate: boolean;
  /** The clock of attempts and schedules; tests move it instead of sleeping. */
  now?: () => Date;
  /** [0, 1): the jitter's draw (default Math.random). */
  random?: () => number;
}

export interface WebhookDeliverer {
  /** Sends every delivery due now (claimed with FOR UPDATE SKIP LOCKED); resolves with how many were attempted. */
  deliverDue(): Promise<number>;
  /** Runs deliverDue every `intervalMs` and soon after each change the feed announces. */
  start(feed: ChangeFeed, intervalMs: number): void;
  /** Stops the timer and waits for a run in flight. */
  stop(): Promise<void>;
}

interface AttemptOutcome {
  ok: boolean;
  status: number | null;
  excerpt: string | null;
}

/**
 * The webhook deliverer. Every gateway process may run one: a due row is claimed in one
 * statement (`FOR UPDATE SKIP LOCKED`, then leased for the attempt's duration), so two
 * deliverers never send the same attempt; a process that dies mid-attempt leaves a lease that
 * expires, and the row is sent again (same `webhook-id`: receivers de-duplicate). Each attempt
 * reads the tenant's settings anew: a changed signing secret, timeout or retry policy applies
 * to later attempts. A failure (non-2xx, timeout, refused target) is retried after
 * `backoff_seconds · 2^(n-1)` (+ at most 10 % jitter) until `max_attempts` retries are spent.
 */
export function createWebhookDeliverer(options: WebhookDelivererOptions): WebhookDeliverer {
  const { db, logger } = options;
  const now = options.now ?? (() => new Date());
  const random = options.random ?? Math.random;
  let running: Promise<number> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;

  const claim = async (): Promise<WebhookDeliveryRow[]> => {
    const at = now();
    const { rows } = await sql<WebhookDeliveryRow>`
      update webhook_deliveries d set leased_until = ${new Date(at.getTime() + 60_000 + LEASE_MARGIN_MS)}, attempts = d.attempts + 1, last_attempt_at = ${at}
      where d.id in (
        select id from webhook_deliveries
        where status = 'pending' and next_attempt_at <= ${at} and (leased_until is null or leased_until < ${at})
        order by next_attempt_at
        limit ${BATCH}
        for update skip locked
      )
      returning d.*`.execute(db);
    return rows;
  };

  const attempt = async (row: WebhookDeliveryRow): Promise<void> => {
    const settings = await webhookSettingsOf(db, row.tenant_id, options.settingsEnv, options.secrets);
    let outcome: AttemptOutcome;
    if (!settings.signingSecret) outcome = { ok: false, status: null, excerpt: 'no signing secret is set' };
    else {
      const problem = await webhookUrlProblem(row.endpoint, options.allowPrivate);
      if (problem) outcome = { ok: false, status: null, excerpt: `refused: url ${problem}` };
      else {
        const timestamp = Math.floor(now().getTime() / 1000);
        const headers = {
          'content-type': 'application/json',
          'user-agent': 'tenant-config-gateway-webhooks',
          'webhook-id': row.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': webhookSignature(settings.signingSecret, row.id, timestamp, row.body),
        };
        outcome = await post(row.endpoint, headers, row.body, settings.timeoutSeconds * 1000, options.allowPrivate);
      }
    }
    const at = now();
    const retriesLeft = row.attempts <= settings.maxAttempts;
    deliveryAttempts.inc({ outcome: outcome.ok ? 'delivered' : retriesLeft ? 'retry' : 'failed' });
    const waitMs = settings.backoffSeconds * 1000 * 2 ** (row.attempts - 1) * (1 + JITTER * random());
    await db
      .updateTable('webhook_deliveries')
      .set({
        status: outcome.ok ? 'delivered' : retriesLeft ? 'pending' : 'failed',
        delivered_at: outcome.ok ? at : null,
        next_attempt_at: outcome.ok || !retriesLeft ? null : new Date(at.getTime() + Math.round(waitMs)),
        leased_until: null,
        last_status: outcome.status,
        last_error: outcome.ok ? null : outcome.excerpt,
      })
      .where('id', '=', row.id)
      .execute();
    if (!outcome.ok)
      logger.warn(
        {
          deliveryId: row.id,
          tenantId: row.tenant_id,
          attempt: row.attempts,
          status: outcome.status,
          gaveUp: !retriesLeft,
        },
        'webhook delivery failed',
      );
  };

  const runOnce = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const rows = await claim();
      if (!rows.length) return total;
      total += rows.length;
      await Promise.all(
        rows.map((row) =>
          attempt(row).catch((error: Error) =>
            logger.error({ deliveryId: row.id, err: error.message }, 'webhook delivery crashed'),
          ),
        ),
      );
    }
  };

  const deliverDue = (): Promise<number> => {
    if (running) {
      again = true;
      return running;
    }
    running = runOnce().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        void deliverDue().catch(() => {});
      }
    });
    return running;
  };

  const kick = () =>
    void deliverDue().catch((error: Error) => logger.error({ err: error.message }, 'webhook deliverer failed'));

  return {
    deliverDue,
    start(feed, intervalMs) {
      timer = setInterval(kick, intervalMs);
      timer.unref();
      unsubscribe = feed.subscribe((event) => {
        if (event.type === 'change') setImmediate(kick);
      });
      kick();
    },
    async stop() {
      clearInterval(timer);
      unsubscribe?.();
      await running?.catch(() => {});
    },
  };
}

/**
 * One POST: no redirects followed (a 3xx is a failure), the connection made only to an address
 * the guard allows (checked on the resolved address itself), the whole attempt bounded by
 * `timeoutMs`, at most MAX_RESPONSE_BYTES of the response read and an excerpt kept.
 */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  allowPrivate: boolean,
): Promise<AttemptOutcome> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is connected to without a lookup: check it here.
    if (isIP(host) && !allowPrivate && isForbiddenAddress(host))
      return resolve({ ok: false, status: null, excerpt: `refused: ${host} is not a public address` });
    let settled = false;
    const done = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(allowPrivate),
        agent: false,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        let received = 0;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received <= MAX_RESPONSE_BYTES) chunks.push(chunk);
          else finish();
        });
        res.on('end', () => finish());
        res.on('error', () => finish());
        const finish = () => {
          const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
          done({ ok: status >= 200 && status < 300, status, excerpt: text.slice(0, EXCERPT_CHARS) || null });
        };
      },
    );
    const timer = setTimeout(
      () => done({ ok: false, status: null, excerpt: `timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
    req.on('error', (error: Error) =>
      done({ ok: false, status: null, excerpt: error.message.slice(0, EXCERPT_CHARS) }),
    );
    req.end(body);
  });
}
