import { tenantConfigTree } from '../../catalog/tenant-config.js';
import { DRY_RUN_QUERY, dryRunOf, withDryRun } from '../dry-run.js';
import { defineRoute, type JsonSchema } from '../route.js';
import { graphql } from '../typed-graphql.js';
import { V1_VERSIONS, versionBody, versionsSchema } from './history-versions.js';

/**
 * `/api/v1/tenants/{id}/*` (seed 003): a tenant named in the path. A tenant key may name only its
 * own tenant (another id is 403 whether it exists or not); the platform admin may name any
 * (an unknown one is 404). Those checks are GraphQL's (`requireTenant`); the id goes on as is.
 */

const TENANT_PARAM = { id: { description: 'Tenant identifier (UUID).' } };

/** Seed 003 speaks Basic | Pro | Enterprise where GraphQL's Tier enum says BASIC | PRO | ENTERPRISE. */
const TIER_LABEL: Record<string, string> = { BASIC: 'Basic', PRO: 'Pro', ENTERPRISE: 'Enterprise' };

const SECTIONS = Object.keys(tenantConfigTree).filter((s) => s !== 'custom_settings');
const configSchema: JsonSchema = {
  type: 'object',
  required: ['tenant_id', ...SECTIONS, 'custom_settings', 'updated_at'],
  properties: {
    tenant_id: { type: 'string', format: 'uuid' },
    ...Object.fromEntries(SECTIONS.map((s) => [s, { type: 'object' }])),
    custom_settings: { type: 'object', additionalProperties: true },
    updated_at: { type: 'string', format: 'date-time' },
  },
};

/** Every dotted key path of a JSON body, in the order the client wrote them (parents first). */
function keyPathsInOrder(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...keyPathsInOrder(child, path)];
  });
}

/**
 * Seed 003's examples list `updated_fields` in the order the request body gave them. GraphQL
 * input objects do not keep the client's key order (the service sees the schema's order), but
 * the parsed body here does: a presentation reordering only, the set comes from GraphQL.
 */
