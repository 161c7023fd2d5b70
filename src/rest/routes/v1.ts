import { tenantConfigTree } from '../../catalog/tenant-config.js';
import { defineRoute, type JsonSchema } from '../route.js';

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
export function inBodyOrder(paths: string[], body: unknown): string[] {
  const rank = new Map(keyPathsInOrder(body).map((p, i) => [p, i]));
  return paths
    .map((path, i) => ({ path, key: rank.get(path) ?? Number.MAX_SAFE_INTEGER, i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((x) => x.path);
}

type ConfigTenant = { tenant: { id: string; createdAt: string; config: { document: Record<string, unknown>; version: number; updatedAt: string | null } } };

export const getConfig = defineRoute<ConfigTenant>({
  method: 'GET',
  path: '/api/v1/tenants/:id/config',
  family: 'v1',
  summary: 'Retrieves the complete configuration for a tenant.',
  auth: 'key',
  document: 'query RestV1TenantConfig($id: ID!) { tenant(id: $id) { id createdAt config { document version updatedAt } } }',
  params: TENANT_PARAM,
  variables: ({ params }) => ({ id: params.id }),
  // Never-updated config: its time is the tenant's creation (the defaults have held since).
  respond: ({ tenant }) => ({
    body: { tenant_id: tenant.id, ...tenant.config.document, updated_at: tenant.config.updatedAt ?? tenant.createdAt },
    version: tenant.config.version,
  }),
  concurrency: 'etag',
  responseSchema: configSchema,
});

export const updateConfig = defineRoute<{ updateTenantConfig: { updatedFields: string[]; version: number; updatedAt: string } }>({
  method: 'PUT',
  path: '/api/v1/tenants/:id/config',
  family: 'v1',
  summary: 'Updates tenant configuration with partial updates. Only provided fields will be modified.',
  auth: 'key',
  document: `mutation RestV1UpdateTenantConfig($id: ID, $input: TenantConfigPatch!, $expectedVersion: Int) {
  updateTenantConfig(tenantId: $id, input: $input, expectedVersion: $expectedVersion) { updatedFields version updatedAt }
}`,
  params: TENANT_PARAM,
  body: { required: true, description: 'Any of performance, security, backup, replication, compliance, custom_settings.', graphqlInput: 'TenantConfigPatch' },
  variables: ({ params, body, expectedVersion }) => ({ id: params.id, input: body, expectedVersion }),
  respond: ({ updateTenantConfig: p }, { params, body }) => ({
    body: {
      tenant_id: params.id,
      message: `Successfully updated ${p.updatedFields.length} configuration field(s)`,
      updated_fields: inBodyOrder(p.updatedFields, body),
      updated_at: p.updatedAt,
    },
    version: p.version,
  }),
  concurrency: 'if-match',
  responseSchema: {
    type: 'object',
    required: ['tenant_id', 'message', 'updated_fields', 'updated_at'],
    properties: {
      tenant_id: { type: 'string', format: 'uuid' },
      message: { type: 'string', description: '"Successfully updated N configuration field(s)"' },
      updated_fields: { type: 'array', items: { type: 'string' }, description: 'The fields that changed, in the order the request body gave them.' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
});

type FeatureData = { key: string; description: string; enabled: boolean; available: boolean; tierRequired: string };

export const listFeatures = defineRoute<{ tenant: { id: string; featureFlags: FeatureData[] } }>({
  method: 'GET',
  path: '/api/v1/tenants/:id/features',
  family: 'v1',
  summary: 'Lists all available features for the tenant with enabled status.',
  auth: 'key',
  document: 'query RestV1TenantFeatures($id: ID!) { tenant(id: $id) { id featureFlags { key description enabled available tierRequired } } }',
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

export const v1Routes = [getConfig, updateConfig, listFeatures];
