import { LRUCache } from 'lru-cache';
import type { Principal } from '../auth/principal.js';
import type { TenantRow } from '../db/tables.js';
import type { ChangeFeed } from './change-feed.js';
import type { FeatureFlagRow, SettingValueRow } from './setting-values.js';

/**
 * What reads need, in memory, process-wide: the principal of a key (by its hash), per tenant
 * its row, its setting rows and its flag rows, and whole answers to reads of that tenant's data.
 * Bounded by size (an LRU, `CACHE_MAX_MB`).
 *
 * Never stale past a commit: every change of a tenant drops that tenant's entries when the change
 * feed announces it, i.e. after its transaction committed (a rolled-back write drops nothing, and
 * nothing it wrote was ever stored here). A key's principal is dropped on its tenant's api_key
 * changes. While the feed is not live (a server's LISTEN connection lost) nothing is served or
 * stored, and everything is dropped when it goes down and when it is back.
 *
 * The race of a read that began before a commit and stores its (old) rows after the commit's
 * invalidation: every read takes a ticket (`begin`) before it queries; an invalidation moves a
 * clock and remembers, per tenant, when it dropped; a store whose ticket is older than its
 * tenant's last drop is refused.
 *
 * Only services/loaders.ts and services/api-key-lookup.ts read and fill it; the app (src/yoga.ts) only
 * opens it on its change feed and closes it on dispose.
 */
export interface CachedKey {
  principal: Extract<Principal, { kind: 'tenant' }>;
  /** The last `last_used_at` this process wrote or read (its once-a-minute write). */
  lastUsedAt: Date | null;
}

/**
 * A whole answer to a read, as the client got it, for one key: served again while nothing of its
 * tenant changed (the answer cache of src/http/answer-cache.ts decides what may be kept).
 */
export interface CachedAnswer {
  readonly value: object;
  /** Its size in bytes as the LRU counts it (the body dominates; the caller knows it). */
  readonly bytes: number;
}

type Entry =
  | { kind: 'key'; tenantId: string; value: CachedKey }
  | { kind: 'answer'; tenantId: string; value: CachedAnswer }
  | { kind: 'tenant'; tenantId: string; value: TenantRow }
  | { kind: 'settingRows'; tenantId: string; value: readonly SettingValueRow[] }
  | { kind: 'flagRows'; tenantId: string; value: readonly FeatureFlagRow[] };

export interface ReadCacheStats {
  /** Lookups of principals and rows. */
  hits: number;
  misses: number;
  /** Lookups of whole answers. */
  answerHits: number;
  answerMisses: number;
  evictions: number;
  /** Entries and their estimated bytes now held (summed over every open cache of the process). */
  entries: number;
  bytes: number;
  maxBytes: number;
}

/** Counters of every cache of the process (one per app; a production process has one). */
const totals = { hits: 0, misses: 0, answerHits: 0, answerMisses: 0, evictions: 0 };
const open = new Set<ReadCache>();

/** Hits, misses and evictions since start, and what is held now: for /metrics. */
export function readCacheStats(): ReadCacheStats {
  let entries = 0;
  let bytes = 0;
  let maxBytes = 0;
  for (const cache of open) {
    entries += cache.lru.size;
    bytes += cache.lru.calculatedSize;
    maxBytes += cache.maxBytes;
  }
  return { ...totals, entries, bytes, maxBytes };
}

/** A read in flight: take it before querying, hand it back to store what was read. */
export type Ticket = number;

/** Rough bytes of a value held in memory: its JSON length twice (UTF-16) plus per-object overhead. */
function estimateBytes(value: unknown): number {
  const json = JSON.stringify(value) ?? '';
  const objects = Array.isArray(value) ? value.length + 1 : 1;
  return 2 * json.length + 80 * objects + 100;
}

