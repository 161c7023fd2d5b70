import { type FeatureFlagView, listFeatureFlags, setFeatureFlag } from '../../services/feature-flags.js';
import { builder } from '../builder.js';
import { TierEnum } from './enums.js';
import { Tenant } from './tenant.js';

const FeatureFlag = builder.objectRef<FeatureFlagView>('FeatureFlag').implement({
  description: 'A feature of the one feature catalog (behind both the feature flags and the tenant config features).',
  fields: (t) => ({
    key: t.exposeString('key'),
    displayName: t.exposeString('displayName'),
    description: t.exposeString('description'),
    enabled: t.exposeBoolean('enabled', { description: 'In effect: switched on and available for the tier.' }),
    category: t.exposeString('category'),
    impact: t.exposeString('impact', { description: 'low, medium or high.' }),
    tierRequired: t.field({ type: TierEnum, resolve: (f) => f.tierRequired }),
    available: t.exposeBoolean('available', { description: "The tenant's tier allows it." }),
    updatedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Last explicit change (null: catalog default).',
      resolve: (f) => f.updatedAt,
    }),
  }),
});

builder.objectField(Tenant, 'featureFlags', (t) =>
  t.field({
    type: [FeatureFlag],
    authScopes: { viewer: true },
    resolve: (tenant, _args, ctx) => listFeatureFlags(ctx, tenant),
  }),
);

const SetFeatureFlagPayload = builder
  .objectRef<Awaited<ReturnType<typeof setFeatureFlag>>>('SetFeatureFlagPayload')
  .implement({
    fields: (t) => ({
      flag: t.field({ type: FeatureFlag, resolve: (p) => p.flag }),
      updatedAt: t.field({ type: 'DateTime', resolve: (p) => p.updatedAt }),
    }),
  });

builder.mutationField('setFeatureFlag', (t) =>
  t.field({
    type: SetFeatureFlagPayload,
    nullable: true,
    description: "Switches a feature on or off (operator, admin). Enabling one above the tenant's tier: FORBIDDEN.",
    authScopes: { operator: true },
    args: {
      tenantId: t.arg.id(),
      key: t.arg.string({ required: true }),
      enabled: t.arg.boolean({ required: true }),
      dryRun: t.arg.boolean({
        description: 'Validate and answer what the write would answer, but write nothing (no audit, no version).',
      }),
    },
    resolve: (_root, args, ctx) => setFeatureFlag(ctx, args.tenantId, args.key, args.enabled, args.dryRun),
  }),
);
