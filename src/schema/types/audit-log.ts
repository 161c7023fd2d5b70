import {
  AUDIT_EXPORT_MAX_PAGE_SIZE,
  AUDIT_LOG_EXPORT_FLAG,
  type AuditEntryRow,
  exportAuditLogPage,
  listAuditLog,
} from '../../services/audit-log.js';
import { builder } from '../builder.js';
import { connectionOf, pageArgs } from '../connection.js';
import { Tenant } from './tenant.js';

export const AuditEntry = builder.objectRef<AuditEntryRow>('AuditEntry').implement({
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
    action: t.string({
      required: false,
      description: 'Only this action (e.g. settings.update); a name no audit entry carries is BAD_USER_INPUT.',
    }),
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

builder.objectField(Tenant, 'auditLogExport', (t) =>
  t.field({
    type: AuditEntryConnection,
    description: `The tenant's audit entries for export (admin): the entries, order and filter of auditLog, in pages of up to ${AUDIT_EXPORT_MAX_PAGE_SIZE} (the default). FORBIDDEN while the tenant's ${AUDIT_LOG_EXPORT_FLAG} feature flag is disabled.`,
    authScopes: { admin: true },
    args: {
      filter: t.arg({ type: AuditLogFilter, required: false }),
      first: t.arg.int({
        required: false,
        description: `Page size, 1-${AUDIT_EXPORT_MAX_PAGE_SIZE} (default ${AUDIT_EXPORT_MAX_PAGE_SIZE}).`,
      }),
      after: t.arg.string({ required: false, description: 'The `endCursor` of the previous page.' }),
    },
    resolve: (tenant, args, ctx) => exportAuditLogPage(ctx, tenant, args.filter, args),
  }),
);
