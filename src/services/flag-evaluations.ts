import { createHash } from 'node:crypto';
import { documents } from '../catalog/catalog.js';
import type { SettingsEnv } from '../catalog/environment.js';
import { type EvaluationKey, evaluationKeyOf, evaluationKeys } from '../catalog/evaluation-keys.js';
import { isObject } from '../catalog/formats.js';
import type { JsonValue } from '../catalog/setting.js';
import type { TenantRow } from '../db/tables.js';
import { badInput, forbidden } from '../errors/domain-error.js';
import { type FeatureFlagView, listFeatureFlags } from './feature-flags.js';
import type { ServiceContext } from './service-context.js';
import { type Resolution, resolveSettings, type SettingSource } from './setting-resolution.js';
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
  // Not a role check: the OFREP event stream opens an evaluation scope with no field (and so no
  // `tenantKey` scope) in front, and the platform admin has no tenant to evaluate.
  if (ctx.principal.kind === 'platform')
    throw forbidden('Evaluation is for a tenant key: the platform admin has no tenant of its own');
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

/**
 * The ETag of a tenant's evaluations, from its row: its tier, settings, config and feature-flag
 * versions and this process's environment layer. A write to settings, config or flags bumps one
 * of those versions; nothing else does (a key, a scan or a share link leaves it). Served from the
 * row the evaluation itself read (the read cache's), so it costs no query of its own.
 */
export function evaluationEtag(tenant: TenantRow, env: SettingsEnv): string {
  return `"${tenant.tier.toLowerCase()}.s${tenant.settings_version}.c${tenant.config_version}.f${tenant.flags_version}.e${envDigest(env)}"`;
}

/**
 * The ETag of a tenant's evaluations now, for a long-lived context (the change stream, whose
 * context serves every event): the row is read afresh through the read cache each time (the
 * per-request loader would keep the first one), so after a change it is that change's row.
 */
export async function currentEvaluationEtag(ctx: ServiceContext, tenantId: string): Promise<string | null> {
  const tenant = await ctx.loaders.tenant.clear(tenantId).load(tenantId);
  return tenant ? evaluationEtag(tenant, ctx.settingsEnv) : null;
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
