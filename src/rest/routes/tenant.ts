import { DRY_RUN_QUERY, dryRunOf, withDryRun } from '../dry-run.js';
import { defineRoute, type JsonSchema, selected } from '../route.js';
import { graphql } from '../typed-graphql.js';
import { TENANT_ID_QUERY, tenantIdOf } from './caller-tenant.js';

/** `/tenant/*` (seeds 000, 002, 004): the caller's own tenant, named by its key. */

const SETTINGS_DOCUMENT_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'The persisted settings record (seed 000 field names); the webhook signing secret is never returned.',
};

const me = defineRoute({
  method: 'GET',
  path: '/tenant/me',
  family: 'tenant',
  summary: 'Return tenant identity, active role, and enabled feature entitlements.',
  auth: 'key',
  operation: graphql(
    'query RestTenantMe($tenantId: ID) { me { role } currentTenant(tenantId: $tenantId) { id entitlements } }',
  ),
  query: TENANT_ID_QUERY,
  variables: tenantIdOf,
  // Seed 004 documents roles as viewer | operator | admin (a tenant key always has one); the
  // platform admin, which has no tenant role, is named as such.
  respond: ({ me, currentTenant }) => ({
    body: {
      status: 'success',
      tenantId: currentTenant.id,
      role: me.role ? me.role.toLowerCase() : 'platform_admin',
      entitlements: currentTenant.entitlements,
    },
  }),
  responseSchema: {
    type: 'object',
    required: ['status', 'tenantId', 'role', 'entitlements'],
    properties: {
      status: { const: 'success' },
      tenantId: selected('currentTenant.id'),
      role: {
        enum: ['viewer', 'operator', 'admin', 'platform_admin'],
        description: 'platform_admin when the platform admin names a tenant with tenant_id.',
      },
      // JSON in the schema: its shape is written here.
      entitlements: selected('currentTenant.entitlements', {
        type: 'object',
        additionalProperties: { type: 'boolean' },
      }),
    },
  },
});

const getSettings = defineRoute({
  method: 'GET',
  path: '/tenant/settings',
  family: 'tenant',
  summary: 'Read tenant settings (retention policy, thresholds, webhook secret status).',
  auth: 'key',
  operation: graphql(
    'query RestTenantSettings($tenantId: ID) { currentTenant(tenantId: $tenantId) { settings { tenantSettings version } } }',
  ),
  query: TENANT_ID_QUERY,
  variables: tenantIdOf,
  respond: ({ currentTenant: { settings } }) => ({
    body: { settings: settings.tenantSettings },
    version: settings.version,
  }),
  concurrency: 'etag',
  responseSchema: { type: 'object', required: ['settings'], properties: { settings: SETTINGS_DOCUMENT_SCHEMA } },
});

/** What an update of the settings answers, the same for PUT and PATCH. */
const UPDATED_SETTINGS = graphql(
  'fragment RestUpdatedTenantSettings on UpdateSettingsPayload { version settings { tenantSettings } }',
);

/** PUT and PATCH are the same partial update (seed 000 documents PUT with every field optional). */
const UPDATE_SETTINGS_DOCUMENTS = {
  PUT: graphql(
    `mutation RestUpdateTenantSettings($tenantId: ID, $input: TenantSettingsPatch!, $expectedVersion: Int, $dryRun: Boolean) {
  updateTenantSettings(tenantId: $tenantId, input: $input, expectedVersion: $expectedVersion, dryRun: $dryRun) { ...RestUpdatedTenantSettings }
}`,
    [UPDATED_SETTINGS],
  ),
  PATCH: graphql(
    `mutation RestUpdateTenantSettingsPatch($tenantId: ID, $input: TenantSettingsPatch!, $expectedVersion: Int, $dryRun: Boolean) {
  updateTenantSettings(tenantId: $tenantId, input: $input, expectedVersion: $expectedVersion, dryRun: $dryRun) { ...RestUpdatedTenantSettings }
}`,
    [UPDATED_SETTINGS],
  ),
};

function updateSettings(method: 'PUT' | 'PATCH') {
  return defineRoute({
    method,
    path: '/tenant/settings',
    family: 'tenant',
    summary: 'Update tenant settings such as retention policy, thresholds, and webhook secret.',
    auth: 'key',
    operation: UPDATE_SETTINGS_DOCUMENTS[method],
    query: { ...TENANT_ID_QUERY, ...DRY_RUN_QUERY },
    body: { required: true, description: 'Any subset of the settings fields.', graphqlInput: 'TenantSettingsPatch' },
    variables: (req) => ({
      ...tenantIdOf(req),
      input: req.body,
      expectedVersion: req.expectedVersion,
      ...dryRunOf(req),
    }),
    respond: ({ updateTenantSettings: p }, req) =>
      withDryRun({ body: { settings: p!.settings.tenantSettings }, version: p!.version }, req),
    concurrency: 'if-match',
    responseSchema: { type: 'object', required: ['settings'], properties: { settings: SETTINGS_DOCUMENT_SCHEMA } },
  });
}

