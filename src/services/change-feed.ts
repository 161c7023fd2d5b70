import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { actorOf, type Principal } from '../auth/principal.js';
import type { Db, DbOrTrx } from '../db/connect.js';
import type { Database } from '../db/tables.js';
import { type ChangeListener, listenForChanges } from './change-feed-listener.js';

/**
 * The change feed: every committed change of a tenant, in order, to everything that must react
 * (the read cache, the `tenantChanges` stream, webhooks, OFREP events). DESIGN.md "Reads, writes
 * and the change feed".
 *
 * Writing (services):
 *   await feed.transaction(ctx.db, async (trx) => {
 *     …the write…
 *     await recordChange(trx, ctx, { tenantId, action: 'config.update', document: 'TENANT_CONFIG', version, paths });
 *   });
 * `recordChange` stores one `tenant_changes` row in the write's own transaction with the tenant's
 * next cursor (bumped under the tenant row's lock, so cursors are strictly increasing, gap-free
 * and in commit order per tenant) and issues a NOTIFY, which Postgres delivers only on commit.
 * `feed.transaction` announces the recorded changes in this process once the transaction has
 * committed; a rolled-back transaction announces nothing (and its NOTIFY is never delivered).
 *
 * Reading (consumers):
 *   const stop = feed.subscribe((event) => {
 *     if (event.type === 'change') …event.change (a TenantChange)…
 *     else …event.type === 'resync': drop what you derived, catch up with changesAfter()…
 *   });
 * - `change`: one committed change, at most once per process (a change made here is announced
 *   at once, after its commit, and its NOTIFY echo is dropped). A tenant's changes come in cursor
 *   order as a rule, but two commits finishing together (or a notification overtaken by a local
 *   commit) can arrive swapped: a consumer that needs strict order holds back a change whose
 *   cursor is not the previous one + 1 (cursors are gap-free) or reads changesAfter.
 * - `resync`: the listener lost its connection (`live` false: changes of other processes may be
 *   missed from now on) or regained it (`live` true: catch up from the table by cursor). A
 *   notification is a hint; the table is the truth.
 * - `feed.live`: true while every committed change is being heard (always on the embedded store,
 *   which one process owns; on a server, while the LISTEN connection is up).
 * - `changesAfter(db, tenantId, cursor)`: the stored changes after a cursor, oldest first.
 * Listeners run synchronously, right after commit; they must not throw (errors are logged).
 */

type ChangeDocument = 'SETTINGS' | 'TENANT_CONFIG' | 'FEATURE_FLAGS';

/** The audit actions that are changes of a tenant (the event names of webhooks and streams). */
export type ChangeAction =
  | 'tenant.create'
  | 'settings.update'
  | 'settings.reset'
  | 'config.update'
  | 'feature_flag.update'
  | 'api_key.create'
  | 'api_key.revoke'
  | 'share_link.create'
  | 'share_link.revoke'
  | 'scan.create'
  | 'settings.rollback'
  | 'config.rollback'
  | 'feature_flags.rollback'
  | 'feature_flags.import'
  | 'retention.sweep';

/** One committed change. Paths name what changed, never a value: secrets never appear. */
export interface TenantChange {
  tenantId: string;
  /** Strictly increasing, gap-free, per tenant (1, 2, 3…). */
  cursor: number;
  action: ChangeAction;
  document: ChangeDocument | null;
  /** The document's version after the change (null outside versioned documents). */
  version: number | null;
  /** Storage paths of settings (`config.performance.cache_size_mb`), or flag keys. */
  paths: string[];
  /** The record changed, when not a document (an API key id, a scan id, a share link id). */
  target: string | null;
  actorKeyId: string | null;
  actorRole: string;
  requestId: string | null;
  committedAt: Date;
}

export type FeedEvent = { type: 'change'; change: TenantChange } | { type: 'resync'; live: boolean };

