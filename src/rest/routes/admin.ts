import { DRY_RUN_QUERY, dryRunOf, withDryRun } from '../dry-run.js';
import {
  defineRoute,
  type ExportFormatName,
  type JsonSchema,
  type QueryParamSpec,
  type RouteRequest,
  unixSeconds,
} from '../route.js';
import { graphql, type ResultOf } from '../typed-graphql.js';
import { TENANT_ID_QUERY, tenantIdOf } from './caller-tenant.js';
import { ADMIN_VERSIONS, versionBody, versionsSchema } from './history-versions.js';

/**
 * `/api/admin/*` (seed 001): the settings categories, feature flags, reset and the audit log of
 * the caller's tenant. Times are Unix seconds, as documented; `changes` is keyed by the dotted
 * path inside the category.
 */

/** The categories as the live schema's `SettingsCategory` enum lists them; anything else is 404. */
const CATEGORY_PARAM = { category: { description: 'Settings category.', graphqlEnum: 'SettingsCategory' } };

type Change = { path: string; old: unknown; new: unknown };

/**
 * `changes` as seed 001 documents it: `{ "password_policy.min_length": { old, new } }`, the path
 * relative to the category. GraphQL reports stored paths (`admin.authentication.password_policy…`)
 * or category paths; both lose their prefix here.
 */
function changesMap(changes: Change[], category: string): Record<string, { old: unknown; new: unknown }> {
  const out: Record<string, { old: unknown; new: unknown }> = {};
  for (const c of changes) {
    const path = c.path.replace(/^admin\./, '').replace(new RegExp(`^${category}\\.`), '');
    out[path] = { old: c.old, new: c.new };
  }
  return out;
}

const categorySchema: JsonSchema = {
  type: 'object',
  description: 'The category document (groups of fields, as seed 001 shows).',
};

const getAllSettings = defineRoute({
  method: 'GET',
  path: '/api/admin/settings',
  family: 'admin',
  summary: 'Get all settings',
  auth: 'key',
  operation: graphql(
    'query RestAdminAllSettings($tenantId: ID) { currentTenant(tenantId: $tenantId) { settings { version categories } } }',
  ),
  query: TENANT_ID_QUERY,
  variables: tenantIdOf,
  respond: ({ currentTenant: { settings } }) => ({ body: settings.categories, version: settings.version }),
  concurrency: 'etag',
  responseSchema: {
    type: 'object',
    description: 'Every category document, keyed by category name.',
    additionalProperties: categorySchema,
  },
});

const getCategory = defineRoute({
  method: 'GET',
  path: '/api/admin/settings/:category',
  family: 'admin',
  summary: 'Get settings by category',
  auth: 'key',
  operation: graphql(
    'query RestAdminCategory($tenantId: ID, $category: SettingsCategory!) { currentTenant(tenantId: $tenantId) { settings { version categoryValues(category: $category) } } }',
  ),
  params: CATEGORY_PARAM,
  query: TENANT_ID_QUERY,
  variables: (req) => ({ ...tenantIdOf(req), category: req.params.category }),
  respond: ({ currentTenant: { settings } }) => ({ body: settings.categoryValues, version: settings.version }),
  concurrency: 'etag',
  responseSchema: categorySchema,
});

const updateCategory = defineRoute({
  method: 'PUT',
  path: '/api/admin/settings/:category',
  family: 'admin',
  summary: 'Update settings by category',
  auth: 'key',
  operation:
    graphql(`mutation RestAdminUpdateCategory($tenantId: ID, $input: AdminSettingsPatch!, $expectedVersion: Int, $dryRun: Boolean) {
  updateAdminSettings(tenantId: $tenantId, input: $input, expectedVersion: $expectedVersion, dryRun: $dryRun) { changes { path old new } version updatedAt }
}`),
  params: CATEGORY_PARAM,
  query: { ...TENANT_ID_QUERY, ...DRY_RUN_QUERY },
  // The body is the category's partial document; GraphQL takes it as that category's field.
  body: {
    required: true,
    description: 'A partial category document.',
    graphqlInput: { type: 'AdminSettingsPatch', fieldFromParam: 'category' },
  },
  variables: (req) => ({
    ...tenantIdOf(req),
    input: { [req.params.category]: req.body },
    expectedVersion: req.expectedVersion,
    ...dryRunOf(req),
  }),
  respond: ({ updateAdminSettings: p }, req) =>
    withDryRun(
      {
        body: {
          updated: true,
          category: req.params.category,
          changes: changesMap(p!.changes, req.params.category),
          updated_at: unixSeconds(p!.updatedAt),
        },
        version: p!.version,
      },
      req,
    ),
  concurrency: 'if-match',
  responseSchema: {
    type: 'object',
    required: ['updated', 'category', 'changes', 'updated_at'],
    properties: {
      updated: { const: true },
      category: { type: 'string' },
      changes: { type: 'object', additionalProperties: { type: 'object', properties: { old: {}, new: {} } } },
      updated_at: { type: 'integer', description: 'Unix seconds.' },
    },
  },
});

