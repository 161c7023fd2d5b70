import {
  allowedOriginsOf,
  type EvaluationScope,
  evaluateAll,
  evaluateOne,
  evaluationEtag,
  type FlagEvaluation,
  openEvaluation,
} from '../../services/flag-evaluations.js';
import { builder } from '../builder.js';

const EvaluationReasonEnum = builder.enumType('EvaluationReason', {
  description: 'Why a key has its value (OpenFeature reasons; OFREP allows no others here).',
  values: {
    STATIC: { description: 'The value in force for the tenant.' },
    DISABLED: { description: "A feature the tenant's tier does not allow: false." },
  } as const,
});

const FlagEvaluationRef = builder.objectRef<FlagEvaluation>('FlagEvaluation').implement({
  description: "One key evaluated for the caller's tenant (OpenFeature / OFREP).",
  fields: (t) => ({
    key: t.exposeString('key', {
      description: 'A feature flag key, or a setting as <document>.<path> (config.performance.cache_size_mb).',
    }),
    value: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Null: the setting has no value (clients use their code default).',
      resolve: (e) => e.value,
    }),
    reason: t.field({ type: EvaluationReasonEnum, resolve: (e) => e.reason }),
    metadata: t.field({
      type: 'JSON',
      description: 'Features: tierRequired, available, category. Settings: source (stored, env, default), version.',
      resolve: (e) => e.metadata,
    }),
  }),
});

const FlagEvaluations = builder.objectRef<EvaluationScope>('FlagEvaluations').implement({
  description:
    "Every feature flag and setting of the caller's tenant as OpenFeature evaluations (secrets are never served).",
  fields: (t) => ({
    etag: t.string({
      description: 'Changes with every write to settings, config or feature flags, and only then.',
      resolve: (scope, _args, ctx) => evaluationEtag(scope.tenant, ctx.settingsEnv),
    }),
    allowedOrigins: t.stringList({
      description: "The tenant's security.allowed_origins: the browser origins allowed to read evaluations.",
      resolve: (scope, _args, ctx) => allowedOriginsOf(ctx, scope),
    }),
    flags: t.field({ type: [FlagEvaluationRef], resolve: (scope, _args, ctx) => evaluateAll(ctx, scope) }),
    flag: t.field({
      type: FlagEvaluationRef,
      nullable: true,
      description: 'One key; null when there is no such key.',
      args: { key: t.arg.string({ required: true }) },
      resolve: (scope, args, ctx) => evaluateOne(ctx, scope, args.key),
    }),
  }),
});

builder.queryField('flagEvaluations', (t) =>
  t.field({
    type: FlagEvaluations,
    description:
      "OpenFeature evaluation of the caller's own tenant (any tenant key; the platform admin has no tenant: FORBIDDEN). " +
      'The context is checked for shape (an object; targetingKey a string) and otherwise ignored: values are per tenant, not per user.',
    authScopes: { tenantKey: true },
    args: { context: t.arg({ type: 'JSON', description: 'The OpenFeature evaluation context.' }) },
    resolve: (_root, args, ctx) => openEvaluation(ctx, args.context),
  }),
);
