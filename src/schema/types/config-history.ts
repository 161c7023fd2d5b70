import { type ConfigVersionView, diffVersions, documentAt, listHistory } from '../../services/history.js';
import { type RollbackResult, rollback } from '../../services/rollback.js';
import { builder } from '../builder.js';
import { connectionOf, pageArgs } from '../connection.js';
import { ConfigDocumentEnum } from './enums.js';
import { SettingChange } from './settings.js';
import { Tenant } from './tenant.js';

const ConfigVersion = builder.objectRef<ConfigVersionView>('ConfigVersion').implement({
  description: 'The version one committed write produced, recorded in its transaction. Secrets show as "[redacted]".',
  fields: (t) => ({
    document: t.field({ type: ConfigDocumentEnum, resolve: (v) => v.document }),
    version: t.exposeInt('version'),
    createdAt: t.field({ type: 'DateTime', resolve: (v) => v.createdAt }),
    actorKeyId: t.exposeID('actorKeyId', { nullable: true }),
    actorRole: t.exposeString('actorRole', { description: 'VIEWER, OPERATOR, ADMIN or PLATFORM_ADMIN.' }),
    requestId: t.exposeString('requestId', { nullable: true, description: "The write's x-request-id." }),
    changes: t.field({ type: [SettingChange], resolve: (v) => v.changes }),
  }),
});

const ConfigVersionConnection = connectionOf('ConfigVersion', ConfigVersion);

builder.objectFields(Tenant, (t) => ({
  history: t.field({
    type: ConfigVersionConnection,
    description: 'The versions of a document, newest first.',
    authScopes: { viewer: true },
    args: {
      document: t.arg({ type: ConfigDocumentEnum, required: true }),
      path: t.arg.string({
        description:
          'Only versions changing a path with this prefix, e.g. "performance." or "password_policy.min_length".',
      }),
      since: t.arg({ type: 'DateTime', description: 'Inclusive.' }),
      until: t.arg({ type: 'DateTime', description: 'Exclusive.' }),
      ...pageArgs,
    },
    resolve: (tenant, args, ctx) =>
      listHistory(ctx, tenant, args.document, { path: args.path, since: args.since, until: args.until }, args),
  }),
  documentAt: t.field({
    type: 'JSON',
    description:
      'The whole document as it was after a version (secrets as "[redacted]" when set, null when not). Unknown version: NOT_FOUND.',
    authScopes: { viewer: true },
    args: { document: t.arg({ type: ConfigDocumentEnum, required: true }), version: t.arg.int({ required: true }) },
    resolve: (tenant, args, ctx) => documentAt(ctx, tenant, args.document, args.version),
  }),
  diff: t.field({
    type: [SettingChange],
    description: 'What changed from one version to another (old = at `from`, new = at `to`).',
    authScopes: { viewer: true },
    args: {
      document: t.arg({ type: ConfigDocumentEnum, required: true }),
      from: t.arg.int({ required: true }),
      to: t.arg.int({ required: true }),
    },
    resolve: (tenant, args, ctx) => diffVersions(ctx, tenant, args.document, args.from, args.to),
  }),
}));

const RollbackPayload = builder.objectRef<RollbackResult>('RollbackPayload').implement({
  fields: (t) => ({
    document: t.field({ type: ConfigDocumentEnum, resolve: (p) => p.document }),
    version: t.exposeInt('version', {
      description: 'The new version the rollback produced (unchanged when nothing differed).',
    }),
    changes: t.field({ type: [SettingChange], resolve: (p) => p.changes }),
    dryRun: t.exposeBoolean('dryRun'),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'When the document last changed (the REST answers show it).',
      resolve: (p) => p.updatedAt,
    }),
  }),
});

builder.mutationField('rollback', (t) =>
  t.field({
    type: RollbackPayload,
    nullable: true,
    description:
      'Restores a document, or only the named paths, as it was after toVersion, as a NEW version (operator, admin). Same validation and compliance rules as any write; stale expectedVersion: CONFLICT.',
    authScopes: { operator: true },
    args: {
      document: t.arg({ type: ConfigDocumentEnum, required: true }),
      toVersion: t.arg.int({ required: true }),
      paths: t.arg.stringList(),
      expectedVersion: t.arg.int(),
      tenantId: t.arg.id(),
      dryRun: t.arg.boolean({ description: 'Check and answer, but write nothing.' }),
    },
    resolve: (_root, args, ctx) => rollback(ctx, args),
  }),
);
