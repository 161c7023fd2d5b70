import { type JsonSchema, unixSeconds } from '../route.js';

/**
 * The versions of a configuration history, as the two history routes answer them: the same
 * fields, told in each family's dialect. Seed 003 (`/api/v1`) writes times as ISO-8601 and a
 * change as `{ path, old, new }`; seed 001 (`/api/admin`) writes Unix seconds and names each
 * change's settings category (null for a seed 000 field).
 */
export interface VersionDialect {
  time: 'iso' | 'unix-seconds';
  /** Each change carries its settings category. */
  category: boolean;
}

export const V1_VERSIONS: VersionDialect = { time: 'iso', category: false };
export const ADMIN_VERSIONS: VersionDialect = { time: 'unix-seconds', category: true };

/** A `ConfigVersion` as the routes select it (`category` only where the dialect names it). */
export interface VersionNode {
  version: number;
  createdAt: string;
  actorRole: string;
  actorKeyId: string | null;
  requestId: string | null;
  changes: { path: string; category?: string | null; old: unknown; new: unknown }[];
}

/** One item of `versions`, in the dialect. */
export function versionBody(v: VersionNode, dialect: VersionDialect) {
  return {
    version: v.version,
    created_at: dialect.time === 'iso' ? v.createdAt : unixSeconds(v.createdAt),
    actor_role: v.actorRole,
    actor_key_id: v.actorKeyId,
    request_id: v.requestId,
    changes: v.changes.map((c) =>
      dialect.category
        ? { category: c.category ?? null, path: c.path, old: c.old, new: c.new }
        : { path: c.path, old: c.old, new: c.new },
    ),
  };
}

/** The schema of `versions`, in the dialect. */
export function versionsSchema(dialect: VersionDialect): JsonSchema {
  const change: JsonSchema = {
    type: 'object',
    properties: {
      ...(dialect.category ? { category: { type: ['string', 'null'] } } : {}),
      path: { type: 'string' },
      old: {},
      new: {},
    },
  };
  return {
    type: 'array',
    items: {
      type: 'object',
      required: ['version', 'created_at', 'actor_role', 'actor_key_id', 'request_id', 'changes'],
      properties: {
        version: { type: 'integer' },
        created_at:
          dialect.time === 'iso'
            ? { type: 'string', format: 'date-time' }
            : { type: 'integer', description: 'Unix seconds.' },
        actor_role: { type: 'string' },
        actor_key_id: { type: ['string', 'null'] },
        request_id: { type: ['string', 'null'] },
        changes: {
          type: 'array',
          items: change,
          ...(dialect.category ? { description: 'category null: a seed 000 field (e.g. certExpiryDays).' } : {}),
        },
      },
    },
  };
}
