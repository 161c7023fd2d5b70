import { SHARE_SCOPES } from '../../services/share-links.js';
import { DRY_RUN_QUERY, dryRunOf, withDryRun } from '../dry-run.js';
import { defineRoute, type JsonSchema } from '../route.js';
import { type CallerTenantData, TENANT_ID_QUERY, tenantIdOf } from './caller-tenant.js';

/** `/tenant/*` (seeds 000, 002, 004): the caller's own tenant, named by its key. */

const SETTINGS_DOCUMENT_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'The persisted settings record (seed 000 field names); the webhook signing secret is never returned.',
};

const me = defineRoute<{
  me: { role: string | null };
  currentTenant: { id: string; entitlements: Record<string, boolean> };
}>({
  method: 'GET',
  path: '/tenant/me',
  family: 'tenant',
  summary: 'Return tenant identity, active role, and enabled feature entitlements.',
  auth: 'key',
  operation: 'query RestTenantMe($tenantId: ID) { me { role } currentTenant(tenantId: $tenantId) { id entitlements } }',
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
      tenantId: { type: 'string' },
      role: {
        enum: ['viewer', 'operator', 'admin', 'platform_admin'],
        description: 'platform_admin when the platform admin names a tenant with tenant_id.',
      },
      entitlements: {
        type: 'object',
        additionalProperties: { type: 'boolean' },
        description: 'Subscription feature flags.',
      },
    },
  },
});

type SettingsData = { tenantSettings: Record<string, unknown>; version: number };

const getSettings = defineRoute<CallerTenantData<{ settings: SettingsData }>>({
  method: 'GET',
  path: '/tenant/settings',
  family: 'tenant',
  summary: 'Read tenant settings (retention policy, thresholds, webhook secret status).',
  auth: 'key',
  operation:
    'query RestTenantSettings($tenantId: ID) { currentTenant(tenantId: $tenantId) { settings { tenantSettings version } } }',
  query: TENANT_ID_QUERY,
  variables: tenantIdOf,
  respond: ({ currentTenant: { settings } }) => ({
    body: { settings: settings.tenantSettings },
    version: settings.version,
  }),
  concurrency: 'etag',
  responseSchema: { type: 'object', required: ['settings'], properties: { settings: SETTINGS_DOCUMENT_SCHEMA } },
});

/** PUT and PATCH are the same partial update (seed 000 documents PUT with every field optional). */
function updateSettings(method: 'PUT' | 'PATCH') {
  return defineRoute<{
    updateTenantSettings: { version: number; settings: { tenantSettings: Record<string, unknown> } };
  }>({
    method,
    path: '/tenant/settings',
    family: 'tenant',
    summary: 'Update tenant settings such as retention policy, thresholds, and webhook secret.',
    auth: 'key',
    operation: `mutation RestUpdateTenantSettings${method === 'PATCH' ? 'Patch' : ''}($tenantId: ID, $input: TenantSettingsPatch!, $expectedVersion: Int, $dryRun: Boolean) {
  updateTenantSettings(tenantId: $tenantId, input: $input, expectedVersion: $expectedVersion, dryRun: $dryRun) { version settings { tenantSettings } }
}`,
    query: { ...TENANT_ID_QUERY, ...DRY_RUN_QUERY },
    body: { required: true, description: 'Any subset of the settings fields.', graphqlInput: 'TenantSettingsPatch' },
    variables: (req) => ({
      ...tenantIdOf(req),
      input: req.body,
      expectedVersion: req.expectedVersion,
      ...dryRunOf(req),
    }),
    respond: ({ updateTenantSettings: p }, req) =>
      withDryRun({ body: { settings: p.settings.tenantSettings }, version: p.version }, req),
    concurrency: 'if-match',
    responseSchema: { type: 'object', required: ['settings'], properties: { settings: SETTINGS_DOCUMENT_SCHEMA } },
  });
}

type CreateShareLinkData = {
  createShareLink: {
    url: string;
    token: string;
    shareLink: { id: string; label: string | null; scope: string; expiresAt: string; createdAt: string };
  };
};

