import { adminSettingsTree, SETTINGS_CATEGORIES, type SettingsCategoryName } from '../../catalog/admin-settings.js';
import { entryAt } from '../../catalog/catalog.js';
import { tenantSettingsTree } from '../../catalog/tenant-settings.js';
import {
  type SettingChangeView,
  type SettingValueView,
  sharedDocumentOf,
  valuesOf,
} from '../../services/setting-documents.js';
import {
  getSettings,
  resetSettingsCategory,
  type SettingsView,
  type UpdateSettingsResult,
  updateAdminSettings,
  updateTenantSettings,
} from '../../services/settings.js';
import { builder } from '../builder.js';
import { namerWithSuffix, treeFields, treeInputFields } from '../catalog-types.js';
import { Tenant } from './tenant.js';

const SettingSourceEnum = builder.enumType('SettingSource', {
  description:
    'Where a value came from, in priority order: STORED (set through the API) > ENVIRONMENT > DEFAULT (code).',
  values: ['STORED', 'ENVIRONMENT', 'DEFAULT'] as const,
});

const SettingsCategoryEnum = builder.enumType('SettingsCategory', {
  description: 'The admin settings categories (authentication, notifications, and so on).',
  values: SETTINGS_CATEGORIES as readonly SettingsCategoryName[],
});

export const SettingChange = builder.objectRef<SettingChangeView>('SettingChange').implement({
  description:
    'One changed value. Admin settings: `path` inside `category` (e.g. password_policy.min_length); tenant config: section.field. Secrets show "[redacted]".',
  fields: (t) => ({
    path: t.exposeString('path'),
    category: t.field({
      type: SettingsCategoryEnum,
      nullable: true,
      resolve: (c) => c.category as SettingsCategoryName | null,
    }),
    old: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.old }),
    new: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.new }),
  }),
});

export const SettingValue = builder.objectRef<SettingValueView>('SettingValue').implement({
  description: 'A setting with its provenance (stored > environment > default).',
  fields: (t) => ({
    path: t.exposeString('path', {
      description: 'Storage path, e.g. admin.authentication.password_policy.min_length.',
    }),
    value: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The effective value ("[redacted]" for a set secret).',
      resolve: (v) => v.value,
    }),
    source: t.field({ type: SettingSourceEnum, resolve: (v) => v.source }),
    envVar: t.exposeString('envVar', { nullable: true }),
    defaultValue: t.field({ type: 'JSON', nullable: true, resolve: (v) => v.defaultValue }),
    secret: t.exposeBoolean('secret'),
    description: t.exposeString('description'),
    updatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (v) => v.updatedAt }),
  }),
});

const names = namerWithSuffix('Settings');
const seed000Fields = treeFields<SettingsView>(
  tenantSettingsTree,
  (v) => v.typed.settings,
  names,
  [],
  (p) => entryAt('settings', p).envVar,
);
const categoryFields = treeFields<SettingsView>(
  adminSettingsTree,
  (v) => v.typed.admin,
  names,
  [],
  (p) => entryAt('admin', p).envVar,
);

const Settings = builder.objectRef<SettingsView>('Settings').implement({
  description:
    "A tenant's settings: the product settings (camelCase) and the admin categories (snake_case), under one version.",
  fields: (t) => ({
    ...seed000Fields(t),
    ...categoryFields(t),
    tenantSettings: t.field({
      type: 'JSON',
      description:
        'The product settings as one JSON document (the REST body of GET /tenant/settings); the signing secret shows as "[redacted]" when set, null when not.',
      resolve: (v) => sharedDocumentOf('settings', v.resolution, 'json'),
    }),
    categoryValues: t.field({
      type: 'JSON',
      description: 'One admin category as a JSON document (the REST body of its category endpoint).',
      args: { category: t.arg({ type: SettingsCategoryEnum, required: true }) },
      resolve: (v, args) => sharedDocumentOf('admin', v.resolution, 'json')[args.category],
    }),
    categories: t.field({
      type: 'JSON',
      description: 'Every category, keyed by name (GET /api/admin/settings).',
      resolve: (v) => sharedDocumentOf('admin', v.resolution, 'json'),
    }),
    values: t.field({
      type: [SettingValue],
      args: {
        prefix: t.arg.string({
          required: false,
          description: 'Storage-path prefix, e.g. "admin.authentication." or "settings."',
        }),
      },
      resolve: (v, args) => valuesOf(['settings', 'admin'], v.resolution, args.prefix),
    }),
    version: t.exposeInt('version', {
      description: 'Bumped by every write that changes something; pass as expectedVersion.',
    }),
    updatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (v) => v.updatedAt }),
  }),
});

