import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSharePageHtml } from '../src/rest/share-page-html.js';
import { createLoaders } from '../src/services/loaders.js';
import { gql } from './helpers/graphql.js';
import {
  CREATE_SHARE_LINK,
  findInDatabase,
  SHARED_SCAN,
  seedScan,
  seedShareLink,
  storeSetting,
} from './helpers/scans.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

const HOUR = 3_600_000;
const NOT_FOUND_MESSAGE = 'Share link not found or expired';

let world: World;
let acme: TestTenant;
let other: TestTenant;
let scanId: string;
const REPORT = { findings: [{ id: 'F1', title: 'RSA-1024 on <api>', severity: 'high' }] };

beforeAll(async () => {
  world = await createWorld();
  acme = await world.createTenantWithKeys({ name: 'Acme & Co' });
  other = await world.createTenantWithKeys({ name: 'Other' });
  scanId = (await seedScan(world, acme, { target: 'api.acme.test', report: REPORT, summary: { high: 1 } })).id;
});
afterAll(() => world.close());

async function linkCount() {
  const row = await world.store.db
    .selectFrom('share_links')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function expectClosed(token: string) {
  const res = await world.gql(SHARED_SCAN, { token });
  expect(res.status).toBe(404);
  expect(res.body.errors![0].extensions.code).toBe('NOT_FOUND');
  expect(res.body.errors![0].message).toBe(NOT_FOUND_MESSAGE);
  expect(res.body.data.sharedScan).toBeNull();
}

describe('createShareLink', () => {
  it('defaults to 168 hours and passport, and answers a url on the configured listen address', async () => {
    const before = world.clock.now().getTime();
    const res = await world.gql(CREATE_SHARE_LINK, { scanId }, acme.keys.OPERATOR);
    expect(res.body.errors).toBeUndefined();
    const { url, token, shareLink } = res.body.data.createShareLink;
    expect(shareLink.scope).toBe('passport');
    expect(shareLink.label).toBeNull();
    expect(shareLink.active).toBe(true);
    expect(shareLink.revokedAt).toBeNull();
    expect(shareLink.createdByKeyId).toBe(acme.keyIds.OPERATOR);
    const expiresAt = Date.parse(shareLink.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 168 * HOUR);
    expect(expiresAt).toBeLessThanOrEqual(world.clock.now().getTime() + 168 * HOUR);
    // The world's configured port (0): never the request's Host (gateway.test).
    expect(url).toBe(`http://localhost:0/share/${token}`);
  });

  it('makes tokens of at least 128 bits, URL-safe, all different', async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 5; i++) tokens.add((await seedShareLink(world, acme, scanId)).token);
    expect(tokens.size).toBe(5);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
      expect(encodeURIComponent(token)).toBe(token);
    }
  });

  it('accepts both range ends of expiresHours (1 and 720)', async () => {
    for (const hours of [1, 720]) {
      const t0 = world.clock.now().getTime();
      const link = await seedShareLink(world, acme, scanId, {
        expiresHours: hours,
        label: `h${hours}`,
        scope: 'report',
      });
      const exp = Date.parse(link.shareLink.expiresAt);
      expect(exp).toBeGreaterThanOrEqual(t0 + hours * HOUR);
      expect(exp).toBeLessThanOrEqual(world.clock.now().getTime() + hours * HOUR);
    }
  });

  it('refuses 0, 721 and -5 hours with BAD_USER_INPUT details, writing nothing', async () => {
    const before = await linkCount();
    for (const hours of [0, 721, -5]) {
      const res = await world.gql(CREATE_SHARE_LINK, { scanId, input: { expiresHours: hours } }, acme.keys.OPERATOR);
      expect(res.status).toBe(400);
      expect(res.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
      expect(res.body.errors![0].message).toBe('expiresHours must be an integer between 1 and 720');
      expect(res.body.errors![0].extensions.details).toEqual([
        { path: 'expiresHours', message: 'must be an integer between 1 and 720' },
      ]);
    }
    expect(await linkCount()).toBe(before);
  });

  it('refuses an unknown scope through enum coercion with BAD_USER_INPUT, writing nothing', async () => {
    const before = await linkCount();
    const viaVariables = await world.gql(
      CREATE_SHARE_LINK,
      { scanId, input: { scope: 'everything' } },
      acme.keys.OPERATOR,
    );
    expect(viaVariables.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(viaVariables.body.errors![0].message).toMatch(/ShareScope/);
    const uppercase = await world.gql(CREATE_SHARE_LINK, { scanId, input: { scope: 'PASSPORT' } }, acme.keys.OPERATOR);
    expect(uppercase.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await linkCount()).toBe(before);
  });

  it('bounds the label to 200 characters', async () => {
    const before = await linkCount();
    const res = await world.gql(CREATE_SHARE_LINK, { scanId, input: { label: 'x'.repeat(201) } }, acme.keys.OPERATOR);
    expect(res.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0].extensions.details).toEqual([
      { path: 'label', message: 'must be at most 200 characters' },
    ]);
    expect(await linkCount()).toBe(before);
    const ok = await seedShareLink(world, acme, scanId, { label: 'y'.repeat(200) });
    expect(ok.shareLink.id).toBeTruthy();
  });

  it("answers NOT_FOUND for an unknown scan and another tenant's scan", async () => {
    const theirs = await seedScan(world, other);
    const before = await linkCount();
    for (const id of ['00000000-0000-4000-8000-000000000000', theirs.id, 'nope']) {
      const res = await world.gql(CREATE_SHARE_LINK, { scanId: id }, acme.keys.OPERATOR);
      expect(res.status).toBe(404);
      expect(res.body.errors![0].extensions.code).toBe('NOT_FOUND');
      expect(res.body.errors![0].message).toBe('Scan not found');
    }
    expect(await linkCount()).toBe(before);
  });

  it('refuses a viewer with FORBIDDEN and no key with UNAUTHENTICATED', async () => {
    const before = await linkCount();
    const viewer = await world.gql(CREATE_SHARE_LINK, { scanId }, acme.keys.VIEWER);
    expect(viewer.status).toBe(403);
    expect(viewer.body.errors![0].extensions.code).toBe('FORBIDDEN');
    const anonymous = await world.gql(CREATE_SHARE_LINK, { scanId });
    expect(anonymous.status).toBe(401);
    expect(await linkCount()).toBe(before);
  });

  it('lets the admin and the platform admin create links', async () => {
    expect((await world.gql(CREATE_SHARE_LINK, { scanId }, acme.keys.ADMIN)).body.errors).toBeUndefined();
    const platform = await world.gql(CREATE_SHARE_LINK, { scanId }, PLATFORM_KEY);
    expect(platform.body.errors).toBeUndefined();
    expect(platform.body.data.createShareLink.shareLink.createdByKeyId).toBeNull();
  });
});

