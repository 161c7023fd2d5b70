// `npx tsx bench/audit-export.ts`: GET /api/admin/audit-logs/export of 1M audit entries from the
// real gateway process on the embedded store (a data folder filled here with one bulk
// INSERT … SELECT generate_series per 100k rows, then closed and handed to the process), read
// over a real port. Reported: the server's RSS before the export and its peak while streaming
// (sampled from /proc every 20 ms; after a warm-up that fills the embedded database's buffer
// cache), rows/s and MB/s for CSV and JSON; a client that stops reading
// for a while (backpressure: the server must not page on into memory); and, as the reference run
// side by side, the same rows read through the paged list route (limit=100, cursor after cursor).
// The gateway runs with a V8 old-space cap (HEAP_MB, default 128) below either body's size.
// ENTRIES (default 1,000,000) and PAUSE_MS (default 3000) change the sizes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { AUDIT_EXPORT_MAX_PAGE_SIZE } from '../src/services/audit-log.js';
import { seedDemoTenantIfEmpty } from '../src/services/demo-tenant.js';
import { startGateway } from '../test/helpers/gateway-process.js';

const ENTRIES = Number(process.env.ENTRIES ?? 1_000_000);
const PAUSE_MS = Number(process.env.PAUSE_MS ?? 3000);
const REFERENCE_ROWS = 20_000;
/** The gateway's V8 old-space cap: smaller than either export's body, so holding one would fail. */
const HEAP_MB = Number(process.env.HEAP_MB ?? 128);
const MB = 1024 * 1024;

/** Resident set size of a process, in bytes (Linux). */
function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return line ? Number(line[1]) * 1024 : Number.NaN;
}

