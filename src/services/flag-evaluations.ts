import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { documents } from '../catalog/catalog.js';
import type { SettingsEnv } from '../catalog/environment.js';
import { type EvaluationKey, evaluationKeyOf, evaluationKeys } from '../catalog/evaluation-keys.js';
import { isObject } from '../catalog/formats.js';
import type { JsonValue } from '../catalog/setting.js';
import type { DbOrTrx } from '../db/connect.js';
import type { TenantRow } from '../db/tables.js';
import { badInput } from '../errors/domain-error.js';
import { type FeatureFlagView, listFeatureFlags } from './feature-flags.js';
import type { ServiceContext } from './service-context.js';
import { type Resolution, resolveSettings, type SettingSource } from './setting-resolution.js';
import { loadSettingRows } from './setting-values.js';
import { requireTenant } from './tenant-access.js';

/**
 * OpenFeature evaluation (OFREP) of the caller's tenant: every key of src/catalog/evaluation-keys.ts
 * with its value, reason and metadata. Values are per tenant, never per user: the evaluation
 * context is checked for shape and otherwise ignored, and the tenant is always the key's.
 */

/** OFREP's reasons that apply here: a value in force (STATIC), a feature the tier does not allow (DISABLED). */
export type EvaluationReason = 'STATIC' | 'DISABLED';

export interface FlagEvaluation {
  key: string;
  /** Null: no value (a nullable setting that is unset); OFREP then tells the client to use its code default. */
  value: JsonValue;
  reason: EvaluationReason;
  /** OFREP metadata: string, number or boolean values only. */
  metadata: Record<string, string | number | boolean>;
}

/** The tenant an evaluation is for, once the context has been checked. */
export interface EvaluationScope {
  tenant: TenantRow;
}

const SOURCE_LABEL: Record<SettingSource, string> = { STORED: 'stored', ENVIRONMENT: 'env', DEFAULT: 'default' };

/**
 * The caller's own tenant (the field is for tenant keys: the platform admin has no tenant of its
 * own). The context must be a JSON object when given; `targetingKey`, when present,
 * a string (OFREP's only declared context field). Nothing in it selects the tenant.
 */
export async function openEvaluation(ctx: ServiceContext, context: unknown): Promise<EvaluationScope> {
  if (context !== undefined && context !== null) {
    if (!isObject(context))
      throw badInput('context must be a JSON object', [{ path: 'context', message: 'must be a JSON object' }]);
    if ('targetingKey' in context && typeof context.targetingKey !== 'string') {
      throw badInput('context.targetingKey must be a string', [
        { path: 'context.targetingKey', message: 'must be a string' },
      ]);
    }
  }
  return { tenant: await requireTenant(ctx, null) };
}

interface Inputs {
  tenant: TenantRow;
  resolution: Resolution;
  flags: Map<string, FeatureFlagView>;
}

/** Per request (one context object): a bulk or single answer needs them for several fields. */
const inputsByContext = new WeakMap<ServiceContext, Promise<Inputs>>();

function inputsOf(ctx: ServiceContext, tenant: TenantRow): Promise<Inputs> {
  let inputs = inputsByContext.get(ctx);
  if (!inputs) {
    inputs = (async () => {
      const [rows, flags] = await Promise.all([ctx.loaders.settingRows.load(tenant.id), listFeatureFlags(ctx, tenant)]);
      const resolution = resolveSettings(tenant, rows, ctx.settingsEnv, (msg, envVar) =>
        ctx.logger.warn({ envVar }, msg),
      );
      return { tenant, resolution, flags: new Map(flags.map((f) => [f.key, f])) };
    })();
    inputsByContext.set(ctx, inputs);
  }
  return inputs;
}

function evaluate(key: EvaluationKey, inputs: Inputs): FlagEvaluation {
  if (key.kind === 'feature') {
    const flag = inputs.flags.get(key.key)!;
    return {
      key: key.key,
      value: flag.enabled,
      reason: flag.available ? 'STATIC' : 'DISABLED',
      metadata: { tierRequired: flag.tierRequired, available: flag.available, category: flag.category },
    };
  }
  const resolved = inputs.resolution.valueOf(key.entry);
  const versioned = documents[key.entry.document].versioned;
  const version = versioned === 'settings' ? inputs.tenant.settings_version : inputs.tenant.config_version;
  return {
    key: key.key,
    value: resolved.value,
    reason: 'STATIC',
    metadata: { source: SOURCE_LABEL[resolved.source], version },
  };
}

/** Every key of the tenant, in catalog order (features, then settings, config). */
export async function evaluateAll(ctx: ServiceContext, scope: EvaluationScope): Promise<FlagEvaluation[]> {
  const inputs = await inputsOf(ctx, scope.tenant);
  return evaluationKeys.map((key) => evaluate(key, inputs));
}

/** One key; null when the catalog has no such key (or it is a secret). */
export async function evaluateOne(
  ctx: ServiceContext,
  scope: EvaluationScope,
  key: string,
): Promise<FlagEvaluation | null> {
  const known = evaluationKeyOf(key);
  if (!known) return null;
  return evaluate(known, await inputsOf(ctx, scope.tenant));
}

/** The tenant's `security.allowed_origins` (the CORS policy of browser clients of OFREP). */
export async function allowedOriginsOf(ctx: ServiceContext, scope: EvaluationScope): Promise<string[]> {
  const evaluation = await evaluateOne(ctx, scope, 'admin.security.allowed_origins');
  return Array.isArray(evaluation?.value) ? (evaluation.value as string[]) : [];
}

/** The same for code without a request context (the event stream): one read of the admin security rows. */
export async function allowedOriginsOfTenant(db: DbOrTrx, tenantId: string, env: SettingsEnv): Promise<string[]> {
  const key = evaluationKeyOf('admin.security.allowed_origins');
  if (key?.kind !== 'setting') return [];
  const rows = await loadSettingRows(db, [tenantId], ['admin.security.']);
  const value = resolveSettings({ industry: null }, rows, env).valueOf(key.entry).value;
  return Array.isArray(value) ? (value as string[]) : [];
}

/**
 * The ETag of a tenant's evaluations: its settings and config versions, the cursor of its last
 * feature-flag change, its tier and this process's environment layer. A write to settings,
 * config or flags changes it; nothing else does (a key, a scan or a share link leaves it).
 */
export async function evaluationEtag(db: DbOrTrx, tenantId: string, env: SettingsEnv): Promise<string | null> {
  const row = await db
    .selectFrom('tenants')
    .select(['tier', 'settings_version', 'config_version'])
    .select(
      sql<
        string | number | null
      >`(select max(c."cursor") from tenant_changes c where c.tenant_id = tenants.id and c.document = 'FEATURE_FLAGS')`.as(
        'flags_cursor',
      ),
    )
    .where('id', '=', tenantId)
    .executeTakeFirst();
  if (!row) return null;
  return `"${row.tier.toLowerCase()}.s${row.settings_version}.c${row.config_version}.f${Number(row.flags_cursor ?? 0)}.e${envDigest(env)}"`;
}

const envDigests = new WeakMap<object, string>();

/** A short digest of the environment layer (the catalog's variables only): read once per env object. */
function envDigest(env: SettingsEnv): string {
  let digest = envDigests.get(env);
  if (digest === undefined) {
    const layer = evaluationKeys.flatMap((k) =>
      k.kind === 'setting' && k.entry.envVar ? [[k.entry.envVar, env[k.entry.envVar] ?? null]] : [],
    );
    digest = createHash('sha256').update(JSON.stringify(layer)).digest('hex').slice(0, 8);
    envDigests.set(env, digest);
  }
  return digest;
}