describe('the public view', () => {
  let views: Record<string, any>;

  beforeAll(async () => {
    await storeSetting(world, acme, 'certExpiryDays', 45);
    views = {};
    for (const scope of ['report', 'bundle', 'passport']) {
      const { token } = await seedShareLink(world, acme, scanId, { scope, label: 'Auditor handoff' });
      const res = await world.gql(SHARED_SCAN, { token });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
      views[scope] = res.body.data.sharedScan;
    }
  });

  it('report scope: the scan reference and the report only', () => {
    const v = views.report;
    expect(Object.keys(v).sort()).toEqual(['report', 'scan', 'scope']);
    expect(v.scope).toBe('report');
    expect(v.scan).toEqual({ id: scanId, target: 'api.acme.test', createdAt: expect.any(String) });
    expect(v.report).toEqual(REPORT);
  });

  it('bundle scope: the report plus evidence (scan metadata and the settings that shaped it)', () => {
    const v = views.bundle;
    expect(Object.keys(v).sort()).toEqual(['evidence', 'report', 'scan', 'scope']);
    expect(v.report).toEqual(REPORT);
    expect(v.evidence).toEqual({
      scan: { status: 'COMPLETED', summary: { high: 1 }, retained: false },
      settings: {
        autoRetainScans: false,
        evidenceRetentionMonths: 12,
        certExpiryDays: 45,
        readinessDropThreshold: 10,
        alertOnNewQuantumVulnerable: true,
      },
    });
    expect(v).not.toHaveProperty('tenant');
    expect(v).not.toHaveProperty('link');
  });

  it('passport scope: the full handoff', () => {
    const v = views.passport;
    expect(Object.keys(v).sort()).toEqual(['bundle', 'link', 'report', 'scan', 'scope', 'tenant']);
    expect(v.tenant).toEqual({ name: 'Acme & Co' });
    expect(v.scan).toEqual({
      id: scanId,
      target: 'api.acme.test',
      createdAt: expect.any(String),
      status: 'COMPLETED',
      summary: { high: 1 },
      retained: false,
    });
    expect(v.report).toEqual(REPORT);
    expect(v.bundle).toEqual({ evidence: views.bundle.evidence });
    expect(v.link).toEqual({ label: 'Auditor handoff', expiresAt: expect.any(String), scope: 'passport' });
  });

  it('never shows ids of keys or tenants, nor token hashes', () => {
    const text = JSON.stringify(views);
    for (const id of [acme.id, ...Object.values(acme.keyIds)]) expect(text).not.toContain(id);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
    expect(text).not.toMatch(/token|key/i);
  });

  it('renders each view as a self-contained, escaped HTML page', () => {
    for (const scope of ['report', 'bundle', 'passport']) {
      const html = renderSharePageHtml(views[scope]);
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('api.acme.test');
      expect(html).toContain('RSA-1024 on &lt;api&gt;');
      expect(html).not.toContain('<api>');
      expect(html).not.toMatch(/<script|<link |src=|href=|@import|url\(/i);
    }
    expect(renderSharePageHtml(views.passport)).toContain('Acme &amp; Co');
    expect(renderSharePageHtml(views.bundle)).toContain('Certificate expiry window (days)');
    expect(renderSharePageHtml(views.report)).not.toContain('Evidence');
  });

  it("is a capability: no key needed, and any valid key (even another tenant's) sees the same view", async () => {
    const { token } = await seedShareLink(world, acme, scanId, { scope: 'report' });
    const anonymous = await world.gql(SHARED_SCAN, { token });
    const otherTenant = await world.gql(SHARED_SCAN, { token }, other.keys.VIEWER);
    expect(anonymous.status).toBe(200);
    expect(otherTenant.status).toBe(200);
    expect(otherTenant.body.data.sharedScan).toEqual(anonymous.body.data.sharedScan);
    expect(anonymous.body.data.sharedScan.scope).toBe('report');
  });
});

describe('expiry, revoke and tampering', () => {
  it('opens just before expiry and is NOT_FOUND just after (clock moved, no sleeping)', async () => {
    const { token, shareLink } = await seedShareLink(world, acme, scanId, { expiresHours: 1 });
    const remaining = Date.parse(shareLink.expiresAt) - world.clock.now().getTime();
    world.clock.advance(remaining - 1000);
    expect((await world.gql(SHARED_SCAN, { token })).body.data.sharedScan.scope).toBe('passport');
    world.clock.advance(2000);
    await expectClosed(token);
    const listed = await world.gql(
      gql`query($id: ID!) { scan(id: $id) { shareLinks { id active } } }`,
      { id: scanId },
      acme.keys.VIEWER,
    );
    expect(listed.body.data.scan.shareLinks.find((l: { id: string }) => l.id === shareLink.id).active).toBe(false);
  });

  it('revoke ends a link at once, is idempotent, and is audited once', async () => {
    const { token, shareLink } = await seedShareLink(world, acme, scanId, { scope: 'bundle' });
    expect((await world.gql(SHARED_SCAN, { token })).status).toBe(200);
    const revoke = gql`mutation($id: ID!) { revokeShareLink(id: $id) { shareLink { id revokedAt active } } }`;
    const first = await world.gql(revoke, { id: shareLink.id }, acme.keys.OPERATOR);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.revokeShareLink.shareLink.active).toBe(false);
    const revokedAt = first.body.data.revokeShareLink.shareLink.revokedAt;
    expect(revokedAt).toBeTruthy();
    await expectClosed(token);
    const again = await world.gql(revoke, { id: shareLink.id }, acme.keys.ADMIN);
    expect(again.body.data.revokeShareLink.shareLink.revokedAt).toBe(revokedAt);
    const audit = await world.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'share_link.revoke')
      .where('target', '=', shareLink.id)
      .execute();
    expect(audit).toHaveLength(1);
  });

  it("refuses revoking for a viewer (FORBIDDEN), another tenant's link and an unknown id (NOT_FOUND)", async () => {
    const { token, shareLink } = await seedShareLink(world, acme, scanId);
    const revoke = gql`mutation($id: ID!) { revokeShareLink(id: $id) { shareLink { id } } }`;
    expect((await world.gql(revoke, { id: shareLink.id }, acme.keys.VIEWER)).body.errors![0].extensions.code).toBe(
      'FORBIDDEN',
    );
    for (const id of [shareLink.id, '00000000-0000-4000-8000-000000000000']) {
      const res = await world.gql(revoke, { id }, other.keys.ADMIN);
      expect(res.body.errors![0].extensions.code).toBe('NOT_FOUND');
    }
    expect((await world.gql(SHARED_SCAN, { token })).status).toBe(200);
  });

  it('answers a tampered, unknown, empty or huge token with the same NOT_FOUND', async () => {
    const { token } = await seedShareLink(world, acme, scanId);
    const i = 10;
    const swapped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    for (const bad of [swapped, token.slice(0, -1), token + 'x', 'x'.repeat(43), '', 'y'.repeat(10_000)])
      await expectClosed(bad);
    expect((await world.gql(SHARED_SCAN, { token })).status).toBe(200);
  });
});