const listFlags = defineRoute({
  method: 'GET',
  path: '/api/admin/settings/feature-flags',
  family: 'admin',
  summary: 'List feature flags',
  auth: 'key',
  operation: graphql(
    'query RestAdminFeatureFlags($tenantId: ID) { currentTenant(tenantId: $tenantId) { featureFlags { key displayName description enabled category impact } } }',
  ),
  query: TENANT_ID_QUERY,
  variables: tenantIdOf,
  respond: ({ currentTenant }) => {
    return {
      body: {
        flags: currentTenant.featureFlags.map((f) => ({
          key: f.key,
          display_name: f.displayName,
          description: f.description,
          enabled: f.enabled,
          category: f.category,
          impact: f.impact,
        })),
      },
    };
  },
  responseSchema: {
    type: 'object',
    required: ['flags'],
    properties: {
      flags: {
        type: 'array',
        items: {
          type: 'object',
          required: ['key', 'display_name', 'description', 'enabled', 'category', 'impact'],
          properties: {
            key: { type: 'string' },
            display_name: { type: 'string' },
            description: { type: 'string' },
            enabled: { type: 'boolean' },
            category: { type: 'string' },
            impact: { type: 'string' },
          },
        },
      },
    },
  },
});

const setFlag = defineRoute({
  method: 'PUT',
  path: '/api/admin/settings/feature-flags/:flag',
  family: 'admin',
  summary: 'Update feature flag',
  auth: 'key',
  operation: graphql(
    'mutation RestAdminSetFeatureFlag($tenantId: ID, $key: String!, $enabled: Boolean!, $dryRun: Boolean) { setFeatureFlag(tenantId: $tenantId, key: $key, enabled: $enabled, dryRun: $dryRun) { flag { key enabled } updatedAt } }',
  ),
  params: { flag: { description: 'Feature flag key.' } },
  query: { ...TENANT_ID_QUERY, ...DRY_RUN_QUERY },
  body: {
    required: true,
    description: 'Enable/disable.',
    schema: {
      type: 'object',
      required: ['enabled'],
      additionalProperties: false,
      properties: { enabled: { type: 'boolean', description: 'Enable/disable' } },
    },
  },
  variables: (req) => ({ ...tenantIdOf(req), key: req.params.flag, enabled: req.body.enabled, ...dryRunOf(req) }),
  respond: ({ setFeatureFlag: p }, req) =>
    withDryRun({ body: { key: p!.flag.key, enabled: p!.flag.enabled, updated_at: unixSeconds(p!.updatedAt) } }, req),
  responseSchema: {
    type: 'object',
    required: ['key', 'enabled', 'updated_at'],
    properties: {
      key: { type: 'string' },
      enabled: { type: 'boolean' },
      updated_at: { type: 'integer', description: 'Unix seconds.' },
    },
  },
});

const resetCategory = defineRoute({
  method: 'POST',
  path: '/api/admin/settings/reset/:category',
  family: 'admin',
  summary: 'Reset settings to default',
  auth: 'key',
  operation: graphql(
    'mutation RestAdminResetCategory($tenantId: ID, $category: SettingsCategory!, $dryRun: Boolean) { resetSettingsCategory(tenantId: $tenantId, category: $category, dryRun: $dryRun) { category reset resetAt } }',
  ),
  params: CATEGORY_PARAM,
  query: { ...TENANT_ID_QUERY, ...DRY_RUN_QUERY },
  variables: (req) => ({ ...tenantIdOf(req), category: req.params.category, ...dryRunOf(req) }),
  respond: ({ resetSettingsCategory: p }, req) =>
    withDryRun({ body: { reset: p!.reset, category: p!.category, reset_at: unixSeconds(p!.resetAt) } }, req),
  responseSchema: {
    type: 'object',
    required: ['reset', 'category', 'reset_at'],
    properties: {
      reset: { type: 'boolean' },
      category: { type: 'string' },
      reset_at: { type: 'integer', description: 'Unix seconds.' },
    },
  },
});