/** Samples `pid`'s RSS every 20 ms until stopped; answers the peak. */
function sampleRss(pid: number) {
  let peak = rss(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rss(pid));
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rss(pid));
    },
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'bench-audit-export-'));
try {
  // The data: the demo tenant (its keys) and ENTRIES audit rows of it, some with hostile targets.
  const fillStart = performance.now();
  const store = await openStore({ dataDir });
  await migrateToLatest(store.db);
  const demo = (await seedDemoTenantIfEmpty(store.db))!;
  for (let from = 1; from <= ENTRIES; from += 100_000) {
    const to = Math.min(ENTRIES, from + 99_999);
    await sql`insert into audit_log (tenant_id, actor_key_id, actor_role, action, target, changes, request_id, created_at)
      select ${demo.tenantId}::uuid, ${demo.tenantId}::uuid, 'ADMIN',
        (array['settings.update', 'config.update', 'feature_flag.update'])[1 + i % 3],
        case when i % 1000 = 0 then '=HYPERLINK("http://x")' else 'settings' end,
        '{"admin.authentication.password_policy.min_length":{"old":8,"new":12}}'::jsonb,
        'bulk-request-' || i,
        timestamptz '2026-01-01' + make_interval(secs => i)
      from generate_series(${from}::int, ${to}::int) as i`.execute(store.db);
  }
  await store.close();
  console.log(`filled ${ENTRIES} entries in ${((performance.now() - fillStart) / 1000).toFixed(1)} s`);

  const gateway = await startGateway({
    DATA_DIR: dataDir,
    RATE_LIMITS: 'off',
    NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
  });
  try {
    await gateway.waitUntilReady(120_000);
    const pid = gateway.child.pid!;
    const headers = { authorization: `Bearer ${demo.keys.ADMIN}` };
    const get = (path: string) => fetch(`${gateway.origin}${path}`, { headers });

    const rows: Record<string, unknown>[] = [];

    // Warm-up: both routes once, small, so code paths are loaded before "before"; and one list
    // call whose filter matches nothing but reads every entry, so the embedded database's buffer
    // cache (in the process's WASM memory, which never shrinks) is as full as an export leaves
    // it: the growth measured below is then the export's own.
    await (await get('/api/admin/audit-logs/export?format=csv&since=2099-01-01')).arrayBuffer();
    {
      const before = rss(pid);
      const start = performance.now();
      await (await get('/api/admin/audit-logs?limit=100&since=2099-01-01')).arrayBuffer();
      rows.push({
        run: 'warm-up: one list call reading every entry',
        seconds: +((performance.now() - start) / 1000).toFixed(2),
        'RSS before MB': +(before / MB).toFixed(0),
        'RSS peak MB': +(rss(pid) / MB).toFixed(0),
        'RSS growth MB': +((rss(pid) - before) / MB).toFixed(1),
      });
    }
    await new Promise((r) => setTimeout(r, 1000));

    // A tenth of the entries first: the growth of the full exports after it is what length adds.
    const tenth = new Date(Date.parse('2026-01-01T00:00:00Z') + ENTRIES * 900).toISOString();
    const runs = [
      { format: 'csv', query: `&since=${tenth}`, expected: ENTRIES / 10 },
      { format: 'csv', query: '', expected: ENTRIES },
      { format: 'json', query: '', expected: ENTRIES },
    ] as const;
    for (const { format, query, expected } of runs) {
      const before = rss(pid);
      const sampler = sampleRss(pid);
      const start = performance.now();
      const res = await get(`/api/admin/audit-logs/export?format=${format}${query}`);
      if (res.status !== 200) throw new Error(`export ${format}: ${res.status} ${await res.text()}`);
      const reader = res.body!.getReader();
      let bytes = 0;
      let lines = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
      }
      const seconds = (performance.now() - start) / 1000;
      const peak = sampler.stop();
      // CSV: header + one line per entry; JSON: "[" line, one per entry, "]".
      const entries = format === 'csv' ? lines - 1 : lines - 2;
      // The demo tenant's own creation is audited too.
      if (entries < expected) throw new Error(`export ${format}: ${entries} entries, fewer than ${expected}`);
      rows.push({
        run: `export ${format}${query ? ', last tenth' : ''}`,
        entries,
        'body MB': +(bytes / MB).toFixed(1),
        seconds: +seconds.toFixed(2),
        'rows/s': Math.round(entries / seconds),
        'MB/s': +(bytes / MB / seconds).toFixed(1),
        'RSS before MB': +(before / MB).toFixed(0),
        'RSS peak MB': +(peak / MB).toFixed(0),
        'RSS growth MB': +((peak - before) / MB).toFixed(1),
      });
    }

    // A client that takes the first chunk and then stops reading: the server must wait, not page on.
    {
      const before = rss(pid);
      const res = await get('/api/admin/audit-logs/export?format=csv');
      const reader = res.body!.getReader();
      await reader.read();
      const sampler = sampleRss(pid);
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      const peak = sampler.stop();
      await reader.cancel();
      const ended = await gateway.waitForOutput(
        /\{[^\n]*"outcome":"client closed"[^\n]*"msg":"stream ended"\}/,
        10_000,
      );
      const line = JSON.parse(ended[0]);
      rows.push({
        run: `paused ${PAUSE_MS} ms after one chunk, then closed`,
        entries: line.pages * AUDIT_EXPORT_MAX_PAGE_SIZE,
        'body MB': +(line.bytes / MB).toFixed(1),
        'RSS before MB': +(before / MB).toFixed(0),
        'RSS peak MB': +(peak / MB).toFixed(0),
        'RSS growth MB': +((peak - before) / MB).toFixed(1),
        'server pages run': line.pages,
      });
    }

    // Reference, side by side: the same entries through the paged list route, cursor after cursor.
    {
      const start = performance.now();
      let cursor: string | null = null;
      let read = 0;
      let bytes = 0;
      while (read < REFERENCE_ROWS) {
        const res = await get(
          `/api/admin/audit-logs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        const text = await res.text();
        bytes += Buffer.byteLength(text);
        const page = JSON.parse(text) as { entries: unknown[]; next_cursor: string | null };
        read += page.entries.length;
        cursor = page.next_cursor;
        if (!cursor) break;
      }
      const seconds = (performance.now() - start) / 1000;
      rows.push({
        run: 'reference: list route, limit=100 pages',
        entries: read,
        'body MB': +(bytes / MB).toFixed(1),
        seconds: +seconds.toFixed(2),
        'rows/s': Math.round(read / seconds),
        'MB/s': +(bytes / MB / seconds).toFixed(1),
      });
    }

    console.log(`Node ${process.version}, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`);
    console.table(rows);
    const reference = rows[rows.length - 1]['rows/s'] as number;
    for (const r of rows.filter((row) => String(row.run).startsWith('export')))
      console.log(`${r.run}: ${((r['rows/s'] as number) / reference).toFixed(1)}x the list route's rows/s`);
  } finally {
    await gateway.stop();
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
