import { type SettingTree, setting } from './setting.js';

/**
 * Seed 000: the tenant's product settings (`PUT /tenant/settings`), field names as documented.
 * The seed documents no defaults; these are ours (see the helper brief).
 */
export const tenantSettingsTree = {
  readinessDropThreshold: setting.number(10, [0, 100], 'Alert threshold for readiness drop (percentage points).', {
    scanEvidenceLabel: 'Readiness drop threshold',
  }),
  alertOnNewQuantumVulnerable: setting.boolean(true, 'Enable vulnerable-asset alerting.', {
    scanEvidenceLabel: 'Alert on new quantum-vulnerable assets',
  }),
  certExpiryDays: setting.integer(30, [1, 365], 'Certificate expiry warning window (days).', {
    scanEvidenceLabel: 'Certificate expiry window (days)',
  }),
  // One secret, also exposed as admin `webhooks.signing_secret` (the same Setting instance).
  webhookSigningSecret: setting.string(
    null,
    'Secret used for webhook signing. Write-only: reads show only whether it is set.',
    {
      secret: true,
      nullable: true,
      minLength: 16,
      maxLength: 256,
      env: false,
    },
  ),
  autoRetainScans: setting.boolean(false, 'Automatically retain completed scans (exempt from the retention sweep).', {
    scanEvidenceLabel: 'Auto-retain scans',
  }),
  evidenceRetentionMonths: setting.integer(12, [1, 120], 'Evidence retention duration (1-120 months).', {
    scanEvidenceLabel: 'Evidence retention (months)',
  }),
  benchmarkOptIn: setting.boolean(false, 'Enable benchmark and drift analytics.'),
  // One home: the `tenants.industry` column (also Tenant.industry).
  industry: setting.string(null, 'Industry cohort used for benchmarking (the same value as Tenant.industry).', {
    nullable: true,
    minLength: 1,
    maxLength: 64,
    pattern: { regex: /^[A-Za-z0-9][A-Za-z0-9 _&/-]*$/, message: 'must be letters, digits, spaces or _&/-' },
    column: 'industry',
    env: false,
  }),
} satisfies SettingTree;