const SHARE_BODY = {
  required: false,
  description: 'expiresHours (1-720, default 168), label, scope (report | bundle | passport, default passport).',
  graphqlInput: 'CreateShareLinkInput',
};
/** What creating a share link answers, the same for both paths. */
const CREATED_SHARE_LINK = graphql(
  'fragment RestCreatedShareLink on CreateShareLinkPayload { url token shareLink { id label scope expiresAt createdAt } }',
);
const SCAN_PARAM = { scanId: { description: 'The scan to share.', format: 'uuid' as const } };
const URL_TOKEN_SCHEMA = {
  url: selected('createShareLink.url', { format: 'uri' }),
  token: selected('createShareLink.token'),
};

/** Seed 002's documented alias: exactly `{ url, token }`. */
const shareAlias = defineRoute({
  method: 'POST',
  path: '/tenant/scans/:scanId/share',
  family: 'tenant',
  summary: 'Backward-compatible alias for creating tenant passport share links.',
  auth: 'key',
  operation: graphql(
    `mutation RestShareScanAlias($scanId: ID!, $input: CreateShareLinkInput) {
  createShareLink(scanId: $scanId, input: $input) { ...RestCreatedShareLink }
}`,
    [CREATED_SHARE_LINK],
  ),
  params: SCAN_PARAM,
  body: SHARE_BODY,
  variables: ({ params, body }) => ({ scanId: params.scanId, input: body }),
  respond: ({ createShareLink: p }) => ({ body: { url: p!.url, token: p!.token } }),
  status: 201,
  responseSchema: { type: 'object', required: ['url', 'token'], properties: URL_TOKEN_SCHEMA },
});

/** The canonical route: `{ url, token }` plus the link's id (needed to revoke it), scope, label and expiry. */
const createShareLink = defineRoute({
  method: 'POST',
  path: '/tenant/scans/:scanId/share-links',
  family: 'tenant',
  summary: 'Create a share link for a scan.',
  auth: 'key',
  operation: graphql(
    `mutation RestCreateShareLink($scanId: ID!, $input: CreateShareLinkInput) {
  createShareLink(scanId: $scanId, input: $input) { ...RestCreatedShareLink }
}`,
    [CREATED_SHARE_LINK],
  ),
  params: SCAN_PARAM,
  body: SHARE_BODY,
  variables: ({ params, body }) => ({ scanId: params.scanId, input: body }),
  respond: ({ createShareLink: p }) => ({
    body: {
      url: p!.url,
      token: p!.token,
      id: p!.shareLink.id,
      label: p!.shareLink.label,
      scope: p!.shareLink.scope,
      expiresAt: p!.shareLink.expiresAt,
      createdAt: p!.shareLink.createdAt,
    },
  }),
  status: 201,
  responseSchema: {
    type: 'object',
    required: ['url', 'token', 'id', 'scope', 'expiresAt'],
    properties: {
      ...URL_TOKEN_SCHEMA,
      id: selected('createShareLink.shareLink.id', {
        description: 'The link id (for DELETE /tenant/share-links/{id}).',
      }),
      label: selected('createShareLink.shareLink.label'),
      scope: selected('createShareLink.shareLink.scope'),
      expiresAt: selected('createShareLink.shareLink.expiresAt'),
      createdAt: selected('createShareLink.shareLink.createdAt'),
    },
  },
});

const revokeShareLink = defineRoute({
  method: 'DELETE',
  path: '/tenant/share-links/:id',
  family: 'tenant',
  summary: 'Revoke a share link at once.',
  auth: 'key',
  operation: graphql(
    'mutation RestRevokeShareLink($id: ID!) { revokeShareLink(id: $id) { shareLink { id revokedAt active } } }',
  ),
  params: { id: { description: 'The share link id.', format: 'uuid' } },
  variables: ({ params }) => ({ id: params.id }),
  respond: ({ revokeShareLink: p }) => ({
    body: { id: p!.shareLink!.id, revoked: true, revokedAt: p!.shareLink!.revokedAt },
  }),
  responseSchema: {
    type: 'object',
    required: ['id', 'revoked', 'revokedAt'],
    properties: {
      id: selected('revokeShareLink.shareLink.id'),
      revoked: { const: true },
      revokedAt: selected('revokeShareLink.shareLink.revokedAt'),
    },
  },
});

export const tenantRoutes = [
  me,
  getSettings,
  updateSettings('PUT'),
  updateSettings('PATCH'),
  shareAlias,
  createShareLink,
  revokeShareLink,
];
