/**
 * The one feature catalog: seed 001's feature flags (key, display_name, description, enabled,
 * category, impact) and seed 003's features (name, enabled, available, description,
 * tier_required) are the same records. 18 features, 12 enabled by default, so an Enterprise
 * tenant on defaults answers seed 003's `total_enabled: 12, total_available: 18`.
 */
/** The subscription tiers, lowest first. */
export const TIERS = ['BASIC', 'PRO', 'ENTERPRISE'] as const;
export type Tier = (typeof TIERS)[number];
type Impact = 'low' | 'medium' | 'high';

const TIER_RANK: Record<Tier, number> = { BASIC: 1, PRO: 2, ENTERPRISE: 3 };
/** Seed 003 spells tiers "Basic", "Pro", "Enterprise". */
export const TIER_DISPLAY: Record<Tier, string> = { BASIC: 'Basic', PRO: 'Pro', ENTERPRISE: 'Enterprise' };

export interface Feature {
  key: string;
  displayName: string;
  description: string;
  category: string;
  impact: Impact;
  tierRequired: Tier;
  defaultEnabled: boolean;
}

const f = (
  key: string,
  displayName: string,
  description: string,
  category: string,
  impact: Impact,
  tierRequired: Tier,
  defaultEnabled: boolean,
): Feature => ({ key, displayName, description, category, impact, tierRequired, defaultEnabled });

export const features: readonly Feature[] = [
  // Seed 001.
  f(
    'passwordless_enabled',
    'Passwordless Authentication',
    'Enable passwordless authentication with WebAuthn/Passkeys',
    'authentication',
    'low',
    'PRO',
    false,
  ),
  f(
    'advanced_mfa',
    'Advanced MFA',
    'Enable risk-based MFA and adaptive authentication',
    'security',
    'medium',
    'PRO',
    true,
  ),
  f('rebac_enabled', 'ReBAC', 'Enable relationship-based access control', 'access_control', 'high', 'ENTERPRISE', true),
  f(
    'audit_log_export',
    'Audit Log Export',
    'CSV/JSON export functionality for audit logs',
    'compliance',
    'low',
    'BASIC',
    true,
  ),
  // Seed 003.
  f(
    'advanced_analytics',
    'Advanced Analytics',
    'Advanced analytics and reporting capabilities',
    'analytics',
    'medium',
    'PRO',
    true,
  ),
  f('ml_features', 'Machine Learning', 'Machine learning and AI features', 'analytics', 'high', 'ENTERPRISE', false),
  f(
    'row_level_security',
    'Row-Level Security',
    'Row-level security for data isolation',
    'security',
    'high',
    'BASIC',
    true,
  ),
  f('encryption_at_rest', 'Encryption at Rest', 'Data encryption at rest', 'security', 'high', 'BASIC', true),
  f(
    'multi_factor_auth',
    'Multi-Factor Authentication',
    'Multi-factor authentication requirement',
    'authentication',
    'medium',
    'PRO',
    false,
  ),
  // Ours: what a tenant configuration product of this kind sells by tier.
  f(
    'sso_saml',
    'Single Sign-On',
    'SAML 2.0 and OIDC single sign-on with the customer identity provider',
    'authentication',
    'medium',
    'PRO',
    true,
  ),
  f(
    'scim_provisioning',
    'SCIM Provisioning',
    'Automatic user provisioning and deprovisioning over SCIM 2.0',
    'access_control',
    'medium',
    'ENTERPRISE',
    false,
  ),
  f(
    'custom_branding',
    'Custom Branding',
    'Custom logo, colours and sender identity on pages and emails',
    'branding',
    'low',
    'PRO',
    true,
  ),
  f(
    'webhooks',
    'Webhooks',
    'Signed outbound webhooks for scan and settings events',
    'integrations',
    'low',
    'BASIC',
    true,
  ),
  f('api_access', 'API Access', 'Programmatic access with API keys', 'integrations', 'low', 'BASIC', true),
  f('scheduled_scans', 'Scheduled Scans', 'Recurring scans on a schedule', 'scanning', 'low', 'BASIC', true),
  f(
    'benchmarking',
    'Industry Benchmarking',
    'Industry cohort benchmarks and drift analytics',
    'analytics',
    'low',
    'PRO',
    true,
  ),
  f(
    'multi_region_replication',
    'Multi-Region Replication',
    'Replicate tenant data across regions with automatic failover',
    'infrastructure',
    'high',
    'ENTERPRISE',
    false,
  ),
  f(
    'ip_allowlisting',
    'IP Allowlisting',
    'Restrict API access to listed IP ranges',
    'security',
    'medium',
    'PRO',
    false,
  ),
];

const byKey = new Map(features.map((feature) => [feature.key, feature]));

export function featureByKey(key: string): Feature | undefined {
  return byKey.get(key);
}

/** A tenant of `tier` may use a feature that requires `required` or less. */
export function tierAllows(tier: Tier, required: Tier): boolean {
  return TIER_RANK[tier] >= TIER_RANK[required];
}
