import type { SettingsEnv } from '../catalog/environment.js';
import type { DbOrTrx } from '../db/connect.js';
import { type ScanSettings, scanSettingsOf } from './scan-settings.js';

/**
 * What a share link shows, per scope. Built from an allow-list of fields: never a secret,
 * never another scan, never an internal id of a key or a tenant.
 *
 * - report:   { scope, scan: { id, target, createdAt }, report }
 * - bundle:   the report plus `evidence`: scan metadata and the settings that shaped it
 * - passport: the full handoff: tenant name, the scan with its metadata, report, the bundle's
 *             evidence (under `bundle`, without repeating the report) and the link itself
 */
export type SharedScanView = SharedReportView | SharedBundleView | SharedPassportView;

export interface SharedScanRef {
  id: string;
  target: string;
  createdAt: string;
}

export interface ScanEvidence {
  scan: { status: string; summary: unknown; retained: boolean };
  settings: ScanSettings;
}

export interface SharedReportView {
  scope: 'report';
  scan: SharedScanRef;
  report: unknown;
}

export interface SharedBundleView {
  scope: 'bundle';
  scan: SharedScanRef;
  report: unknown;
  evidence: ScanEvidence;
}

export interface SharedPassportView {
  scope: 'passport';
  tenant: { name: string };
  scan: SharedScanRef & { status: string; summary: unknown; retained: boolean };
  report: unknown;
  bundle: { evidence: ScanEvidence };
  link: { label: string | null; expiresAt: string; scope: 'passport' };
}

/** The rows a view is built from (already checked: the link is open). */
export interface SharedScanSource {
  link: { label: string | null; scope: 'report' | 'bundle' | 'passport'; expiresAt: Date };
  scan: {
    id: string;
    tenantId: string;
    target: string;
    status: string;
    summary: unknown;
    report: unknown;
    retained: boolean;
    createdAt: Date;
  };
  tenant: { name: string };
}

export async function buildSharedScanView(
  db: DbOrTrx,
  source: SharedScanSource,
  env: SettingsEnv,
): Promise<SharedScanView> {
  const { link, scan, tenant } = source;
  const ref: SharedScanRef = { id: scan.id, target: scan.target, createdAt: scan.createdAt.toISOString() };
  const report = scan.report ?? null;
  if (link.scope === 'report') return { scope: 'report', scan: ref, report };
  const evidence: ScanEvidence = {
    scan: { status: scan.status, summary: scan.summary ?? null, retained: scan.retained },
    settings: await scanSettingsOf(db, scan.tenantId, env),
  };
  if (link.scope === 'bundle') return { scope: 'bundle', scan: ref, report, evidence };
  return {
    scope: 'passport',
    tenant: { name: tenant.name },
    scan: { ...ref, ...evidence.scan },
    report,
    bundle: { evidence },
    link: { label: link.label, expiresAt: link.expiresAt.toISOString(), scope: 'passport' },
  };
}
