import { entryAt } from '../../catalog/catalog.js';
import { tenantConfigTree } from '../../catalog/tenant-config.js';
import { sharedDocumentOf, valuesOf } from '../../services/setting-documents.js';
import {
  getTenantConfig,
  type TenantConfigView,
  type UpdateTenantConfigResult,
  updateTenantConfig,
} from '../../services/tenant-config.js';
import { builder } from '../builder.js';
import { namerWithSuffix, treeFields, treeInputFields } from '../catalog-types.js';
import { SettingChange, SettingValue } from './settings.js';
import { Tenant } from './tenant.js';

const names = namerWithSuffix('Config');
const sectionFields = treeFields<TenantConfigView>(
  tenantConfigTree,
  (v) => v.typed,
  names,
  [],
  (p) => entryAt('config', p).envVar,
);

const TenantConfig = builder.objectRef<TenantConfigView>('TenantConfig').implement({
  description: "A tenant's configuration (the v1 REST document), field names as documented.",
  fields: (t) => ({
    ...sectionFields(t),
    document: t.field({
      type: 'JSON',
      description: 'The configuration as one JSON document: the v1 REST GET body minus tenant_id and updated_at.',
      resolve: (v) => sharedDocumentOf('config', v.resolution, 'json'),
    }),
    values: t.field({
      type: [SettingValue],
      args: {
        prefix: t.arg.string({ required: false, description: 'Storage-path prefix, e.g. "config.performance."' }),
      },
      resolve: (v, args) => valuesOf(['config'], v.resolution, args.prefix),
    }),
    version: t.exposeInt('version', {
      description: 'Bumped by every write that changes something; pass as expectedVersion.',
    }),
    updatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (v) => v.updatedAt }),
  }),
});

builder.objectField(Tenant, 'config', (t) =>
  t.field({
    type: TenantConfig,
    authScopes: { viewer: true },
    resolve: (tenant, _args, ctx) => getTenantConfig(ctx, tenant),
  }),
);

const TenantConfigPatch = builder.inputType('TenantConfigPatch', {
  description:
    'Sections to change, partially (the v1 REST PUT body); custom_settings is merged key by key (null removes a key).',
  fields: (t) => treeInputFields(tenantConfigTree, names)(t),
});

const UpdateTenantConfigPayload = builder.objectRef<UpdateTenantConfigResult>('UpdateTenantConfigPayload').implement({
  fields: (t) => ({
    config: t.field({ type: TenantConfig, resolve: (p) => p.config }),
    changes: t.field({ type: [SettingChange], resolve: (p) => p.changes }),
    updatedFields: t.stringList({
      description: 'The paths that changed (section.field).',
      resolve: (p) => p.updatedFields,
    }),
    version: t.exposeInt('version'),
    updatedAt: t.field({ type: 'DateTime', resolve: (p) => p.updatedAt }),
  }),
});

builder.mutationField('updateTenantConfig', (t) =>
  t.field({
    type: UpdateTenantConfigPayload,
    nullable: true,
    description:
      'Updates the configuration partially (operator, admin); the configuration rules are checked on the merged result.',
    authScopes: { operator: true },
    args: {
      tenantId: t.arg.id(),
      input: t.arg({ type: TenantConfigPatch, required: true }),
      expectedVersion: t.arg.int(),
      dryRun: t.arg.boolean({
        description: 'Validate and answer what the write would answer, but write nothing (no audit, no version).',
      }),
    },
    resolve: (_root, args, ctx) =>
      updateTenantConfig(ctx, args.tenantId, args.input, args.expectedVersion, args.dryRun),
  }),
);
