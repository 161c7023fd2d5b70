import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { CREATE_SCAN, seedScan, storeSetting } from './helpers/scans.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

let world: World;
let acme: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  world = await createWorld();
  acme = await world.createTenantWithKeys({ name: 'Acme Scans' });
  other = await world.createTenantWithKeys({ name: 'Other Scans' });
});
afterAll(() => world.close());

async function scanCount(tenantId: string) {
  const row = await world.store.db
    .selectFrom('scans')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('createScan', () => {
  it('records a scan for the operator, with defaults, and audits it', async () => {
    const res = await world.gql(
      CREATE_SCAN,
      {
        input: {
          target: '  api.acme.test  ',
          report: { findings: [{ id: 'F1', severity: 'high' }] },
          summary: { high: 1 },
        },
      },
      acme.keys.OPERATOR,
    );
    expect(res.body.errors).toBeUndefined();
    const scan = res.body.data.createScan.scan;
    expect(scan).toMatchObject({
      target: 'api.acme.test',
      status: 'COMPLETED',
      retained: false,
      summary: { high: 1 },
      report: { findings: [{ id: 'F1', severity: 'high' }] },
    });
    const audit = await world.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'scan.create')
      .where('target', '=', scan.id)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ tenant_id: acme.id, actor_key_id: acme.keyIds.OPERATOR, actor_role: 'OPERATOR' });
  });

  it('lets the admin create and honours an explicit retained flag', async () => {
    const res = await world.gql(CREATE_SCAN, { input: { target: 't', retained: true } }, acme.keys.ADMIN);
    expect(res.body.data.createScan.scan).toMatchObject({ retained: true, report: null, summary: null });
  });

  it('refuses a viewer with FORBIDDEN and writes nothing', async () => {
    const before = await scanCount(acme.id);
    const res = await world.gql(CREATE_SCAN, { input: { target: 't' } }, acme.keys.VIEWER);
    expect(res.status).toBe(403);
    expect(res.body.errors![0].extensions.code).toBe('FORBIDDEN');
    expect(await scanCount(acme.id)).toBe(before);
  });

  it("refuses another tenant's id with FORBIDDEN", async () => {
    const res = await world.gql(CREATE_SCAN, { tenantId: other.id, input: { target: 't' } }, acme.keys.OPERATOR);
    expect(res.body.errors![0].extensions.code).toBe('FORBIDDEN');
  });

  it('lets the platform admin create for a named tenant', async () => {
    const res = await world.gql(CREATE_SCAN, { tenantId: other.id, input: { target: 'platform' } }, PLATFORM_KEY);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.createScan.scan.target).toBe('platform');
  });

  it('bounds the target to 1-2048 characters', async () => {
    const before = await scanCount(acme.id);
    for (const target of ['', '   ', 'x'.repeat(2049)]) {
      const res = await world.gql(CREATE_SCAN, { input: { target } }, acme.keys.OPERATOR);
      expect(res.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors![0].extensions.details).toEqual([
        { path: 'target', message: 'must be 1-2048 characters' },
      ]);
    }
    const ok = await world.gql(CREATE_SCAN, { input: { target: 'x'.repeat(2048) } }, acme.keys.OPERATOR);
    expect(ok.body.errors).toBeUndefined();
    expect(await scanCount(acme.id)).toBe(before + 1);
  });

  it('refuses a report over 1 MB with a clear BAD_USER_INPUT, writing nothing', async () => {
    const before = await scanCount(acme.id);
    const report = { blob: 'a'.repeat(1024 * 1024) };
    const res = await world.gql(CREATE_SCAN, { input: { target: 'big', report } }, acme.keys.OPERATOR);
    expect(res.status).toBe(400);
    const error = res.body.errors![0];
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/^report must be at most 1048576 bytes when serialized as JSON \(got 10485\d\d\)$/);
    expect(error.extensions.details[0].path).toBe('report');
    expect(await scanCount(acme.id)).toBe(before);
  });

  it('accepts a report just under the bound', async () => {
    // {"blob":"…"} adds 11 bytes around the string.
    const report = { blob: 'a'.repeat(1024 * 1024 - 11) };
    const res = await world.gql(CREATE_SCAN, { input: { target: 'edge', report } }, acme.keys.OPERATOR);
    expect(res.body.errors).toBeUndefined();
  });

  it('defaults retained to the tenant autoRetainScans setting', async () => {
    const t = await world.createTenantWithKeys();
    expect((await seedScan(world, t)).retained).toBe(false);
    await storeSetting(world, t, 'autoRetainScans', true);
    expect((await seedScan(world, t)).retained).toBe(true);
    // An explicit value wins over the setting.
    expect((await seedScan(world, t, { retained: false })).retained).toBe(false);
  });
});

describe('Tenant.scans and Query.scan', () => {
  it('lists newest first with cursor pagination, only the own tenant', async () => {
    const t = await world.createTenantWithKeys();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await seedScan(world, t, { target: `s${i}` })).id);
      world.clock.advance(1000);
    }
    await seedScan(world, other, { target: 'not mine' });
    const q = gql`query($id: ID!, $after: String) { tenant(id: $id) { scans(first: 2, after: $after) { nodes { id target } pageInfo { endCursor hasNextPage } } } }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const res: any = await world.gql(q, { id: t.id, after }, t.keys.VIEWER);
      expect(res.body.errors).toBeUndefined();
      const conn = res.body.data.tenant.scans;
      seen.push(...conn.nodes.map((n: { id: string }) => n.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it('refuses a malformed cursor', async () => {
    const res = await world.gql(
      gql`query($id: ID!) { tenant(id: $id) { scans(after: "nonsense!") { nodes { id } } } }`,
      { id: acme.id },
      acme.keys.VIEWER,
    );
    expect(res.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('reads a scan by id for a viewer; another tenant or unknown id is NOT_FOUND', async () => {
    const mine = await seedScan(world, acme, { target: 'mine' });
    const theirs = await seedScan(world, other, { target: 'theirs' });
    const q = gql`query($id: ID!) { scan(id: $id) { id target retained shareLinks { id } } }`;
    const ok = await world.gql(q, { id: mine.id }, acme.keys.VIEWER);
    expect(ok.body.data.scan).toEqual({ id: mine.id, target: 'mine', retained: false, shareLinks: [] });
    for (const id of [theirs.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await world.gql(q, { id }, acme.keys.VIEWER);
      expect(res.status).toBe(404);
      expect(res.body.errors![0].extensions.code).toBe('NOT_FOUND');
      expect(res.body.errors![0].message).toBe('Scan not found');
      expect(res.body.data.scan).toBeNull();
    }
    const platform = await world.gql(q, { id: theirs.id }, PLATFORM_KEY);
    expect(platform.body.data.scan.target).toBe('theirs');
  });

  it('refuses no key with UNAUTHENTICATED', async () => {
    const res = await world.gql(gql`{ scan(id: "00000000-0000-4000-8000-000000000000") { id } }`);
    expect(res.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