describe('Scan.shareLinks', () => {
  it('lists links without tokens, newest first, per scan', async () => {
    const t = await world.createTenantWithKeys();
    const a = await seedScan(world, t, { target: 'a' });
    const b = await seedScan(world, t, { target: 'b' });
    const la = await seedShareLink(world, t, a.id, { label: 'first' });
    world.clock.advance(1000);
    const lb = await seedShareLink(world, t, a.id, { label: 'second', scope: 'report' });
    await seedShareLink(world, t, b.id, { label: 'other scan' });
    const res = await world.gql(
      gql`query($id: ID!) { tenant(id: $id) { scans { nodes { target shareLinks { id label scope } } } } }`,
      { id: t.id },
      t.keys.VIEWER,
    );
    const nodes = res.body.data.tenant.scans.nodes;
    expect(nodes.find((n: any) => n.target === 'a').shareLinks).toEqual([
      { id: lb.shareLink.id, label: 'second', scope: 'report' },
      { id: la.shareLink.id, label: 'first', scope: 'passport' },
    ]);
    expect(nodes.find((n: any) => n.target === 'b').shareLinks.map((l: any) => l.label)).toEqual(['other scan']);
    expect(JSON.stringify(res.body)).not.toContain(la.token);
  });
});

describe('the shareLinksByScan loader', () => {
  it('loads the links of many scans with one query', async () => {
    const t = await world.createTenantWithKeys();
    const scans = [await seedScan(world, t), await seedScan(world, t), await seedScan(world, t)];
    await seedShareLink(world, t, scans[0]!.id);
    await seedShareLink(world, t, scans[2]!.id);
    await seedShareLink(world, t, scans[2]!.id);
    let queries = 0;
    const counting = world.store.db.withPlugin({
      transformQuery: (args) => {
        queries++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const loaders = createLoaders(counting);
    const lists = await Promise.all(scans.map((s) => loaders.shareLinksByScan.load({ tenantId: t.id, scanId: s.id })));
    expect(queries).toBe(1);
    expect(lists.map((l) => l.length)).toEqual([1, 0, 2]);
  });
});

describe('secrets at rest and in the audit log', () => {
  it('the database holds no token, nor any piece or re-encoding of one', async () => {
    const t = await world.createTenantWithKeys();
    const scan = await seedScan(world, t);
    const { token, shareLink } = await seedShareLink(world, t, scan.id, { label: 'canary link' });
    const raw = Buffer.from(token, 'base64url');
    const needles = [
      token,
      raw.toString('base64'),
      raw.toString('base64').replace(/=+$/, ''),
      raw.toString('hex'),
      // Pieces: any 12-character window of the token at a few offsets.
      ...[0, 8, 16, 24, 31].map((o) => token.slice(o, o + 12)),
    ];
    expect(await findInDatabase(world, needles)).toEqual([]);
    // The link itself is there (so the search can find things): its id is in share_links and the audit log.
    const hits = await findInDatabase(world, [shareLink.id]);
    expect(hits).toEqual(expect.arrayContaining([expect.stringMatching(/^audit_log\.target/)]));
  });

  it('audits create with scanId, scope, label and expiry, never the token', async () => {
    const { token, shareLink } = await seedShareLink(world, acme, scanId, {
      label: 'audited',
      scope: 'bundle',
      expiresHours: 2,
    });
    const rows = await world.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'share_link.create')
      .where('target', '=', shareLink.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tenant_id: acme.id, actor_key_id: acme.keyIds.OPERATOR, actor_role: 'OPERATOR' });
    expect(rows[0]!.changes).toEqual({ scanId, scope: 'bundle', label: 'audited', expiresAt: shareLink.expiresAt });
    const all = await world.store.db.selectFrom('audit_log').selectAll().execute();
    expect(JSON.stringify(all)).not.toContain(token);
    expect(world.logText()).not.toContain(token.slice(0, 20));
  });
});

describe('url base', () => {
  it('uses PUBLIC_BASE_URL when configured', async () => {
    const w = await createWorld({ publicBaseUrl: 'https://share.example.com' });
    try {
      const t = await w.createTenantWithKeys();
      const scan = await seedScan(w, t);
      const { url, token } = await seedShareLink(w, t, scan.id);
      expect(url).toBe(`https://share.example.com/share/${token}`);
    } finally {
      await w.close();
    }
  });
});
