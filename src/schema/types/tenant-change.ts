import type { TenantChange as Change } from '../../services/change-feed.js';
import { MAX_STREAMS_PER_KEY, streamTenantChanges } from '../../services/change-stream.js';
import { currentEvaluationEtag } from '../../services/flag-evaluations.js';
import { builder } from '../builder.js';
import { ConfigDocumentEnum } from './enums.js';

const TenantChange = builder.objectRef<Change>('TenantChange').implement({
  description: 'One committed change of a tenant, from its change feed. Paths only: values (and secrets) never appear.',
  fields: (t) => ({
    cursor: t.string({
      description: "The change's position, strictly increasing per tenant: pass as `after` to resume after it.",
      resolve: (c) => String(c.cursor),
    }),
    action: t.exposeString('action', {
      description:
        'e.g. settings.update, config.update, feature_flag.update, api_key.revoke (also the webhook event name).',
    }),
    document: t.field({
      type: ConfigDocumentEnum,
      nullable: true,
      description: 'Null for changes outside the versioned documents (keys, scans, share links).',
      resolve: (c) => c.document,
    }),
    version: t.exposeInt('version', { nullable: true, description: "The document's version after the change." }),
    paths: t.exposeStringList('paths', {
      description: 'Storage paths of the settings changed (e.g. config.performance.cache_size_mb), or flag keys.',
    }),
    actorKeyId: t.exposeID('actorKeyId', { nullable: true }),
    actorRole: t.exposeString('actorRole'),
    requestId: t.exposeString('requestId', { nullable: true }),
    committedAt: t.field({ type: 'DateTime', resolve: (c) => c.committedAt }),
    evaluationEtag: t.string({
      nullable: true,
      description:
        "The tenant's OpenFeature evaluation ETag (as the OFREP bulk answer sends it) when this change is delivered: " +
        'a write to settings, config or feature flags changes it, other changes leave it.',
      resolve: (c, _args, ctx) => currentEvaluationEtag(ctx, c.tenantId),
    }),
  }),
});

builder.subscriptionFields((t) => ({
  tenantChanges: t.field({
    type: TenantChange,
    description:
      `The tenant's committed changes as they happen (Server-Sent Events: send \`Accept: text/event-stream\`). With \`after\`, every change after that cursor first, in order, then live ones. ` +
      `A tenant key streams its own tenant (another id is FORBIDDEN); the platform admin names one. The stream ends when the key is revoked. At most ${MAX_STREAMS_PER_KEY} open streams per key (RATE_LIMITED above).`,
    authScopes: { viewer: true },
    args: { tenantId: t.arg.id(), after: t.arg.string() },
    subscribe: (_root, args, ctx) => streamTenantChanges(ctx, args.tenantId, args.after),
    resolve: (change) => change,
  }),
}));
