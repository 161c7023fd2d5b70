import { type CatalogEntry, REDACTED } from '../catalog/catalog.js';
import { type Feature, features } from '../catalog/features.js';
import type { JsonValue } from '../catalog/setting.js';
import { type Issue, jsonEqual, validateValue } from '../catalog/validate.js';
import type { ConfigDocumentName } from '../db/tables.js';
import { badInput } from '../errors/domain-error.js';
import { type PlannedChange, planReset, type WriteState, writeVersioned } from './document-write.js';
import { type FlagChange, writeFlags } from './feature-flags.js';
import { cipherOf, homesOf, storedStateAt, VERSIONED_OF } from './history.js';
import { INDUSTRY_PATH, type StoredState } from './history-record.js';
import type { ServiceContext } from './service-context.js';
import { changeViewOf, type SettingChangeView } from './setting-documents.js';
import { requireTenant } from './tenant-access.js';
import { mergedConfigIssues } from './tenant-config.js';

export interface RollbackResult {
  document: ConfigDocumentName;
  version: number;
  changes: SettingChangeView[];
  dryRun: boolean;
  /** When the document last changed (this rollback's time when it changed something). */
  updatedAt: Date;
}

/** Does a client's path name this entry (exactly, or as a section prefix)? Paths as clients see them. */
function names(path: string, candidates: string[]): boolean {
  return candidates.some((c) => c === path || c.startsWith(path + '.'));
}

/** The entries the rollback restores: all of the document, or those the named paths cover (unknown path: BAD_USER_INPUT). */
function selectEntries<T>(
  all: T[],
  paths: readonly string[] | null | undefined,
  candidatesOf: (item: T) => string[],
): T[] {
  if (!paths) return all;
  const issues: Issue[] = paths
    .filter((p) => !all.some((item) => names(p, candidatesOf(item))))
    .map((p) => ({ path: p, message: `Unknown path '${p.slice(0, 200)}'` }));
  if (issues.length) throw badInput(issues[0].message, issues);
  return all.filter((item) => paths.some((p) => names(p, candidatesOf(item))));
}

const entryPaths = (e: CatalogEntry) => [
  e.storagePath,
  e.path,
  e.categoryPath,
  ...(e.category ? [`${e.category}.${e.categoryPath}`] : []),
];

/**
 * Plans restoring `entries` to a stored state: a value stored then is written again (a secret
 * as its ciphertext, never opened), a value not stored then is deleted (environment or default
 * applies again). Values already equal are not changes.
 */
function planRestore(state: WriteState, entries: CatalogEntry[], target: StoredState): PlannedChange[] {
  const deletions = planReset(
    state,
    entries.filter((e) => !e.spec.column && !target[e.storagePath]),
  );
  const sets = entries.flatMap((entry): PlannedChange[] => {
    const current = state.resolution.valueOf(entry).value;
    if (entry.spec.column === 'industry') {
      const stored = target[INDUSTRY_PATH];
      const value = stored && 'v' in stored ? stored.v : null;
      if (state.tenant.industry === value) return [];
      return [{ entry, op: value === null ? 'delete' : 'set', old: current, new: value ?? entry.spec.default }];
    }
    const stored = target[entry.storagePath];
    if (!stored) return [];
    if (entry.spec.secret) {
      const cipher = cipherOf(target, entry.storagePath);
      if (cipher === null || state.resolution.storedRow(entry)?.encrypted_value === cipher) return [];
      return [{ entry, op: 'set', old: current, new: REDACTED, ciphertext: cipher }];
    }
    const value = (stored as { v: JsonValue }).v;
    if (jsonEqual(current, value)) return [];
    return [{ entry, op: 'set', old: current, new: value }];
  });
  return [...sets, ...deletions];
}

/**
 * Restores a document (or only the named paths) as it was after `toVersion`, as a NEW version
 * through the document's write path: the same lock, optimistic concurrency, validation and
 * compliance rules as any write (a refusal writes nothing), audited as `<doc>.rollback`.
 */
export async function rollback(
  ctx: ServiceContext,
  args: {
    tenantId?: string | null;
    document: ConfigDocumentName;
    toVersion: number;
    paths?: readonly string[] | null;
    expectedVersion?: number | null;
    dryRun?: boolean | null;
  },
): Promise<RollbackResult> {
  const tenant = await requireTenant(ctx, args.tenantId);
  const { state: target } = await storedStateAt(ctx, tenant, args.document, args.toVersion);
  const dryRun = args.dryRun === true;
  const versioned = VERSIONED_OF[args.document];
  if (!versioned) {
    const chosen = selectEntries<Feature>([...features], args.paths, (f) => [f.key]);
    const result = await writeFlags(ctx, tenant, {
      expectedVersion: args.expectedVersion,
      action: 'feature_flags.rollback',
      target: `feature_flags@${args.toVersion}`,
      dryRun,
      plan: (rows) =>
        chosen.flatMap((feature): FlagChange[] => {
          const row = rows.get(feature.key);
          const stored = target[feature.key];
          const now = row ? row.enabled : feature.defaultEnabled;
          if (!stored) return row ? [{ feature, op: 'delete', old: now, new: feature.defaultEnabled }] : [];
          const then = (stored as { v: JsonValue }).v === true;
          return row?.enabled === then ? [] : [{ feature, op: 'set', old: now, new: then }];
        }),
    });
    return {
      document: args.document,
      version: result.tenant.flags_version,
      changes: result.changes.map((c) => ({ path: c.feature.key, category: null, old: c.old, new: c.new })),
      dryRun: result.dryRun,
      updatedAt: ctx.now(),
    };
  }
  const chosen = selectEntries(homesOf(versioned), args.paths, entryPaths);
  const result = await writeVersioned(ctx, tenant.id, {
    versioned,
    expectedVersion: args.expectedVersion,
    action: `${versioned}.rollback`,
    target: `${versioned}@${args.toVersion}`,
    dryRun,
    plan: (state) => {
      const planned = planRestore(state, chosen, target);
      // The catalog may have narrowed since that version: a restored value passes today's checks.
      const issues = planned.flatMap((c) =>
        c.op === 'set' && !c.entry.spec.secret ? validateValue(c.entry.spec, c.new, c.entry.path) : [],
      );
      if (issues.length) return { issues };
      if (versioned === 'config') {
        const violations = mergedConfigIssues(
          state,
          planned.map((c) => [c.entry, c.new] as [CatalogEntry, JsonValue]),
        );
        if (violations.length) return { issues: violations };
      }
      return planned;
    },
  });
  return {
    document: args.document,
    version: versioned === 'settings' ? result.tenant.settings_version : result.tenant.config_version,
    changes: result.changes.map(changeViewOf),
    dryRun: result.dryRun,
    updatedAt:
      (versioned === 'settings' ? result.tenant.settings_updated_at : result.tenant.config_updated_at) ?? ctx.now(),
  };
}
