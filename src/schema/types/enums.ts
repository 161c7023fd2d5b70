import { TIERS } from '../../catalog/features.js';
import { builder } from '../builder.js';

export const TierEnum = builder.enumType('Tier', {
  description: 'Subscription tier, ordered: BASIC < PRO < ENTERPRISE.',
  values: TIERS,
});

export const RoleEnum = builder.enumType('Role', {
  description: 'Role of a tenant API key, ordered: VIEWER < OPERATOR < ADMIN.',
  values: ['VIEWER', 'OPERATOR', 'ADMIN'] as const,
});

export const ConfigDocumentEnum = builder.enumType('ConfigDocument', {
  description:
    'A versioned document of a tenant: SETTINGS (the tenant settings and the settings categories, one version), TENANT_CONFIG (the tenant configuration), FEATURE_FLAGS.',
  values: ['SETTINGS', 'TENANT_CONFIG', 'FEATURE_FLAGS'] as const,
});
