import { escapeHtml } from '../http/escape-html.js';
import { scanSettingEntries } from '../services/scan-settings.js';
import type { ScanEvidence, SharedScanView } from '../services/shared-scan-view.js';

/**
 * The public share view as one self-contained HTML page: inline CSS, no scripts, no external
 * assets (nothing for the page to leak the URL's token to). Every value is escaped.
 */
export function renderSharePageHtml(view: SharedScanView): string {
  const title = view.scope === 'passport' ? `Scan passport: ${view.scan.target}` : `Shared scan: ${view.scan.target}`;
  const sections: string[] = [];

  const scanRows: [string, unknown][] = [
    ['Target', view.scan.target],
    ['Scan id', view.scan.id],
    ['Scanned at', view.scan.createdAt],
  ];
  if (view.scope === 'passport') {
    sections.push(
      table('Handoff', [
        ['Tenant', view.tenant.name],
        ['Link label', view.link.label ?? '—'],
        ['Link expires', view.link.expiresAt],
        ['Scope', view.link.scope],
      ]),
    );
  }
  sections.push(table('Scan', scanRows));
  const evidence = view.scope === 'bundle' ? view.evidence : view.scope === 'passport' ? view.bundle.evidence : null;
  if (evidence) sections.push(evidenceSection(evidence));
  sections.push(
    `<section><h2>Report</h2>${view.report == null ? '<p class="muted">No report was recorded for this scan.</p>' : `<pre>${escapeHtml(JSON.stringify(view.report, null, 2))}</pre>`}</section>`,
  );

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330;line-height:1.5}
main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:1.5rem;margin:0 0 4px}
h2{font-size:1.1rem;margin:0 0 8px}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:16px;margin:16px 0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{width:30%;color:#4a5568;font-weight:600}
pre{background:#f0f2f5;padding:12px;border-radius:6px;overflow:auto;white-space:pre-wrap;word-break:break-word;font-size:.85rem}
.muted{color:#6b7280}
.scope{display:inline-block;padding:2px 8px;border-radius:12px;background:#e8eefc;color:#2948a8;font-size:.8rem;text-transform:uppercase;letter-spacing:.04em}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p><span class="scope">${escapeHtml(view.scope)}</span> <span class="muted">Shared read-only view. Do not forward this link: anyone holding it can read this page until it expires.</span></p>
${sections.join('\n')}
</main>
</body>
</html>
`;
}

function evidenceSection(evidence: ScanEvidence): string {
  const s = evidence.settings;
  return [
    table('Evidence: scan metadata', [
      ['Status', evidence.scan.status],
      ['Retained', evidence.scan.retained],
      ['Summary', evidence.scan.summary ?? '—'],
    ]),
    table(
      'Evidence: settings that shaped it',
      scanSettingEntries.map((e) => [e.spec.scanEvidenceLabel!, s[e.path]]),
    ),
  ].join('\n');
}

function table(heading: string, rows: [string, unknown][]): string {
  const body = rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${cell(v)}</td></tr>`).join('');
  return `<section><h2>${escapeHtml(heading)}</h2><table>${body}</table></section>`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '<span class="muted">—</span>';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'object') return `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;
  return escapeHtml(String(value));
}
