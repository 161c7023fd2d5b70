import { sql } from 'kysely';
import { isUuid } from '../catalog/formats.js';
import { badInput } from '../errors/domain-error.js';

export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  nodes: T[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Cursors are opaque to clients: base64url of the last row's sort key. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

const invalidCursor = () => badInput('Invalid cursor', [{ path: 'after', message: 'Invalid cursor' }]);

export function decodeCursor(cursor: string | null | undefined): string | undefined {
  if (!cursor) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!key || encodeCursor(key) !== cursor) throw invalidCursor();
  return key;
}

/** Sort key of a row listed by (created_at, id): the cursor's content. */
export const createdAtIdKey = (row: { created_at: Date; id: string }) => `${row.created_at.toISOString()}|${row.id}`;

/**
 * The (created_at, id) position an `after` cursor names. Checked before it reaches SQL: a forged
 * cursor is BAD_USER_INPUT, never a uuid or timestamp cast error (a 500).
 */
export function decodeCreatedAtIdCursor(cursor: string | null | undefined): { at: Date; id: string } | undefined {
  const key = decodeCursor(cursor);
  if (key === undefined) return undefined;
  const [createdAt, id] = key.split('|');
  if (!createdAt || !id || !isUuid(id) || Number.isNaN(Date.parse(createdAt))) throw invalidCursor();
  return { at: new Date(createdAt), id };
}

/**
 * The rows a (created_at, id) keyset page continues with: strictly past `after` in the list's
 * order, as one row comparison (`<` newest first, `>` oldest first). For single-table lists.
 */
export function pastCreatedAtId(after: { at: Date; id: string }, order: 'newest first' | 'oldest first') {
  const op = sql.raw(order === 'newest first' ? '<' : '>');
  return sql<boolean>`(created_at, id) ${op} (${after.at}::timestamptz, ${after.id}::uuid)`;
}

/** `first` checked: 1..max (MAX_PAGE_SIZE unless the list declares its own), `fallback` when absent. */
export function pageSize(first: number | null | undefined, fallback = 20, max = MAX_PAGE_SIZE): number {
  const n = first ?? fallback;
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw badInput(`first must be between 1 and ${max}`, [{ path: 'first', message: `must be between 1 and ${max}` }]);
  }
  return n;
}

/** Given `size + 1` fetched rows, cut to `size` and say whether more exist. */
export function toPage<T>(rows: T[], size: number, keyOf: (row: T) => string): Page<T> {
  const nodes = rows.slice(0, size);
  const last = nodes[nodes.length - 1];
  return { nodes, hasNextPage: rows.length > size, endCursor: last ? encodeCursor(keyOf(last)) : null };
}
