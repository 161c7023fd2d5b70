import type { Issue } from './validate.js';

/**
 * Seed 003's validation rules that span fields: its global constraints and its
 * compliance-driven constraints, checked on the MERGED configuration (stored values + patch),
 * so a patch that only turns `hipaa` on is refused when the stored security section disagrees.
 * Messages are seed 003's words where it gives them ("HIPAA compliance requires encryption at
 * rest"), and the same pattern for every other listed requirement. Single-field ranges
 * ("Cache size exceeds maximum (100 GB)", "Password complexity must be between 1 and 5")
 * are declared on the fields themselves in tenant-config.ts.
 */
interface ConfigRule {
  /** The field a client changes to satisfy the rule (the issue's path). */
  path: string;
  message: string;
  violated: (get: (path: string) => unknown) => boolean;
}

const when =
  (flag: string, requirement: (get: (path: string) => unknown) => boolean) => (get: (path: string) => unknown) =>
    get(flag) === true && !requirement(get);

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const configRules: ConfigRule[] = [
  // Global constraints.
  {
    path: 'backup.retention_days',
    message: 'Backup retention must be >= PITR retention period',
    violated: (get) => Number(get('backup.retention_days')) < Number(get('backup.pitr_retention_days')),
  },
  // Ours, in the same spirit: a replica set needs somewhere to replicate to, and failover only to those places.
  {
    path: 'replication.regions',
    message: 'Replication requires at least one region when enabled',
    violated: when('replication.enabled', (get) => list(get('replication.regions')).length > 0),
  },
  {
    path: 'replication.failover_priority',
    message: 'Failover priority may only list replication regions',
    violated: (get) =>
      list(get('replication.failover_priority')).some((r) => !list(get('replication.regions')).includes(r)),
  },
  // HIPAA.
  {
    path: 'security.encryption_at_rest',
    message: 'HIPAA compliance requires encryption at rest',
    violated: when('compliance.hipaa', (get) => get('security.encryption_at_rest') === true),
  },
  {
    path: 'security.enable_audit_log',
    message: 'HIPAA compliance requires audit logging',
    violated: when('compliance.hipaa', (get) => get('security.enable_audit_log') === true),
  },
  {
    path: 'security.password_complexity',
    message: 'HIPAA compliance requires password complexity >= 3',
    violated: when('compliance.hipaa', (get) => Number(get('security.password_complexity')) >= 3),
  },
  // PCI-DSS.
  {
    path: 'security.enable_audit_log',
    message: 'PCI-DSS compliance requires audit logging',
    violated: when('compliance.pci_dss', (get) => get('security.enable_audit_log') === true),
  },
  {
    path: 'security.encryption_at_rest',
    message: 'PCI-DSS compliance requires encryption at rest',
    violated: when('compliance.pci_dss', (get) => get('security.encryption_at_rest') === true),
  },
  {
    path: 'security.audit_retention_days',
    message: 'PCI-DSS compliance requires audit retention >= 90 days',
    violated: when('compliance.pci_dss', (get) => Number(get('security.audit_retention_days')) >= 90),
  },
  // GDPR. The seed conditions two of these on "EU users" and "personal data"; a tenant turning
  // GDPR on declares both, so all three apply whenever gdpr is true.
  {
    path: 'compliance.enable_rtbf',
    message: 'GDPR compliance requires right to be forgotten',
    violated: when('compliance.gdpr', (get) => get('compliance.enable_rtbf') === true),
  },
  {
    path: 'compliance.data_residency',
    message: 'GDPR compliance requires EU data residency',
    violated: when('compliance.gdpr', (get) => list(get('compliance.data_residency')).includes('EU')),
  },
  {
    path: 'compliance.enable_anonymization',
    message: 'GDPR compliance requires data anonymization',
    violated: when('compliance.gdpr', (get) => get('compliance.enable_anonymization') === true),
  },
];

/** Every rule the merged configuration breaks, in declaration order. */
export function checkConfigRules(get: (path: string) => unknown): Issue[] {
  return configRules.filter((r) => r.violated(get)).map((r) => ({ path: r.path, message: r.message }));
}
