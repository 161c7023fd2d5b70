import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_EXPORT_MAX_PAGE_SIZE } from '../src/services/audit-log.js';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { rest } from './helpers/rest.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

/**
 * GET /api/admin/audit-logs/export: the tenant's audit entries as a streamed JSON array or CSV
 * file, in pages of AUDIT_EXPORT_MAX_PAGE_SIZE run one after the other on one request.
 */

const EXPORT = '/api/admin/audit-logs/export';
const COLUMNS = ['id', 'action', 'actor_key_id', 'actor_role', 'target', 'changes', 'request_id', 'created_at'];
/** Targets a spreadsheet would run as formulas, and ones that test RFC 4180 quoting. */
const HOSTILE_TARGETS = [
  '=HYPERLINK("http://x")',
  '+1+1',
  '-2+3',
  '@SUM(A1:A2)',
  '\t=1+1',
  '\r=1+1',
  'comma, "quoted" and\r\nnew line',
  'plain-target',
];
const BULK = 2.5 * AUDIT_EXPORT_MAX_PAGE_SIZE; // three pages, with the entries of the tenant and its keys
const START = new Date('2026-01-01T00:00:00Z');

/** Inserts `count` entries of the tenant, one a second from `start`, actions taking turns. */
async function insertEntries(world: World, tenantId: string, count: number, start: Date, targets: string[] = []) {
  await sql`insert into audit_log (tenant_id, actor_role, action, target, changes, request_id, created_at)
    select ${tenantId}::uuid, 'ADMIN',
      (array['settings.update', 'config.update', 'feature_flag.update'])[1 + i % 3],
      coalesce((${JSON.stringify(targets)}::jsonb ->> (i - 1)), 'target-' || i),
      jsonb_build_object('n', jsonb_build_object('old', i - 1, 'new', i)),
      'bulk-' || i,
      ${start.toISOString()}::timestamptz + make_interval(secs => i)
    from generate_series(1, ${count}) as i`.execute(world.store.db);
}

/** The tenant's entries as the database holds them, newest first, narrowed like the export's filter. */
async function expectedIds(
  world: World,
  tenantId: string,
  filter: { action?: string; since?: Date; until?: Date } = {},
) {
  let q = world.store.db.selectFrom('audit_log').select('id').where('tenant_id', '=', tenantId);
  if (filter.action) q = q.where('action', '=', filter.action);
  if (filter.since) q = q.where('created_at', '>=', filter.since);
  if (filter.until) q = q.where('created_at', '<', filter.until);
  return (await q.orderBy('id', 'desc').execute()).map((r) => String(r.id));
}

