import { exportConfiguration } from '../../services/configuration-export.js';
import { type ImportResult, importConfiguration } from '../../services/configuration-import.js';
import { builder } from '../builder.js';
import { SettingChange } from './settings.js';
import { Tenant } from './tenant.js';

builder.objectField(Tenant, 'exportConfiguration', (t) =>
  t.field({
    type: 'JSON',
    description:
      'Settings, categories, config and flags as one versioned JSON document (admin); secrets left out, listed by path as set/unset.',
    authScopes: { admin: true },
    resolve: (tenant, _args, ctx) => exportConfiguration(ctx, tenant),
  }),
);

const ImportConfigurationPayload = builder.objectRef<ImportResult>('ImportConfigurationPayload').implement({
  fields: (t) => ({
    changes: t.field({
      type: [SettingChange],
      description: 'Paths prefixed by their document: settings., admin.<category>., config., feature_flags.',
      resolve: (p) => p.changes,
    }),
    dryRun: t.exposeBoolean('dryRun'),
  }),
});

builder.mutationField('importConfiguration', (t) =>
  t.field({
    type: ImportConfigurationPayload,
    nullable: true,
    description:
      'Applies an exportConfiguration document (admin): one write per document, all or nothing, through the same validation and rules.',
    authScopes: { admin: true },
    args: { tenantId: t.arg.id(), document: t.arg({ type: 'JSON', required: true }), dryRun: t.arg.boolean() },
    resolve: (_root, args, ctx) => importConfiguration(ctx, args.tenantId, args.document, args.dryRun),
  }),
);
