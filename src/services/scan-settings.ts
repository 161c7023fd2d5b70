import { type CatalogEntry, entriesOf } from '../catalog/catalog.js';
import type { SettingsEnv } from '../catalog/environment.js';
import type { DbOrTrx } from '../db/connect.js';
import { tenantSettingsDocument } from './settings.js';

/**
 * The non-secret tenant settings that shape a scan: whether new scans are retained, how long
 * evidence is kept, and the alerting thresholds an auditor sees in a bundle. Which settings
 * these are is declared in the catalog (`scanEvidenceLabel`); this type names them for code.
 */
export interface ScanSettings {
  autoRetainScans: boolean;
  evidenceRetentionMonths: number;
  certExpiryDays: number;
  readinessDropThreshold: number;
  alertOnNewQuantumVulnerable: boolean;
}

/** The catalog entries of the scan settings, in declaration order, each with its evidence label. */
export const scanSettingEntries: ReadonlyArray<CatalogEntry & { path: keyof ScanSettings }> = entriesOf(
  'settings',
).filter((e): e is CatalogEntry & { path: keyof ScanSettings } => e.spec.scanEvidenceLabel !== undefined);

/** The one place scans read tenant settings: the settings resolver (stored > env > default). */
export async function scanSettingsOf(db: DbOrTrx, tenantId: string, env: SettingsEnv): Promise<ScanSettings> {
  // None of these fields is `industry` (the one kept on the tenant row), so that row is not read:
  // createScan, the retention sweep and the shared view each hold or need no more of it.
  const document = await tenantSettingsDocument(db, tenantId, env, null);
  return Object.fromEntries(scanSettingEntries.map(({ path }) => [path, document[path]])) as unknown as ScanSettings;
}

/** What retention needs: whether new scans are kept, and for how many calendar months. */
export async function retentionPolicyOf(db: DbOrTrx, tenantId: string, env: SettingsEnv) {
  const { autoRetainScans, evidenceRetentionMonths } = await scanSettingsOf(db, tenantId, env);
  return { autoRetainScans, evidenceRetentionMonths };
}
