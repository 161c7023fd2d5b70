import type { ScanRow } from '../../db/tables.js';
import { createScan, getScan, listScans } from '../../services/scans.js';
import { builder } from '../builder.js';
import { connectionOf, pageArgs } from '../connection.js';
import { Tenant } from './tenant.js';

export const Scan = builder.objectRef<ScanRow>('Scan').implement({
  description: "A scan's recorded results; belongs to one tenant.",
  fields: (t) => ({
    id: t.exposeID('id'),
    target: t.exposeString('target'),
    status: t.exposeString('status'),
    createdAt: t.field({ type: 'DateTime', resolve: (s) => s.created_at }),
    summary: t.field({ type: 'JSON', nullable: true, resolve: (s) => s.summary }),
    report: t.field({ type: 'JSON', nullable: true, resolve: (s) => s.report }),
    retained: t.exposeBoolean('retained', { description: 'Kept by the retention sweep whatever its age.' }),
  }),
});

const ScanConnection = connectionOf('Scan', Scan);

builder.objectField(Tenant, 'scans', (t) =>
  t.field({
    type: ScanConnection,
    description: "The tenant's scans, newest first.",
    authScopes: { viewer: true },
    args: pageArgs,
    resolve: (tenant, args, ctx) => listScans(ctx, tenant.id, args),
  }),
);

builder.queryField('scan', (t) =>
  t.field({
    type: Scan,
    nullable: true,
    description: "A scan by id; another tenant's scan is NOT_FOUND, as an unknown one is.",
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => getScan(ctx, args.id),
  }),
);

const CreateScanInput = builder.inputType('CreateScanInput', {
  fields: (t) => ({
    target: t.string({ required: true, description: 'What was scanned, 1-2048 characters.' }),
    report: t.field({ type: 'JSON', required: false, description: 'The full report, at most 1 MB serialized.' }),
    summary: t.field({ type: 'JSON', required: false, description: 'A short summary, at most 64 KB serialized.' }),
    retained: t.boolean({
      required: false,
      description: "Exempt from the retention sweep; defaults to the tenant's autoRetainScans setting.",
    }),
  }),
});

const CreateScanPayload = builder.objectRef<{ scan: ScanRow }>('CreateScanPayload').implement({
  fields: (t) => ({ scan: t.field({ type: Scan, nullable: true, resolve: (p) => p.scan }) }),
});

builder.mutationField('createScan', (t) =>
  t.field({
    type: CreateScanPayload,
    nullable: true,
    description: "Records a scan's results (operator or admin).",
    authScopes: { operator: true },
    args: { tenantId: t.arg.id({ required: false }), input: t.arg({ type: CreateScanInput, required: true }) },
    resolve: async (_root, { tenantId, input }, ctx) => ({ scan: await createScan(ctx, tenantId, input) }),
  }),
);