/** An audit entry, as both audit-log routes (list and export) select it. */
const AUDIT_ENTRY = graphql(
  'fragment RestAuditEntry on AuditEntry { id action actorKeyId actorRole target changes requestId createdAt }',
);

/** An audit entry as the audit-log routes answer it (list and export alike). */
const auditEntryOf = (e: ResultOf<typeof AUDIT_ENTRY>) => ({
  id: e.id,
  action: e.action,
  actor_key_id: e.actorKeyId,
  actor_role: e.actorRole,
  target: e.target,
  changes: e.changes,
  request_id: e.requestId,
  created_at: unixSeconds(e.createdAt),
});

/** Its schema; its properties, in this order, are also the export's CSV columns. */
const auditEntrySchema: JsonSchema = {
  type: 'object',
  required: ['id', 'action', 'actor_key_id', 'actor_role', 'target', 'changes', 'request_id', 'created_at'],
  properties: {
    id: { type: 'string' },
    action: { type: 'string' },
    actor_key_id: { type: ['string', 'null'] },
    actor_role: { type: 'string' },
    target: { type: ['string', 'null'] },
    changes: {},
    request_id: { type: ['string', 'null'] },
    created_at: { type: 'integer', description: 'Unix seconds.' },
  },
};

const AUDIT_FILTER_QUERY: Record<string, QueryParamSpec> = {
  action: {
    type: 'string',
    variable: 'filter.action',
    description: 'Only this action, e.g. settings.update (a name no entry can carry is 400).',
  },
  since: { type: 'timestamp', description: 'Entries at or after this time.' },
  until: { type: 'timestamp', description: 'Entries before this time.' },
};

const auditFilterOf = (req: RouteRequest) => ({
  filter: { action: req.query.action, since: req.query.since, until: req.query.until },
});

const auditLogs = defineRoute({
  method: 'GET',
  path: '/api/admin/audit-logs',
  family: 'admin',
  summary: 'Audit log of the tenant (e.g. action=settings.update), newest first, cursor-paginated.',
  auth: 'key',
  operation: graphql(
    `query RestAdminAuditLogs($tenantId: ID, $filter: AuditLogFilter, $first: Int, $after: String) {
  currentTenant(tenantId: $tenantId) { auditLog(filter: $filter, first: $first, after: $after) {
    nodes { ...RestAuditEntry }
    pageInfo { endCursor hasNextPage }
  } }
}`,
    [AUDIT_ENTRY],
  ),
  query: {
    ...TENANT_ID_QUERY,
    ...AUDIT_FILTER_QUERY,
    limit: { type: 'integer', description: 'Page size (1-100, default 20).' },
    cursor: { type: 'string', description: 'next_cursor of the previous page.' },
  },
  variables: (req) => ({
    ...tenantIdOf(req),
    ...auditFilterOf(req),
    first: req.query.limit,
    after: req.query.cursor,
  }),
  respond: ({ currentTenant: { auditLog: page } }) => ({
    body: {
      entries: page.nodes.map(auditEntryOf),
      next_cursor: page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null,
    },
  }),
  responseSchema: {
    type: 'object',
    required: ['entries', 'next_cursor'],
    properties: {
      entries: { type: 'array', items: auditEntrySchema },
      next_cursor: { type: ['string', 'null'], description: 'Pass as cursor for the next page; null on the last.' },
    },
  },
});

const AUDIT_EXPORT_FORMATS: readonly ExportFormatName[] = ['json', 'csv'];