const SHARE_BODY = {
  required: false,
  description: 'expiresHours (1-720, default 168), label, scope (report | bundle | passport, default passport).',
  graphqlInput: 'CreateShareLinkInput',
};
const SHARE_OPERATION = (name: string) => `mutation ${name}($scanId: ID!, $input: CreateShareLinkInput) {
  createShareLink(scanId: $scanId, input: $input) { url token shareLink { id label scope expiresAt createdAt } }
}`;
const SCAN_PARAM = { scanId: { description: 'The scan to share.', format: 'uuid' as const } };
const URL_TOKEN_SCHEMA = {
  url: { type: 'string', format: 'uri', description: 'Public share URL.' },
  token: { type: 'string', description: 'Opaque share token (shown only here).' },
};

/** Seed 002's documented alias: exactly `{ url, token }`. */
const shareAlias = defineRoute<CreateShareLinkData>({
  method: 'POST',
  path: '/tenant/scans/:scanId/share',
  family: 'tenant',
  summary: 'Backward-compatible alias for creating tenant passport share links.',
  auth: 'key',
  operation: SHARE_OPERATION('RestShareScanAlias'),
  params: SCAN_PARAM,
  body: SHARE_BODY,
  variables: ({ params, body }) => ({ scanId: params.scanId, input: body }),
  respond: ({ createShareLink: p }) => ({ body: { url: p.url, token: p.token } }),
  status: 201,
  responseSchema: { type: 'object', required: ['url', 'token'], properties: URL_TOKEN_SCHEMA },
});

/** The canonical route: `{ url, token }` plus the link's id (needed to revoke it), scope, label and expiry. */
const createShareLink = defineRoute<CreateShareLinkData>({
  method: 'POST',
  path: '/tenant/scans/:scanId/share-links',
  family: 'tenant',
  summary: 'Create a share link for a scan.',
  auth: 'key',
  operation: SHARE_OPERATION('RestCreateShareLink'),
  params: SCAN_PARAM,
  body: SHARE_BODY,
  variables: ({ params, body }) => ({ scanId: params.scanId, input: body }),
  respond: ({ createShareLink: p }) => ({
    body: {
      url: p.url,
      token: p.token,
      id: p.shareLink.id,
      label: p.shareLink.label,
      scope: p.shareLink.scope,
      expiresAt: p.shareLink.expiresAt,
      createdAt: p.shareLink.createdAt,
    },
  }),
  status: 201,
  responseSchema: {
    type: 'object',
    required: ['url', 'token', 'id', 'scope', 'expiresAt'],
    properties: {
      ...URL_TOKEN_SCHEMA,
      id: { type: 'string', description: 'The link id (for DELETE /tenant/share-links/{id}).' },
      label: { type: ['string', 'null'] },
      scope: { enum: [...SHARE_SCOPES] },
      expiresAt: { type: 'string', format: 'date-time' },
      createdAt: { type: 'string', format: 'date-time' },
    },
  },
});

const revokeShareLink = defineRoute<{
  revokeShareLink: { shareLink: { id: string; revokedAt: string | null; active: boolean } };
}>({
  method: 'DELETE',
  path: '/tenant/share-links/:id',
  family: 'tenant',
  summary: 'Revoke a share link at once.',
  auth: 'key',
  operation:
    'mutation RestRevokeShareLink($id: ID!) { revokeShareLink(id: $id) { shareLink { id revokedAt active } } }',
  params: { id: { description: 'The share link id.', format: 'uuid' } },
  variables: ({ params }) => ({ id: params.id }),
  respond: ({ revokeShareLink: p }) => ({
    body: { id: p.shareLink.id, revoked: true, revokedAt: p.shareLink.revokedAt },
  }),
  responseSchema: {
    type: 'object',
    required: ['id', 'revoked', 'revokedAt'],
    properties: {
      id: { type: 'string' },
      revoked: { const: true },
      revokedAt: { type: 'string', format: 'date-time' },
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