/** An RFC 4180 reader: fields, quoted fields with doubled quotes and line breaks, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || record.length) throw new Error('last record without CRLF');
  return records;
}

let world: World;
let tenant: TestTenant;
let other: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
  other = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
  await insertEntries(world, tenant.id, BULK, START, HOSTILE_TARGETS);
  await insertEntries(world, other.id, 50, START);
  // Entries written by the app itself, with their real shape (actor key, request id, changes).
  for (const days of [40, 41])
    await world.gql(Q.updateTenantSettings, { input: { certExpiryDays: days } }, tenant.keys.OPERATOR);
});
afterAll(() => world.close());

const exportOf = (query: string, key = tenant.keys.ADMIN) => rest(world, 'GET', `${EXPORT}${query}`, { key });

describe('GET /api/admin/audit-logs/export', () => {
  it('format=json: a JSON array of every entry, newest first, shaped as the audit-log route answers them', async () => {
    const res = await exportOf('?format=json');
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="audit-log.json"');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const entries = JSON.parse(res.text) as Record<string, unknown>[];
    expect(entries.map((e) => e.id)).toEqual(await expectedIds(world, tenant.id));
    expect(entries.length).toBeGreaterThan(BULK);
    // The newest page of the list route holds the same objects.
    const list = await rest(world, 'GET', '/api/admin/audit-logs?limit=100', { key: tenant.keys.ADMIN });
    expect(entries.slice(0, 100)).toEqual(list.body.entries);
    expect(entries[0]).toMatchObject({
      action: 'settings.update',
      actor_key_id: tenant.keyIds.OPERATOR,
      actor_role: 'OPERATOR',
      changes: { 'settings.certExpiryDays': { old: 40, new: 41 } },
    });
    expect(Object.keys(entries[0])).toEqual(COLUMNS);
    // The default format is JSON too.
    expect((await exportOf('')).text).toBe(res.text);
  });

  it('runs one page after another on one request: one request-log line, one stream-ended line', async () => {
    const res = await exportOf('?format=csv');
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    const lines = world.logLines().filter((l) => l.requestId === id);
    expect(lines.filter((l) => 'status' in l)).toEqual([
      expect.objectContaining({ operation: 'RestAdminExportAuditLogs', status: 200, path: EXPORT }),
    ]);
    expect(lines.filter((l) => l.msg === 'stream ended')).toEqual([
      expect.objectContaining({ outcome: 'complete', pages: 3, bytes: Buffer.byteLength(res.text) }),
    ]);
  });

  it('format=csv: a header row, one RFC 4180 row per entry, in order', async () => {
    const res = await exportOf('?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="audit-log.csv"');
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual(COLUMNS);
    expect(rows.map((r) => r[0])).toEqual(await expectedIds(world, tenant.id));
    const json = JSON.parse((await exportOf('?format=json')).text) as Record<string, unknown>[];
    // Every cell is the JSON entry's value: objects as JSON, null as an empty field (a leading ' aside).
    rows.forEach((row, i) => {
      const entry = json[i];
      const expected = COLUMNS.map((c) => {
        const v = entry[c];
        if (v === null) return '';
        const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
        return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
      });
      expect(row).toEqual(expected);
    });
  });

  it('escapes every cell a spreadsheet would run as a formula, and quotes commas, quotes and line breaks', async () => {
    const res = await exportOf('?format=csv');
    const rows = parseCsv(res.text).slice(1);
    const target = (n: number) => rows.find((r) => r[6] === `bulk-${n}`)![4];
    expect(target(1)).toBe(`'=HYPERLINK("http://x")`);
    expect(res.text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(target(2)).toBe(`'+1+1`);
    expect(target(3)).toBe(`'-2+3`);
    expect(target(4)).toBe(`'@SUM(A1:A2)`);
    expect(target(5)).toBe(`'\t=1+1`);
    expect(target(6)).toBe(`'\r=1+1`);
    expect(target(7)).toBe('comma, "quoted" and\r\nnew line');
    expect(target(8)).toBe('plain-target');
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    // JSON carries the values as they are.
    const json = JSON.parse((await exportOf('?format=json')).text) as { target: string; request_id: string }[];
    expect(json.find((e) => e.request_id === 'bulk-1')!.target).toBe('=HYPERLINK("http://x")');
  });

  it('applies action, since (inclusive) and until (exclusive), in ISO or Unix seconds, across pages', async () => {
    const since = new Date(START.getTime() + 700_000);
    const until = new Date(START.getTime() + 2_400_000);
    const cases: [string, Parameters<typeof expectedIds>[2]][] = [
      ['?action=config.update', { action: 'config.update' }],
      [`?since=${since.toISOString()}&until=${until.toISOString()}`, { since, until }],
      [`?action=settings.update&since=${since.getTime() / 1000}`, { action: 'settings.update', since }],
    ];
    for (const [query, filter] of cases) {
      const expected = await expectedIds(world, tenant.id, filter);
      expect(expected.length).toBeGreaterThan(100);
      const json = JSON.parse((await exportOf(`${query}&format=json`)).text) as { id: string }[];
      expect(
        json.map((e) => e.id),
        query,
      ).toEqual(expected);
      const csv = parseCsv((await exportOf(`${query}&format=csv`)).text);
      expect(
        csv.slice(1).map((r) => r[0]),
        query,
      ).toEqual(expected);
    }
  });

  it('an empty result is still a valid document: [] and a header row', async () => {
    const json = await exportOf('?format=json&since=2999-01-01T00:00:00Z');
    expect(json.status).toBe(200);
    expect(JSON.parse(json.text)).toEqual([]);
    const csv = await exportOf('?format=csv&action=scan.create');
    expect(csv.status).toBe(200);
    expect(parseCsv(csv.text)).toEqual([COLUMNS]);
  });

  it("holds none of another tenant's entries", async () => {
    const others = new Set(await expectedIds(world, other.id));
    const json = JSON.parse((await exportOf('?format=json')).text) as { id: string }[];
    expect(json.filter((e) => others.has(e.id))).toEqual([]);
  });

  it('400 in the admin dialect for a bad format, a bad since/until or an action no entry can carry', async () => {
    const cases: [string, RegExp][] = [
      ['?format=xml', /format must be one of json, csv/],
      ['?since=yesterday', /since must be an ISO-8601 time or Unix seconds/],
      ['?until=2026-13-45', /until must be an ISO-8601 time or Unix seconds/],
      ['?action=no.such.action', /The action query parameter "no.such.action" is not an audit action/],
    ];
    for (const [query, message] of cases) {
      const res = await exportOf(query);
      expect(res.status, query).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringMatching(message) });
      expect(res.headers.get('content-disposition')).toBeNull();
    }
  });

  it('admin only: a viewer or operator gets 403; the platform admin names the tenant', async () => {
    for (const role of ['VIEWER', 'OPERATOR'] as const) {
      const res = await exportOf('?format=csv', tenant.keys[role]);
      expect(res.status, role).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    expect((await rest(world, 'GET', `${EXPORT}?format=csv`)).status).toBe(401);
    const platform = await exportOf(`?format=json&tenant_id=${tenant.id}`, PLATFORM_KEY);
    expect(platform.status).toBe(200);
    expect((JSON.parse(platform.text) as { id: string }[]).map((e) => e.id)).toEqual(
      await expectedIds(world, tenant.id),
    );
    expect((await exportOf('?format=json', PLATFORM_KEY)).status).toBe(400);
  });

  it('403 naming the flag while audit_log_export is disabled, in REST and GraphQL; 200 again once enabled', async () => {
    const set = (enabled: boolean) =>
      world.gql(Q.setFeatureFlag, { key: 'audit_log_export', enabled }, tenant.keys.ADMIN);
    expect((await set(false)).body.errors).toBeUndefined();
    try {
      for (const format of ['csv', 'json']) {
        const res = await exportOf(`?format=${format}`);
        expect(res.status).toBe(403);
        expect(res.body).toEqual({
          error: { code: 'FORBIDDEN', message: expect.stringContaining("feature flag 'audit_log_export'") },
        });
        expect(res.headers.get('content-disposition')).toBeNull();
      }
      const viaGraphql = await world.gql(
        gql`query($id: ID!) { tenant(id: $id) { auditLogExport { nodes { id } } } }`,
        { id: tenant.id },
        tenant.keys.ADMIN,
      );
      expect(viaGraphql.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', flag: 'audit_log_export' });
      // The list stays readable: only the export is the flag's.
      expect((await rest(world, 'GET', '/api/admin/audit-logs', { key: tenant.keys.ADMIN })).status).toBe(200);
    } finally {
      expect((await set(true)).body.errors).toBeUndefined();
    }
    expect((await exportOf('?format=csv')).status).toBe(200);
  });

  it('a page failing after the status was sent cuts the body short: it does not parse, and the log says why', async () => {
    const res = await world.request(`${EXPORT}?format=json`, { key: tenant.keys.ADMIN });
    expect(res.status).toBe(200);
    // The first page is written; the next runs only when the client reads on. Now it fails.
    await sql`alter table audit_log rename to audit_log_away`.execute(world.store.db);
    let text = '';
    let failure: unknown;
    try {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    } catch (error) {
      failure = error;
    } finally {
      await sql`alter table audit_log_away rename to audit_log`.execute(world.store.db);
    }
    expect(String(failure)).toMatch(/failed part-way/);
    expect(text.startsWith('[\n{')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    const id = res.headers.get('x-request-id');
    const lines = world.logLines().filter((l) => l.requestId === id);
    expect(lines.find((l) => l.msg === 'stream ended')).toMatchObject({
      outcome: 'failed',
      pages: 1,
      code: 'INTERNAL_SERVER_ERROR',
    });
    expect(lines.some((l) => l.msg === 'unexpected error')).toBe(true);
  });
});

describe('Tenant.auditLogExport (GraphQL)', () => {
  const page = (variables: Record<string, unknown>) =>
    world.gql(
      gql`query($id: ID!, $first: Int, $after: String, $filter: AuditLogFilter) { tenant(id: $id) { auditLogExport(first: $first, after: $after, filter: $filter) { nodes { id } pageInfo { endCursor hasNextPage } } } }`,
      { id: tenant.id, ...variables },
      tenant.keys.ADMIN,
    );

  it(`pages of up to ${AUDIT_EXPORT_MAX_PAGE_SIZE} (the default); a larger page is BAD_USER_INPUT`, async () => {
    const first = (await page({})).body.data.tenant.auditLogExport;
    expect(first.nodes).toHaveLength(AUDIT_EXPORT_MAX_PAGE_SIZE);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = (await page({ first: 5, after: first.pageInfo.endCursor })).body.data.tenant.auditLogExport;
    const ids = await expectedIds(world, tenant.id);
    expect(next.nodes.map((n: { id: string }) => n.id)).toEqual(
      ids.slice(AUDIT_EXPORT_MAX_PAGE_SIZE, AUDIT_EXPORT_MAX_PAGE_SIZE + 5),
    );
    expect((await page({ first: AUDIT_EXPORT_MAX_PAGE_SIZE + 1 })).body.errors[0].extensions.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await page({ filter: { action: 'nope' } })).body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('a streamed export on a world with rate limits', () => {
  let limited: World;
  let t: TestTenant;
  beforeAll(async () => {
    // 4 requests a minute per key (the platform key spends its 4 on the tenant and its keys).
    limited = await createWorld({ rateLimits: { enabled: true, scale: 4 / 300 } });
    t = await limited.createTenantWithKeys({ tier: 'ENTERPRISE' });
    await insertEntries(limited, t.id, BULK, START);
  });
  afterAll(() => limited.close());

  it('counts once against the per-key limit, however many pages it runs', async () => {
    const res = await rest(limited, 'GET', `${EXPORT}?format=json`, { key: t.keys.ADMIN });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as { id: string }[]).map((e) => e.id)).toEqual(await expectedIds(limited, t.id));
    const line = limited
      .logLines()
      .find((l) => l.requestId === res.headers.get('x-request-id') && l.msg === 'stream ended');
    expect(line).toMatchObject({ outcome: 'complete', pages: 3 });
    // Charged per page, the export would have cost 3 of the 4: the second call after it would be refused.
    for (let i = 0; i < 3; i++)
      expect((await rest(limited, 'GET', '/api/admin/audit-logs', { key: t.keys.ADMIN })).status).toBe(200);
    expect((await rest(limited, 'GET', '/api/admin/audit-logs', { key: t.keys.ADMIN })).status).toBe(429);
  });
});