const exportAuditLogs = defineRoute({
  method: 'GET',
  path: '/api/admin/audit-logs/export',
  family: 'admin',
  summary:
    "Export the tenant's audit log (admin; only while the audit_log_export feature flag is enabled): every entry the filter selects, newest first, as a streamed JSON array or CSV file.",
  auth: 'key',
  // No `first`: the field's own page size (AUDIT_EXPORT_MAX_PAGE_SIZE) is the export's.
  operation: graphql(
    `query RestAdminExportAuditLogs($tenantId: ID, $filter: AuditLogFilter, $after: String) {
  currentTenant(tenantId: $tenantId) { auditLogExport(filter: $filter, after: $after) {
    nodes { ...RestAuditEntry }
    pageInfo { endCursor hasNextPage }
  } }
}`,
    [AUDIT_ENTRY],
  ),
  query: {
    ...TENANT_ID_QUERY,
    format: {
      type: 'string',
      enum: AUDIT_EXPORT_FORMATS,
      description: `${AUDIT_EXPORT_FORMATS.join(' or ')} (default ${AUDIT_EXPORT_FORMATS[0]}).`,
    },
    ...AUDIT_FILTER_QUERY,
  },
  variables: (req) => ({ ...tenantIdOf(req), ...auditFilterOf(req) }),
  respond: ({ currentTenant }) => ({ body: currentTenant.auditLogExport.nodes.map(auditEntryOf) }),
  pages: {
    formats: AUDIT_EXPORT_FORMATS,
    format: (req) => (req.query.format as ExportFormatName | undefined) ?? AUDIT_EXPORT_FORMATS[0],
    next: ({ currentTenant: { auditLogExport: page } }) =>
      page.pageInfo.hasNextPage ? { after: page.pageInfo.endCursor } : null,
    filename: 'audit-log',
  },
  responseSchema: { type: 'array', items: auditEntrySchema },
});

const settingsHistory = defineRoute({
  method: 'GET',
  path: '/api/admin/settings/history',
  family: 'admin',
  summary: 'Versions of the settings (every category and the tenant settings share one counter), newest first.',
  auth: 'key',
  operation:
    graphql(`query RestAdminSettingsHistory($tenantId: ID, $path: String, $since: DateTime, $until: DateTime, $first: Int, $after: String) {
  currentTenant(tenantId: $tenantId) { history(document: SETTINGS, path: $path, since: $since, until: $until, first: $first, after: $after) {
    nodes { version createdAt actorRole actorKeyId requestId changes { path category old new } } pageInfo { endCursor hasNextPage } } }
}`),
  query: {
    ...TENANT_ID_QUERY,
    path: {
      type: 'string',
      description: 'Only versions changing a path with this prefix, e.g. password_policy. or authentication.',
    },
    since: { type: 'timestamp', description: 'Versions at or after this time.' },
    until: { type: 'timestamp', description: 'Versions before this time.' },
    limit: { type: 'integer', variable: 'first', description: 'Page size (1-100, default 20).' },
    cursor: { type: 'string', variable: 'after', description: 'next_cursor of the previous page.' },
  },
  variables: (req) => ({
    ...tenantIdOf(req),
    path: req.query.path,
    since: req.query.since,
    until: req.query.until,
    first: req.query.limit,
    after: req.query.cursor,
  }),
  respond: ({ currentTenant: { history } }) => ({
    body: {
      versions: history.nodes.map((v) => versionBody(v, ADMIN_VERSIONS)),
      next_cursor: history.pageInfo.hasNextPage ? history.pageInfo.endCursor : null,
    },
  }),
  responseSchema: {
    type: 'object',
    required: ['versions', 'next_cursor'],
    properties: {
      versions: versionsSchema(ADMIN_VERSIONS),
      next_cursor: { type: ['string', 'null'] },
    },
  },
});

const rollbackSettings = defineRoute({
  method: 'POST',
  path: '/api/admin/settings/rollback',
  family: 'admin',
  summary: 'Restore the settings (or only the listed paths) as they were after to_version, as a new version',
  auth: 'key',
  operation:
    graphql(`mutation RestAdminRollbackSettings($tenantId: ID, $toVersion: Int!, $paths: [String!], $expectedVersion: Int, $dryRun: Boolean) {
  rollback(document: SETTINGS, tenantId: $tenantId, toVersion: $toVersion, paths: $paths, expectedVersion: $expectedVersion, dryRun: $dryRun) { version updatedAt changes { path category old new } }
}`),
  query: { ...TENANT_ID_QUERY, ...DRY_RUN_QUERY },
  body: {
    required: true,
    description: 'The version to go back to and, optionally, the only paths to restore.',
    schema: {
      type: 'object',
      required: ['to_version'],
      additionalProperties: false,
      properties: {
        to_version: { type: 'integer', minimum: 0 },
        paths: {
          type: 'array',
          items: { type: 'string' },
          description: 'e.g. ["authentication.password_policy.min_length", "certExpiryDays"]',
        },
      },
    },
  },
  variables: (req) => ({
    ...tenantIdOf(req),
    toVersion: req.body.to_version,
    paths: req.body.paths,
    expectedVersion: req.expectedVersion,
    ...dryRunOf(req),
  }),
  respond: ({ rollback: p }, req) => {
    const changes: Record<string, { old: unknown; new: unknown }> = {};
    for (const c of p!.changes) changes[c.category ? `${c.category}.${c.path}` : c.path] = { old: c.old, new: c.new };
    return withDryRun(
      {
        body: { updated: true, to_version: req.body.to_version, changes, updated_at: unixSeconds(p!.updatedAt) },
        version: p!.version,
      },
      req,
    );
  },
  concurrency: 'if-match',
  responseSchema: {
    type: 'object',
    required: ['updated', 'to_version', 'changes', 'updated_at'],
    properties: {
      updated: { const: true },
      to_version: { type: 'integer' },
      changes: {
        type: 'object',
        description: 'category.path (or a seed 000 field) → { old, new }.',
        additionalProperties: { type: 'object', properties: { old: {}, new: {} } },
      },
      updated_at: { type: 'integer', description: 'Unix seconds.' },
      dry_run: { const: true, description: 'Present on a dry run (?dry_run=true): nothing was written.' },
    },
  },
});