export interface ChangeFeed {
  /** Runs `work` in one transaction and announces the changes recorded in it after it commits. */
  transaction<T>(db: Db, work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Calls `listener` for every event until the returned function is called. */
  subscribe(listener: (event: FeedEvent) => void): () => void;
  /** True while this process hears every committed change (see above). */
  readonly live: boolean;
  /** Resolves once `live` (at once on the embedded store); for tests and start-up. */
  whenLive(): Promise<void>;
  /** Stops listening; the app's dispose calls it. */
  close(): Promise<void>;
}

export interface ChangeFeedOptions {
  logger: Logger;
  /** A Postgres server: changes of other processes are heard through LISTEN on it. */
  databaseUrl?: string;
  /** The LISTEN connection's application_name (default `tcg-change-feed/<pid>`). */
  applicationName?: string;
  /**
   * Runs inside the write's transaction right after each change is recorded (the webhook outbox
   * queues its deliveries here, so they commit or roll back with the change). Use only `trx`.
   */
  onRecorded?: (trx: Transaction<Database>, change: TenantChange) => Promise<void>;
}

/** The NOTIFY channel every gateway process listens on. */
const CHANGE_CHANNEL = 'tenant_changes';

/** What `recordChange` is told; the actor, request id and time come from the caller's context. */
export interface NewChange {
  tenantId: string;
  action: ChangeAction;
  document?: ChangeDocument | null;
  version?: number | null;
  paths?: readonly string[];
  target?: string | null;
}

type Announce = (change: TenantChange) => void;
const pendingOf = new WeakMap<Transaction<Database>, TenantChange[]>();
const onRecordedOf = new WeakMap<Transaction<Database>, NonNullable<ChangeFeedOptions['onRecorded']>>();

/**
 * Stores one change in the write's own transaction (opened by `feed.transaction`) and queues its
 * announcement for after the commit. One statement: bump the tenant's cursor (under its row
 * lock), insert the row, NOTIFY (delivered by Postgres on commit only; a hint without paths when
 * the full change would not fit a notification's 8000 bytes).
 */
export async function recordChange(
  trx: Transaction<Database>,
  actor: { principal: Principal; requestId: string | null; now: () => Date },
  change: NewChange,
): Promise<TenantChange> {
  const pending = pendingOf.get(trx);
  if (!pending) throw new Error('recordChange needs a transaction opened by ChangeFeed.transaction');
  const { actor_key_id, actor_role } = actorOf(actor.principal);
  const { rows } = await sql<ChangeRow>`
    with bumped as (
      update tenants set change_cursor = change_cursor + 1 where id = ${change.tenantId} returning change_cursor
    ), inserted as (
      insert into tenant_changes (tenant_id, "cursor", action, document, version, paths, target, actor_key_id, actor_role, request_id, committed_at)
      select ${change.tenantId}::uuid, change_cursor, ${change.action}::text, ${change.document ?? null}::text, ${change.version ?? null}::integer,
             ${JSON.stringify(change.paths ?? [])}::jsonb, ${change.target ?? null}::text, ${actor_key_id}::uuid, ${actor_role}::text,
             ${actor.requestId}::text, ${actor.now()}::timestamptz
      from bumped
      returning *
    ), message as (
      select i.*, json_build_object('tenantId', i.tenant_id, 'cursor', i."cursor", 'action', i.action, 'document', i.document,
        'version', i.version, 'paths', i.paths, 'target', i.target, 'actorKeyId', i.actor_key_id, 'actorRole', i.actor_role,
        'requestId', i.request_id, 'committedAt', i.committed_at)::text as payload
      from inserted i
    )
    select m.tenant_id, m."cursor", m.action, m.document, m.version, m.paths, m.target, m.actor_key_id, m.actor_role, m.request_id, m.committed_at,
      pg_notify(${CHANGE_CHANNEL}, case when octet_length(m.payload) < 7900 then m.payload
        else json_build_object('tenantId', m.tenant_id, 'cursor', m."cursor", 'partial', true)::text end) as notified
    from message m`.execute(trx);
  if (!rows[0]) throw new Error(`recordChange: no tenant ${change.tenantId}`);
  const recorded = changeOfRow(rows[0]);
  pending.push(recorded);
  await onRecordedOf.get(trx)?.(trx, recorded);
  return recorded;
}

/** A tenant's stored changes after `cursor` (0: from the start), oldest first, at most `limit`. */
export async function changesAfter(
  db: DbOrTrx,
  tenantId: string,
  cursor: number,
  limit = 1000,
): Promise<TenantChange[]> {
  const rows = await db
    .selectFrom('tenant_changes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('cursor', '>', cursor as never)
    .orderBy('cursor')
    .limit(limit)
    .execute();
  return rows.map((r) => changeOfRow(r as unknown as ChangeRow));
}

interface ChangeRow {
  tenant_id: string;
  cursor: string | number;
  action: string;
  document: ChangeDocument | null;
  version: number | null;
  paths: string[];
  target: string | null;
  actor_key_id: string | null;
  actor_role: string;
  request_id: string | null;
  committed_at: Date | string;
}

function changeOfRow(row: ChangeRow): TenantChange {
  return {
    tenantId: row.tenant_id,
    cursor: Number(row.cursor),
    action: row.action as ChangeAction,
    document: row.document,
    version: row.version,
    paths: row.paths,
    target: row.target,
    actorKeyId: row.actor_key_id,
    actorRole: row.actor_role,
    requestId: row.request_id,
    committedAt: new Date(row.committed_at),
  };
}

/** A NOTIFY payload as sent by recordChange: the full change, or `partial` (tenant and cursor only). */
function changeOfPayload(payload: string): { change: TenantChange; partial: boolean } | null {
  try {
    const p = JSON.parse(payload) as Record<string, unknown>;
    if (typeof p.tenantId !== 'string' || p.cursor == null) return null;
    if (p.partial) return { change: { tenantId: p.tenantId, cursor: Number(p.cursor) } as TenantChange, partial: true };
    return {
      change: changeOfRow({
        tenant_id: p.tenantId,
        cursor: p.cursor as number,
        action: p.action as string,
        document: p.document as ChangeDocument | null,
        version: p.version as number | null,
        paths: p.paths as string[],
        target: p.target as string | null,
        actor_key_id: p.actorKeyId as string | null,
        actor_role: p.actorRole as string,
        request_id: p.requestId as string | null,
        committed_at: p.committedAt as string,
      }),
      partial: false,
    };
  } catch {
    return null;
  }
}

/**
 * The process's feed. On a server (`databaseUrl`) it keeps one LISTEN connection (reconnecting
 * on loss, then announcing `resync`); without one, the process owns the store and hears every
 * change itself.
 */
export function openChangeFeed(db: Db, options: ChangeFeedOptions): ChangeFeed {
  const { logger } = options;
  const listeners = new Set<(event: FeedEvent) => void>();
  /** Recently announced changes (tenant:cursor), so the NOTIFY echo of a change made here is not announced twice. */
  const announced = new Set<string>();
  let listener: ChangeListener | undefined;

  const emit = (event: FeedEvent) => {
    for (const l of listeners) {
      try {
        l(event);
      } catch (error) {
        logger.error({ err: (error as Error).message }, 'change feed listener failed');
      }
    }
  };

  const announce: Announce = (change) => {
    const id = `${change.tenantId}:${change.cursor}`;
    if (announced.has(id)) return;
    announced.add(id);
    // An echo follows its change within milliseconds: the last 10,000 are plenty to recognise it.
    if (announced.size > 10_000) announced.delete(announced.values().next().value!);
    emit({ type: 'change', change });
  };

  if (options.databaseUrl) {
    listener = listenForChanges({
      databaseUrl: options.databaseUrl,
      channel: CHANGE_CHANNEL,
      applicationName: options.applicationName ?? `tcg-change-feed/${process.pid}`,
      logger,
      onNotification: (payload) => {
        const parsed = changeOfPayload(payload);
        if (!parsed) return logger.warn('change feed: unreadable notification ignored');
        if (!parsed.partial) return announce(parsed.change);
        // Too long for a notification: read it from the table (the truth).
        const { tenantId, cursor } = parsed.change;
        changesAfter(db, tenantId, cursor - 1, 1).then(
          ([change]) => change && announce(change),
          (error: Error) => {
            logger.error({ err: error.message, tenantId }, 'change feed: reading a change failed; resyncing');
            emit({ type: 'resync', live: listener?.live ?? false });
          },
        );
      },
      onLiveChange: (live) => emit({ type: 'resync', live }),
    });
  }

  return {
    async transaction(db, work) {
      let pending: TenantChange[] = [];
      const result = await db.transaction().execute(async (trx) => {
        pending = [];
        pendingOf.set(trx, pending);
        if (options.onRecorded) onRecordedOf.set(trx, options.onRecorded);
        return work(trx);
      });
      for (const change of pending) announce(change);
      return result;
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    get live() {
      return listener ? listener.live : true;
    },
    whenLive: () => (listener ? listener.whenLive() : Promise.resolve()),
    close: async () => {
      listeners.clear();
      await listener?.close();
    },
  };
}