export class ReadCache {
  readonly lru: LRUCache<string, Entry>;
  /** Key hashes cached per tenant, to drop a tenant's principals on its key changes. */
  private readonly keysOfTenant = new Map<string, Set<string>>();
  /** Answers cached per tenant, to drop them on any change of the tenant. */
  private readonly answersOfTenant = new Map<string, Set<string>>();
  private clock = 0;
  private clearedAt = 0;
  private readonly droppedAt = new Map<string, number>();
  private inFlight = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly feed: ChangeFeed,
    readonly maxBytes: number,
  ) {
    this.lru = new LRUCache<string, Entry>({
      maxSize: maxBytes,
      sizeCalculation: (entry) =>
        entry.kind === 'answer' ? entry.value.bytes : Math.max(1, estimateBytes(entry.value)),
      dispose: (entry, key, reason) => {
        if (reason === 'evict') totals.evictions++;
        this.indexOf(entry)?.get(entry.tenantId)?.delete(key);
      },
    });
    this.unsubscribe = feed.subscribe((event) => {
      if (event.type === 'resync') return this.clear();
      this.dropTenant(event.change.tenantId, event.change.action.startsWith('api_key.'));
    });
    open.add(this);
  }

  /** False while the feed may miss changes: then reads go to the database and nothing is kept. */
  get serving(): boolean {
    return this.feed.live;
  }

  begin(): Ticket {
    this.inFlight++;
    return this.clock;
  }

  /** Every `begin` is ended (in a finally); with no read in flight the drop times are not needed. */
  end(): void {
    // Clearing an empty map still allocates its table anew: this runs on every cached read.
    if (--this.inFlight === 0 && this.droppedAt.size > 0) this.droppedAt.clear();
  }

  private storable(ticket: Ticket, tenantId: string): boolean {
    return this.serving && ticket >= this.clearedAt && ticket >= (this.droppedAt.get(tenantId) ?? 0);
  }

  private get<K extends Entry['kind']>(kind: K, key: string): Extract<Entry, { kind: K }>['value'] | undefined {
    if (!this.serving) return undefined;
    const entry = this.lru.get(key);
    const answer = kind === 'answer';
    if (entry?.kind === kind) {
      if (answer) totals.answerHits++;
      else totals.hits++;
      return entry.value as never;
    }
    if (answer) totals.answerMisses++;
    else totals.misses++;
    return undefined;
  }

  /** The per-tenant index an entry is kept in (principals and answers: several per tenant), if any. */
  private indexOf(entry: Entry): Map<string, Set<string>> | undefined {
    return entry.kind === 'key' ? this.keysOfTenant : entry.kind === 'answer' ? this.answersOfTenant : undefined;
  }

  private set(ticket: Ticket, key: string, entry: Entry): void {
    if (!this.storable(ticket, entry.tenantId)) return;
    this.lru.set(key, entry);
    const index = this.indexOf(entry);
    if (index) {
      let keys = index.get(entry.tenantId);
      if (!keys) index.set(entry.tenantId, (keys = new Set()));
      keys.add(key);
    }
  }

  key(hash: string): CachedKey | undefined {
    return this.get('key', `k:${hash}`);
  }
  storeKey(ticket: Ticket, hash: string, value: CachedKey): void {
    this.set(ticket, `k:${hash}`, { kind: 'key', tenantId: value.principal.tenantId, value });
  }

  tenant(id: string): TenantRow | undefined {
    return this.get('tenant', `t:${id}`);
  }
  storeTenant(ticket: Ticket, row: TenantRow): void {
    this.set(ticket, `t:${row.id}`, { kind: 'tenant', tenantId: row.id, value: Object.freeze(row) });
  }

  settingRows(tenantId: string): readonly SettingValueRow[] | undefined {
    return this.get('settingRows', `s:${tenantId}`);
  }
  storeSettingRows(ticket: Ticket, tenantId: string, rows: SettingValueRow[]): void {
    this.set(ticket, `s:${tenantId}`, {
      kind: 'settingRows',
      tenantId,
      value: Object.freeze(rows.map((r) => Object.freeze(r))),
    });
  }

  flagRows(tenantId: string): readonly FeatureFlagRow[] | undefined {
    return this.get('flagRows', `f:${tenantId}`);
  }
  storeFlagRows(ticket: Ticket, tenantId: string, rows: FeatureFlagRow[]): void {
    this.set(ticket, `f:${tenantId}`, {
      kind: 'flagRows',
      tenantId,
      value: Object.freeze(rows.map((r) => Object.freeze(r))),
    });
  }

  /** An answer of a tenant's data stored under `key` (the answer cache composes it: caller and request). */
  answer(key: string): CachedAnswer | undefined {
    return this.get('answer', `a:${key}`);
  }
  storeAnswer(ticket: Ticket, tenantId: string, key: string, value: CachedAnswer): void {
    this.set(ticket, `a:${key}`, { kind: 'answer', tenantId, value });
  }

  /** A tenant changed: its rows and answers go, and (on key changes) its keys' principals. */
  dropTenant(tenantId: string, keys: boolean): void {
    this.clock++;
    if (this.inFlight > 0) this.droppedAt.set(tenantId, this.clock);
    this.lru.delete(`t:${tenantId}`);
    this.lru.delete(`s:${tenantId}`);
    this.lru.delete(`f:${tenantId}`);
    this.dropIndexed(this.answersOfTenant, tenantId);
    if (keys) this.dropIndexed(this.keysOfTenant, tenantId);
  }

  private dropIndexed(index: Map<string, Set<string>>, tenantId: string): void {
    for (const key of [...(index.get(tenantId) ?? [])]) this.lru.delete(key);
    index.delete(tenantId);
  }

  clear(): void {
    this.clock++;
    this.clearedAt = this.clock;
    this.droppedAt.clear();
    this.lru.clear();
    this.keysOfTenant.clear();
    this.answersOfTenant.clear();
  }

  close(): void {
    this.unsubscribe();
    this.clear();
    open.delete(this);
  }
}
