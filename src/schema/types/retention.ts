import { type RetentionSweepResult, runRetentionSweep } from '../../services/retention.js';
import { builder } from '../builder.js';

const RetentionSweepPayload = builder.objectRef<RetentionSweepResult>('RetentionSweepPayload').implement({
  fields: (t) => ({
    deletedScans: t.exposeInt('deletedScans'),
    deletedShareLinks: t.exposeInt('deletedShareLinks'),
    deletedAuditEntries: t.exposeInt('deletedAuditEntries', {
      description:
        'Audit entries older than compliance.audit_log_retention_days (with the history versions of the same age).',
    }),
  }),
});

builder.mutationField('runRetentionSweep', (t) =>
  t.field({
    type: RetentionSweepPayload,
    nullable: true,
    description:
      "Deletes the tenant's unretained scans older than evidenceRetentionMonths, with their share links, now (admin).",
    authScopes: { admin: true },
    args: { tenantId: t.arg.id({ required: false }) },
    resolve: (_root, args, ctx) => runRetentionSweep(ctx, args.tenantId),
  }),
);