const exportSettings = defineRoute({
  method: 'GET',
  path: '/api/admin/settings/export',
  family: 'admin',
  summary:
    'Export the tenant configuration (settings, categories, config, flags) as one versioned document; secrets left out (admin)',
  auth: 'key',
  operation: graphql(
    'query RestAdminExportSettings($tenantId: ID) { currentTenant(tenantId: $tenantId) { exportConfiguration } }',
  ),
  query: TENANT_ID_QUERY,
  variables: tenantIdOf,
  respond: ({ currentTenant }) => ({ body: currentTenant.exportConfiguration }),
  responseSchema: {
    type: 'object',
    required: ['format', 'format_version', 'settings', 'categories', 'config', 'feature_flags', 'secrets'],
    properties: {
      format: { const: 'tenant-configuration' },
      format_version: { const: 1 },
      tenant_id: { type: 'string', format: 'uuid' },
      exported_at: { type: 'string', format: 'date-time' },
      versions: { type: 'object' },
      settings: { type: 'object' },
      categories: { type: 'object' },
      config: { type: 'object' },
      feature_flags: { type: 'object', additionalProperties: { type: 'boolean' } },
      secrets: {
        type: 'object',
        additionalProperties: { enum: ['set', 'unset'] },
        description: 'Secret paths left out, and whether each is set.',
      },
    },
  },
});

const importSettings = defineRoute({
  method: 'POST',
  path: '/api/admin/settings/import',
  family: 'admin',
  summary:
    'Import an export into the tenant: one write per document, all or nothing, same validation and rules (admin)',
  auth: 'key',
  operation: graphql(`mutation RestAdminImportSettings($tenantId: ID, $document: JSON!, $dryRun: Boolean) {
  importConfiguration(tenantId: $tenantId, document: $document, dryRun: $dryRun) { dryRun changes { path old new } }
}`),
  query: { ...TENANT_ID_QUERY, ...DRY_RUN_QUERY },
  body: {
    required: true,
    description: 'The body GET /api/admin/settings/export answered.',
    schema: {
      type: 'object',
      required: ['format', 'format_version'],
      properties: { format: { type: 'string' }, format_version: { type: 'integer' } },
    },
  },
  variables: (req) => ({ ...tenantIdOf(req), document: req.body, ...dryRunOf(req) }),
  respond: ({ importConfiguration: p }, req) =>
    withDryRun(
      {
        body: {
          imported: true,
          changes: Object.fromEntries(p!.changes.map((c) => [c.path, { old: c.old, new: c.new }])),
        },
      },
      req,
    ),
  responseSchema: {
    type: 'object',
    required: ['imported', 'changes'],
    properties: {
      imported: { const: true },
      changes: {
        type: 'object',
        description: 'Prefixed path (settings., admin.<category>., config., feature_flags.) → { old, new }.',
      },
      dry_run: { const: true, description: 'Present on a dry run (?dry_run=true): nothing was written.' },
    },
  },
});

export const adminRoutes = [
  getAllSettings,
  listFlags,
  setFlag,
  resetCategory,
  getCategory,
  updateCategory,
  auditLogs,
  exportAuditLogs,
  settingsHistory,
  rollbackSettings,
  exportSettings,
  importSettings,
];
