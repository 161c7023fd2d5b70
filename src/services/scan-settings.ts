import type { DbOrTrx } from '../db/connect.js';

/**
 * The non-secret tenant settings (seed 000) that shape a scan: whether new scans are retained,
 * how long evidence is kept, and the alerting thresholds an auditor sees in a bundle.
 */
export interface ScanSettings {
  autoRetainScans: boolean;
  evidenceRetentionMonths: number;
  certExpiryDays: number;
  readinessDropThreshold: number;
  alertOnNewQuantumVulnerable: boolean;
}

/** The brief's defaults for these fields (seed 000 documents none). */
export const SCAN_SETTING_DEFAULTS: ScanSettings = {
  autoRetainScans: false,
  evidenceRetentionMonths: 12,
  certExpiryDays: 30,
  readinessDropThreshold: 10,
  alertOnNewQuantumVulnerable: true,
};

const FIELDS = Object.keys(SCAN_SETTING_DEFAULTS) as (keyof ScanSettings)[];

/**
 * THE one place scans read tenant settings. Interim implementation: stored value
 * (`setting_values.settings.<field>`, JSON) > default, ignoring the environment layer.
 * TODO(issue 4): switch this body to the settings service's resolver (stored > env > default)
 * when it lands; callers do not change.
 */
export async function scanSettingsOf(db: DbOrTrx, tenantId: string): Promise<ScanSettings> {
  const rows = await db
    .selectFrom('setting_values')
    .select(['path', 'value'])
    .where('tenant_id', '=', tenantId)
    .where('path', 'in', FIELDS.map((f) => `settings.${f}`))
    .execute();
  // Both drivers hand jsonb back parsed.
  const stored = new Map(rows.map((r) => [r.path.slice('settings.'.length), r.value as unknown]));
  const out = { ...SCAN_SETTING_DEFAULTS };
  for (const field of FIELDS) {
    const value = stored.get(field);
    // A stored value of the wrong type (never written by the settings service) falls back to the default.
    if (value !== undefined && value !== null && typeof value === typeof SCAN_SETTING_DEFAULTS[field]) {
      (out as Record<string, unknown>)[field] = value;
    }
  }
  return out;
}

/** What retention needs: whether new scans are kept, and for how many calendar months. */
export async function retentionPolicyOf(db: DbOrTrx, tenantId: string): Promise<Pick<ScanSettings, 'autoRetainScans' | 'evidenceRetentionMonths'>> {
  const { autoRetainScans, evidenceRetentionMonths } = await scanSettingsOf(db, tenantId);
  // A value outside 1-120 can only come from a bypassed validation; deleting evidence on it is
  // not worth the risk, so the sweep falls back to the default instead.
  const months = Number.isInteger(evidenceRetentionMonths) && evidenceRetentionMonths >= 1 && evidenceRetentionMonths <= 120
    ? evidenceRetentionMonths
    : SCAN_SETTING_DEFAULTS.evidenceRetentionMonths;
  return { autoRetainScans, evidenceRetentionMonths: months };
}