function inBodyOrder(paths: string[], body: unknown): string[] {
  const rank = new Map(keyPathsInOrder(body).map((p, i) => [p, i]));
  return paths
    .map((path, i) => ({ path, key: rank.get(path) ?? Number.MAX_SAFE_INTEGER, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((x) => x.path);
}

const getConfig = defineRoute({
  method: 'GET',
  path: '/api/v1/tenants/:id/config',
  family: 'v1',
  summary: 'Retrieves the complete configuration for a tenant.',
  auth: 'key',
  operation: graphql(
    'query RestV1TenantConfig($id: ID!) { tenant(id: $id) { id createdAt config { document version updatedAt } } }',
  ),
  params: TENANT_PARAM,
  variables: ({ params }) => ({ id: params.id }),
  // Never-updated config: its time is the tenant's creation (the defaults have held since).
  respond: ({ tenant }) => ({
    body: {
      tenant_id: tenant.id,
      ...(tenant.config.document as Record<string, unknown>),
      updated_at: tenant.config.updatedAt ?? tenant.createdAt,
    },
    version: tenant.config.version,
  }),
  concurrency: 'etag',
  responseSchema: configSchema,
});

const configWriteSchema: JsonSchema = {
  type: 'object',
  required: ['tenant_id', 'message', 'updated_fields', 'updated_at'],
  properties: {
    tenant_id: { type: 'string', format: 'uuid' },
    message: { type: 'string', description: '"Successfully updated N configuration field(s)"' },
    updated_fields: {
      type: 'array',
      items: { type: 'string' },
      description: 'The fields that changed, in the order the request body gave them.',
    },
    updated_at: { type: 'string', format: 'date-time' },
    dry_run: { const: true, description: 'Present on a dry run (?dry_run=true): nothing was written.' },
  },
};

/** The answer of a config write (PUT …/config, POST …/config/rollback). */
function configWriteBody(
  tenantId: string,
  p: { updatedFields: string[]; version: number; updatedAt: string },
  body: unknown,
) {
  return {
    body: {
      tenant_id: tenantId,
      message: `Successfully updated ${p.updatedFields.length} configuration field(s)`,
      updated_fields: inBodyOrder(p.updatedFields, body),
      updated_at: p.updatedAt,
    },
    version: p.version,
  };
}

const updateConfig = defineRoute({
  method: 'PUT',
  path: '/api/v1/tenants/:id/config',
  family: 'v1',
  summary: 'Updates tenant configuration with partial updates. Only provided fields will be modified.',
  auth: 'key',
  operation:
    graphql(`mutation RestV1UpdateTenantConfig($id: ID, $input: TenantConfigPatch!, $expectedVersion: Int, $dryRun: Boolean) {
  updateTenantConfig(tenantId: $id, input: $input, expectedVersion: $expectedVersion, dryRun: $dryRun) { updatedFields version updatedAt }
}`),
  params: TENANT_PARAM,
  query: DRY_RUN_QUERY,
  body: {
    required: true,
    description: 'Any of performance, security, backup, replication, compliance, custom_settings.',
    graphqlInput: 'TenantConfigPatch',
  },
  variables: (req) => ({ id: req.params.id, input: req.body, expectedVersion: req.expectedVersion, ...dryRunOf(req) }),
  respond: ({ updateTenantConfig: p }, req) => withDryRun(configWriteBody(req.params.id, p!, req.body), req),
  concurrency: 'if-match',
  responseSchema: configWriteSchema,
});

const listFeatures = defineRoute({
  method: 'GET',
  path: '/api/v1/tenants/:id/features',
  family: 'v1',
  summary: 'Lists all available features for the tenant with enabled status.',
  auth: 'key',
  operation: graphql(
    'query RestV1TenantFeatures($id: ID!) { tenant(id: $id) { id featureFlags { key description enabled available tierRequired } } }',
  ),
  params: TENANT_PARAM,
  variables: ({ params }) => ({ id: params.id }),
  respond: ({ tenant }) => {
    const features = tenant.featureFlags.map((f) => ({
      name: f.key,
      enabled: f.enabled,
      available: f.available,
      description: f.description,
      tier_required: TIER_LABEL[f.tierRequired] ?? f.tierRequired,
    }));
    return {
      body: {
        tenant_id: tenant.id,
        features,
        total_enabled: features.filter((f) => f.enabled).length,
        total_available: features.filter((f) => f.available).length,
      },
    };
  },
  responseSchema: {
    type: 'object',
    required: ['tenant_id', 'features', 'total_enabled', 'total_available'],
    properties: {
      tenant_id: { type: 'string', format: 'uuid' },
      features: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'enabled', 'available', 'description', 'tier_required'],
          properties: {
            name: { type: 'string' },
            enabled: { type: 'boolean' },
            available: { type: 'boolean' },
            description: { type: 'string' },
            tier_required: { enum: ['Basic', 'Pro', 'Enterprise'] },
          },
        },
      },
      total_enabled: { type: 'integer' },
      total_available: { type: 'integer' },
    },
  },
});

const configHistory = defineRoute({
  method: 'GET',
  path: '/api/v1/tenants/:id/config/history',
  family: 'v1',
  summary: 'Lists the versions of the tenant configuration, newest first, with their changes.',
  auth: 'key',
  operation:
    graphql(`query RestV1ConfigHistory($id: ID!, $path: String, $since: DateTime, $until: DateTime, $first: Int, $after: String) {
  tenant(id: $id) { id history(document: TENANT_CONFIG, path: $path, since: $since, until: $until, first: $first, after: $after) {
    nodes { version createdAt actorRole actorKeyId requestId changes { path old new } } pageInfo { endCursor hasNextPage } } }
}`),
  params: TENANT_PARAM,
  query: {
    path: { type: 'string', description: 'Only versions changing a path with this prefix, e.g. performance.' },
    since: { type: 'timestamp', description: 'Versions at or after this time.' },
    until: { type: 'timestamp', description: 'Versions before this time.' },
    limit: { type: 'integer', variable: 'first', description: 'Page size (1-100, default 20).' },
    cursor: { type: 'string', variable: 'after', description: 'next_cursor of the previous page.' },
  },
  variables: ({ params, query }) => ({
    id: params.id,
    path: query.path,
    since: query.since,
    until: query.until,
    first: query.limit,
    after: query.cursor,
  }),
  respond: ({ tenant }) => ({
    body: {
      tenant_id: tenant.id,
      versions: tenant.history.nodes.map((v) => versionBody(v, V1_VERSIONS)),
      next_cursor: tenant.history.pageInfo.hasNextPage ? tenant.history.pageInfo.endCursor : null,
    },
  }),
  responseSchema: {
    type: 'object',
    required: ['tenant_id', 'versions', 'next_cursor'],
    properties: {
      tenant_id: { type: 'string', format: 'uuid' },
      versions: versionsSchema(V1_VERSIONS),
      next_cursor: { type: ['string', 'null'] },
    },
  },
});

