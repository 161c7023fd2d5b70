import type { AuditLogRow } from '../../db/tables.js';
import { listAuditLog } from '../../services/audit-log.js';
import { builder } from '../builder.js';
import { connectionOf, pageArgs } from '../connection.js';
import { Tenant } from './tenant.js';

const AuditEntry = builder.objectRef<AuditLogRow>('AuditEntry').implement({
  description: 'One write, recorded in the same transaction. Secrets show as "[redacted]".',
  fields: (t) => ({
    id: t.exposeID('id'),
    action: t.exposeString('action', {
      description: 'e.g. settings.update, settings.reset, feature_flag.update, config.update.',
    }),
    actorKeyId: t.exposeID('actor_key_id', { nullable: true }),
    actorRole: t.exposeString('actor_role'),
    target: t.exposeString('target', { nullable: true }),
    changes: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Storage path → { old, new }.',
      resolve: (e) => e.changes,
    }),
    requestId: t.exposeString('request_id', { nullable: true }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.created_at }),
  }),
});

const AuditEntryConnection = connectionOf('AuditEntry', AuditEntry);

const AuditLogFilter = builder.inputType('AuditLogFilter', {
  fields: (t) => ({
    action: t.string({ required: false }),
    since: t.field({ type: 'DateTime', required: false, description: 'Inclusive.' }),
    until: t.field({ type: 'DateTime', required: false, description: 'Exclusive.' }),
  }),
});

builder.objectField(Tenant, 'auditLog', (t) =>
  t.field({
    type: AuditEntryConnection,
    description: "The tenant's audit entries, newest first.",
    authScopes: { viewer: true },
    args: { filter: t.arg({ type: AuditLogFilter, required: false }), ...pageArgs },
    resolve: (tenant, args, ctx) => listAuditLog(ctx, tenant, args.filter, args),
  }),
);
