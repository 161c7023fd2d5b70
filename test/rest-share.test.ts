import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTenantError, ISO_DATE, rest } from './helpers/rest.js';
import { seedScan } from './helpers/scans.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld({ publicBaseUrl: 'http://gateway.test' });
  tenant = await world.createTenantWithKeys({ name: 'Share Tenant' });
});
afterAll(() => world.close());

async function newScan(t: TestTenant = tenant): Promise<string> {
  return (await seedScan(world, t, { target: 'bank.example', report: { quantumVulnerable: 3 } })).id;
}

const HOUR = 3_600_000;

describe('seed 002: POST /tenant/scans/{scan_id}/share', () => {
  it('replays the documented example: 201 { url, token }, and the url serves the scan', async () => {
    const scanId = await newScan();
    const res = await rest(world, 'POST', `/tenant/scans/${scanId}/share`, {
      key: tenant.keys.OPERATOR,
      body: { label: 'Auditor handoff', scope: 'passport' },
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['token', 'url']);
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(res.body.url).toBe(`http://gateway.test/share/${res.body.token}`);
    const view = await rest(world, 'GET', new URL(res.body.url).pathname);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      scope: 'passport',
      scan: { id: scanId, target: 'bank.example' },
      link: { label: 'Auditor handoff' },
    });
  });

  it('takes an empty body (defaults: 168 hours, passport)', async () => {
    const scanId = await newScan();
    const res = await rest(world, 'POST', `/tenant/scans/${scanId}/share`, { key: tenant.keys.ADMIN });
    expect(res.status).toBe(201);
    const view = await rest(world, 'GET', `/share/${res.body.token}`);
    expect(view.body.scope).toBe('passport');
    expect(Date.parse(view.body.link.expiresAt) - world.clock.now().getTime()).toBeGreaterThan(167 * HOUR);
  });

  it('the canonical route returns the link id, scope and expiry too; DELETE revokes it', async () => {
    const scanId = await newScan();
    const res = await rest(world, 'POST', `/tenant/scans/${scanId}/share-links`, {
      key: tenant.keys.OPERATOR,
      body: { expiresHours: 2, scope: 'report', label: 'Quick look' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      url: expect.stringContaining('/share/'),
      token: expect.any(String),
      id: expect.any(String),
      scope: 'report',
      label: 'Quick look',
    });
    expect(res.body.expiresAt).toMatch(ISO_DATE);
    expect(Math.abs(Date.parse(res.body.expiresAt) - (world.clock.now().getTime() + 2 * HOUR))).toBeLessThan(60_000);
    expect((await rest(world, 'GET', `/share/${res.body.token}`)).status).toBe(200);
    const revoked = await rest(world, 'DELETE', `/tenant/share-links/${res.body.id}`, { key: tenant.keys.OPERATOR });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: res.body.id, revoked: true });
    expect(revoked.body.revokedAt).toMatch(ISO_DATE);
    expect((await rest(world, 'GET', `/share/${res.body.token}`)).status).toBe(404);
  });
});

describe('/tenant/* errors of share links', () => {
  it('401 without a key', async () => {
    expectTenantError(
      await rest(world, 'POST', `/tenant/scans/${await newScan()}/share`, { body: {} }),
      401,
      'UNAUTHENTICATED',
    );
  });

  it('403 for a viewer', async () => {
    expectTenantError(
      await rest(world, 'POST', `/tenant/scans/${await newScan()}/share`, { key: tenant.keys.VIEWER, body: {} }),
      403,
      'FORBIDDEN',
    );
  });

  it("404 for an unknown scan and for another tenant's scan", async () => {
    expectTenantError(
      await rest(world, 'POST', `/tenant/scans/${randomUUID()}/share`, { key: tenant.keys.OPERATOR, body: {} }),
      404,
      'NOT_FOUND',
    );
    const other = await world.createTenantWithKeys({ name: 'Other share tenant' });
    const theirs = await newScan(other);
    expectTenantError(
      await rest(world, 'POST', `/tenant/scans/${theirs}/share-links`, { key: tenant.keys.OPERATOR, body: {} }),
      404,
      'NOT_FOUND',
    );
    expectTenantError(
      await rest(world, 'DELETE', `/tenant/share-links/${randomUUID()}`, { key: tenant.keys.OPERATOR }),
      404,
      'NOT_FOUND',
    );
  });

  it.each([
    ['a bad scope', { scope: 'everything' }, 'scope'],
    ['expiresHours 0', { expiresHours: 0 }, 'expiresHours'],
    ['expiresHours 721', { expiresHours: 721 }, 'expiresHours'],
    ['an unknown field', { expires: 5 }, 'expires'],
  ])('422 with field details for %s', async (_what, body, path) => {
    const res = await rest(world, 'POST', `/tenant/scans/${await newScan()}/share`, {
      key: tenant.keys.OPERATOR,
      body,
    });
    expectTenantError(res, 422, 'BAD_USER_INPUT');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining(path) })]),
    );
  });

  it('405 with Allow', async () => {
    const res = await rest(world, 'GET', `/tenant/scans/${await newScan()}/share`, { key: tenant.keys.OPERATOR });
    expectTenantError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('public GET /share/{token}', () => {
  let token: string;
  let scanId: string;
  beforeAll(async () => {
    scanId = await newScan();
    token = (
      await rest(world, 'POST', `/tenant/scans/${scanId}/share`, {
        key: tenant.keys.OPERATOR,
        body: { label: 'Public', expiresHours: 1 },
      })
    ).body.token;
  });

  it('JSON by default, no-store and no-referrer, no key needed', async () => {
    const res = await rest(world, 'GET', `/share/${token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.body.scan.id).toBe(scanId);
    expect(res.text).not.toContain(token);
  });

  it('an HTML page when the client prefers text/html', async () => {
    const res = await rest(world, 'GET', `/share/${token}`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.text).toMatch(/^<!doctype html>/i);
    expect(res.text).toContain('bank.example');
    const json = await rest(world, 'GET', `/share/${token}`, {
      headers: { accept: 'application/json, text/html;q=0.5' },
    });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('unknown, tampered, revoked and expired tokens all get the same 404', async () => {
    const scan = await newScan();
    const revoke = (
      await rest(world, 'POST', `/tenant/scans/${scan}/share-links`, { key: tenant.keys.OPERATOR, body: {} })
    ).body;
    await rest(world, 'DELETE', `/tenant/share-links/${revoke.id}`, { key: tenant.keys.OPERATOR });
    const expiring = (
      await rest(world, 'POST', `/tenant/scans/${scan}/share-links`, {
        key: tenant.keys.OPERATOR,
        body: { expiresHours: 1 },
      })
    ).body.token;
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const answers = [];
    for (const t of ['unknown-token-' + randomUUID(), tampered, revoke.token])
      answers.push(await rest(world, 'GET', `/share/${t}`));
    world.clock.advance(2 * HOUR);
    answers.push(await rest(world, 'GET', `/share/${expiring}`));
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect(res.text).toBe(answers[0].text);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect(answers[0].body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
  });
});
