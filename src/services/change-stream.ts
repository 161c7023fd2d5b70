import { badInput, DomainError } from '../errors/domain-error.js';
import { changesAfter, type TenantChange } from './change-feed.js';
import type { ServiceContext } from './service-context.js';
import { requireTenant } from './tenant-access.js';

/**
 * Open `tenantChanges` streams allowed per API key (the platform admin counts as one key), per
 * gateway process. Each stream holds a feed listener and, while catching up, database reads;
 * a client that needs more should share one stream.
 */
export const MAX_STREAMS_PER_KEY = 10;

/** Changes read from the table per query while catching up. */
const CATCH_UP_PAGE = 200;
/** Live changes held for a slow reader; past this it drops them and reads the table instead. */
const MAX_BUFFERED = 1000;

const openStreams = new Map<string, number>();
/** How to end each open stream (shutdown: an open stream would hold the HTTP server open). */
const enders = new Set<() => void>();

/** Ends every open stream of this process (each client gets `complete`); for a graceful stop. */
export function endAllStreams(): void {
  for (const end of [...enders]) end();
}

/** The stream count's key: the API key's id, or the platform admin. */
function streamOwner(ctx: ServiceContext): string {
  const p = ctx.principal;
  return p.kind === 'tenant' ? `key:${p.keyId}` : 'platform';
}

/** `after` as given to the field: a cursor this stream handed out (decimal digits), or null. */
function parseAfter(after: string | null | undefined): number | null {
  if (after == null) return null;
  if (!/^\d{1,15}$/.test(after))
    throw badInput('after must be a cursor of tenantChanges', [{ path: 'after', message: 'Invalid cursor' }]);
  return Number(after);
}

/**
 * A tenant's committed changes as a stream: with `after`, every stored change after that cursor
 * first, in order, then the live ones; without it, live ones only. None missed, none doubled:
 * the feed is subscribed to before the table is read, and every change is passed on only when
 * its cursor is the next one (the cursor is gap-free per tenant). A gap — a change announced
 * out of order, a lost LISTEN connection (`resync`), a reader too slow for the buffer — is
 * filled from the table, which is the truth. The stream ends when the caller's key is revoked
 * (the feed announces it), and when the client goes away.
 *
 * Own tenant only (requireTenant; the role is the field's); at most MAX_STREAMS_PER_KEY per key.
 */
export async function streamTenantChanges(
  ctx: ServiceContext,
  tenantId: string | null | undefined,
  afterArg: string | null | undefined,
): Promise<AsyncIterableIterator<TenantChange>> {
  const after = parseAfter(afterArg);
  const tenant = await requireTenant(ctx, tenantId);
  const owner = streamOwner(ctx);
  const open = openStreams.get(owner) ?? 0;
  if (open >= MAX_STREAMS_PER_KEY) {
    throw new DomainError(
      'RATE_LIMITED',
      `At most ${MAX_STREAMS_PER_KEY} tenantChanges streams may be open per API key; close one first`,
      {
        extra: { maxStreams: MAX_STREAMS_PER_KEY },
      },
    );
  }
  openStreams.set(owner, open + 1);

  const ownKeyId = ctx.principal.kind === 'tenant' ? ctx.principal.keyId : null;
  const buffered: TenantChange[] = [];
  let catchUp = after !== null;
  let ended = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const unsubscribe = ctx.changeFeed.subscribe((event) => {
    if (event.type === 'resync') {
      // Changes of other processes may have been missed: the table says which.
      buffered.length = 0;
      catchUp = true;
    } else {
      const { change } = event;
      if (change.tenantId !== tenant.id) return;
      if (ownKeyId && change.action === 'api_key.revoke' && change.target === ownKeyId) ended = true;
      else if (buffered.length >= MAX_BUFFERED) {
        buffered.length = 0;
        catchUp = true;
      } else buffered.push(change);
    }
    signal();
  });

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    ended = true;
    unsubscribe();
    enders.delete(release);
    const left = (openStreams.get(owner) ?? 1) - 1;
    if (left > 0) openStreams.set(owner, left);
    else openStreams.delete(owner);
    signal();
  };

  enders.add(release);
  let last: number;
  try {
    if (after !== null) {
      const current = await currentCursor(ctx, tenant.id);
      if (after > current)
        throw badInput(`after is past the tenant's latest change (${current})`, [
          { path: 'after', message: 'Unknown cursor' },
        ]);
      last = after;
    } else {
      // Read after subscribing: a change committed in between is both buffered and counted here,
      // and the buffered copy is dropped as already past.
      last = await currentCursor(ctx, tenant.id);
    }
  } catch (error) {
    release();
    throw error;
  }

  const ready: TenantChange[] = [];
  /** The table was read for the gap before the buffered head and had nothing: if it is still a gap, pass it on (never spin). */
  let gapRead = false;
  const next = async (): Promise<IteratorResult<TenantChange>> => {
    for (;;) {
      if (ended) {
        release();
        return { done: true, value: undefined };
      }
      const head = ready.shift();
      if (head) {
        last = head.cursor;
        return { done: false, value: head };
      }
      if (catchUp) {
        catchUp = false;
        const page = await changesAfter(ctx.db, tenant.id, last, CATCH_UP_PAGE);
        // A full page may have more behind it.
        if (page.length === CATCH_UP_PAGE) catchUp = true;
        if (page.length) gapRead = false;
        ready.push(...page);
        continue;
      }
      const change = buffered.shift();
      if (change) {
        if (change.cursor <= last) continue; // already passed on (read from the table)
        if (change.cursor === last + 1 || gapRead) {
          gapRead = false;
          ready.push(change);
        } else {
          // An earlier change was announced after this one, or not heard: read the gap.
          buffered.unshift(change);
          catchUp = true;
          gapRead = true;
        }
        continue;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };

  const iterator: AsyncIterableIterator<TenantChange> = {
    [Symbol.asyncIterator]: () => iterator,
    // A failed read (the database went away) ends the stream with an error: free its slot too.
    next: () =>
      next().catch((error: unknown) => {
        release();
        throw error;
      }),
    // The client went away (or the server stops): stop listening at once, even while `next`
    // waits for a change.
    return: async () => {
      release();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

async function currentCursor(ctx: ServiceContext, tenantId: string): Promise<number> {
  const row = await ctx.db
    .selectFrom('tenants')
    .select('change_cursor')
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.change_cursor);
}