/** A version number from the path; anything else names no version (-1 → 404 from GraphQL). */
const versionOf = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : -1);

const configVersion = defineRoute({
  method: 'GET',
  path: '/api/v1/tenants/:id/config/versions/:version',
  family: 'v1',
  summary: 'The configuration as it was after a version (the GET …/config body plus version). Unknown version: 404.',
  auth: 'key',
  // history(after: version + 1, first: 1) is the version itself: its time is the body's updated_at.
  operation: graphql(`query RestV1ConfigVersion($id: ID!, $version: Int!, $after: String) {
  tenant(id: $id) { id createdAt documentAt(document: TENANT_CONFIG, version: $version) history(document: TENANT_CONFIG, first: 1, after: $after) { nodes { version createdAt } } }
}`),
  params: { ...TENANT_PARAM, version: { description: 'A version number (0: before the first write).' } },
  variables: ({ params }) => {
    const version = versionOf(params.version);
    return { id: params.id, version, after: Buffer.from(String(version + 1), 'utf8').toString('base64url') };
  },
  respond: ({ tenant }, { params }) => {
    const version = versionOf(params.version);
    const at = tenant.history.nodes.find((n) => n.version === version);
    return {
      body: {
        tenant_id: tenant.id,
        ...(tenant.documentAt as Record<string, unknown>),
        updated_at: at?.createdAt ?? tenant.createdAt,
        version,
      },
    };
  },
  responseSchema: {
    ...configSchema,
    required: [...(configSchema.required as string[]), 'version'],
    properties: { ...(configSchema.properties as object), version: { type: 'integer' } },
  },
});

const rollbackConfig = defineRoute({
  method: 'POST',
  path: '/api/v1/tenants/:id/config/rollback',
  family: 'v1',
  summary:
    'Restores the configuration (or only the listed paths) as it was after to_version, as a new version. Same rules as PUT …/config.',
  auth: 'key',
  operation:
    graphql(`mutation RestV1RollbackConfig($id: ID, $toVersion: Int!, $paths: [String!], $expectedVersion: Int, $dryRun: Boolean) {
  rollback(document: TENANT_CONFIG, tenantId: $id, toVersion: $toVersion, paths: $paths, expectedVersion: $expectedVersion, dryRun: $dryRun) { version updatedAt changes { path } }
}`),
  params: TENANT_PARAM,
  query: DRY_RUN_QUERY,
  body: {
    required: true,
    description: 'The version to go back to and, optionally, the only paths to restore.',
    schema: {
      type: 'object',
      required: ['to_version'],
      additionalProperties: false,
      properties: {
        to_version: { type: 'integer', minimum: 0 },
        paths: { type: 'array', items: { type: 'string' }, description: 'e.g. ["performance.cache_size_mb"]' },
      },
    },
  },
  variables: (req) => ({
    id: req.params.id,
    toVersion: req.body.to_version,
    paths: req.body.paths,
    expectedVersion: req.expectedVersion,
    ...dryRunOf(req),
  }),
  respond: ({ rollback: p }, req) =>
    withDryRun(
      configWriteBody(
        req.params.id,
        { updatedFields: p!.changes.map((c) => c.path), version: p!.version, updatedAt: p!.updatedAt },
        null,
      ),
      req,
    ),
  concurrency: 'if-match',
  responseSchema: configWriteSchema,
});

export const v1Routes = [getConfig, updateConfig, listFeatures, configHistory, configVersion, rollbackConfig];