builder.objectField(Tenant, 'settings', (t) =>
  t.field({ type: Settings, authScopes: { viewer: true }, resolve: (tenant, _args, ctx) => getSettings(ctx, tenant) }),
);

const TenantSettingsPatch = builder.inputType('TenantSettingsPatch', {
  description: 'Product settings to change; omitted fields keep their values. webhookSigningSecret: null clears it.',
  fields: (t) => treeInputFields(tenantSettingsTree, names)(t),
});

const AdminSettingsPatch = builder.inputType('AdminSettingsPatch', {
  description: 'Admin categories to change (partial, at any depth).',
  fields: (t) => treeInputFields(adminSettingsTree, names)(t),
});

const UpdateSettingsPayload = builder.objectRef<UpdateSettingsResult>('UpdateSettingsPayload').implement({
  fields: (t) => ({
    settings: t.field({ type: Settings, resolve: (p) => p.settings }),
    changes: t.field({ type: [SettingChange], resolve: (p) => p.changes }),
    version: t.exposeInt('version'),
    updatedAt: t.field({ type: 'DateTime', resolve: (p) => p.updatedAt }),
  }),
});

type ResetResult = Awaited<ReturnType<typeof resetSettingsCategory>>;
const ResetSettingsPayload = builder.objectRef<ResetResult>('ResetSettingsPayload').implement({
  fields: (t) => ({
    category: t.field({ type: SettingsCategoryEnum, resolve: (p) => p.category }),
    reset: t.exposeBoolean('reset'),
    changes: t.field({ type: [SettingChange], resolve: (p) => p.changes }),
    version: t.exposeInt('version'),
    resetAt: t.field({ type: 'DateTime', resolve: (p) => p.resetAt }),
  }),
});

builder.mutationFields((t) => ({
  updateTenantSettings: t.field({
    type: UpdateSettingsPayload,
    nullable: true,
    description: "Updates the tenant's product settings (operator, admin). Stale expectedVersion: CONFLICT.",
    authScopes: { operator: true },
    args: {
      tenantId: t.arg.id(),
      input: t.arg({ type: TenantSettingsPatch, required: true }),
      expectedVersion: t.arg.int(),
      dryRun: t.arg.boolean({
        description: 'Validate and answer what the write would answer, but write nothing (no audit, no version).',
      }),
    },
    resolve: (_root, args, ctx) =>
      updateTenantSettings(ctx, args.tenantId, args.input, args.expectedVersion, args.dryRun),
  }),
  updateAdminSettings: t.field({
    type: UpdateSettingsPayload,
    nullable: true,
    description: 'Updates one or more admin settings categories, partially (operator, admin).',
    authScopes: { operator: true },
    args: {
      tenantId: t.arg.id(),
      input: t.arg({ type: AdminSettingsPatch, required: true }),
      expectedVersion: t.arg.int(),
      dryRun: t.arg.boolean({
        description: 'Validate and answer what the write would answer, but write nothing (no audit, no version).',
      }),
    },
    resolve: (_root, args, ctx) =>
      updateAdminSettings(ctx, args.tenantId, args.input, args.expectedVersion, args.dryRun),
  }),
  resetSettingsCategory: t.field({
    type: ResetSettingsPayload,
    nullable: true,
    description: "Deletes a category's stored values so environment and defaults apply again (admin).",
    authScopes: { admin: true },
    args: {
      tenantId: t.arg.id(),
      category: t.arg({ type: SettingsCategoryEnum, required: true }),
      dryRun: t.arg.boolean({
        description: 'Validate and answer what the write would answer, but write nothing (no audit, no version).',
      }),
    },
    resolve: (_root, args, ctx) => resetSettingsCategory(ctx, args.tenantId, args.category, args.dryRun),
  }),
}));
