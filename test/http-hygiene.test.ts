import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthOf, whileHealthy } from './helpers/attack.js';
import { gql } from './helpers/graphql.js';
import { seedScan, seedShareLink } from './helpers/scans.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;

beforeAll(async () => {
  world = await createWorld({ corsOrigins: ['https://app.example.test'] });
  tenant = await world.createTenantWithKeys();
}, 120_000);
afterAll(() => world.close());

const RENAME = JSON.stringify({
  query: gql`mutation { updateTenantSettings(input: { industry: "csrf" }) { version } }`,
});

describe('CORS from an allow-list, without credentials', () => {
  it('sends no CORS headers to an origin not on the list (nor to "null"), preflight or not', async () => {
    for (const origin of ['https://evil.example', 'null']) {
      const pre = await world.request('/graphql', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization',
        },
      });
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
      const res = await world.request('/tenant/me', { headers: { origin }, key: tenant.keys.VIEWER });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('allows a listed origin, never with credentials', async () => {
    const pre = await world.request('/graphql', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('CSRF: GraphQL POST only as JSON, no mutation over GET', () => {
  it('refuses forms and text/plain with 415, running nothing', async () => {
    const bodies: [string, BodyInit][] = [
      ['application/x-www-form-urlencoded', new URLSearchParams({ query: JSON.parse(RENAME).query }).toString()],
      ['text/plain', RENAME],
    ];
    for (const [type, body] of bodies) {
      const res = await whileHealthy(healthOf(world), () =>
        Promise.resolve(
          world.request('/graphql', {
            method: 'POST',
            headers: { 'content-type': type },
            body,
            key: tenant.keys.ADMIN,
          }),
        ),
      );
      expect(res.status, type).toBe(415);
      expect((await res.json()).errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const form = new FormData();
    form.set('operations', RENAME);
    const multipart = await world.request('/graphql', { method: 'POST', body: form, key: tenant.keys.ADMIN });
    expect(multipart.status).toBe(415);
    const get = await world.request(`/graphql?query=${encodeURIComponent(JSON.parse(RENAME).query)}`, {
      key: tenant.keys.ADMIN,
    });
    expect(get.status).toBe(405);
    const settings = await world.gql(gql`{ currentTenant { industry } }`, {}, tenant.keys.ADMIN);
    expect(settings.body.data.currentTenant.industry).not.toBe('csrf');
    const ok = await world.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/graphql-response+json' },
      body: JSON.stringify({ query: gql`{ me { role } }` }),
      key: tenant.keys.VIEWER,
    });
    expect(ok.status).toBe(200);
  });
});

describe('headers', () => {
  it('sends nosniff everywhere, and the share page a strict CSP that forbids framing', async () => {
    for (const path of [
      '/health',
      `/graphql?query=${encodeURIComponent(gql`{__typename}`)}`,
      '/tenant/me',
      '/no/such/path',
      '/openapi.json',
    ]) {
      expect((await world.request(path, { key: tenant.keys.VIEWER })).headers.get('x-content-type-options'), path).toBe(
        'nosniff',
      );
    }
    const scan = await seedScan(world, tenant);
    const { token } = await seedShareLink(world, tenant, scan.id);
    const page = await world.request(`/share/${token}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('never builds a share URL from the Host header', async () => {
    const scan = await seedScan(world, tenant);
    const res = await world.app.fetch(
      new Request('http://attacker.example/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${tenant.keys.OPERATOR}`,
          host: 'attacker.example',
        },
        body: JSON.stringify({ query: gql`mutation { createShareLink(scanId: "${scan.id}") { url } }` }),
      }),
    );
    const url = (await res.json()).data.createShareLink.url as string;
    expect(url.startsWith('http://localhost:0/share/')).toBe(true);
    expect(url).not.toContain('attacker');
  });

  it("stores our request id in the audit entry, and logs the client's beside it", async () => {
    const res = await world.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'client-id-7' },
      body: JSON.stringify({
        query: gql`mutation { updateTenantSettings(input: { industry: "retail" }) { version } }`,
      }),
      key: tenant.keys.ADMIN,
    });
    expect(res.status).toBe(200);
    const ours = res.headers.get('x-request-id')!;
    expect(ours).not.toBe('client-id-7');
    const audit = await world.gql(
      gql`{ currentTenant { auditLog(first: 1) { nodes { requestId } } } }`,
      {},
      tenant.keys.ADMIN,
    );
    expect(audit.body.data.currentTenant.auditLog.nodes[0].requestId).toBe(ours);
    expect(world.logLines().find((l) => l.requestId === ours && 'status' in l)).toMatchObject({
      clientRequestId: 'client-id-7',
    });
  });
});

describe('suggestions are for key holders', () => {
  it('hides "Did you mean" from callers without a valid key: fields, types, enum literals and enum variables', async () => {
    const documents: [string, Record<string, unknown>?][] = [
      [gql`{ mee { role } }`],
      [gql`query($s: ShareScop) { me { role } }`],
      [gql`mutation { createShareLink(scanId: "x", input: { scope: PASPORT }) { url } }`],
      [gql`mutation($s: ShareScope!) { createShareLink(scanId: "x", input: { scope: $s }) { url } }`, { s: 'PASPORT' }],
    ];
    for (const [query, variables] of documents) {
      for (const key of [undefined, 'not-a-valid-key']) {
        const res = await world.gql(query, variables, key);
        expect(res.body.errors?.length, query).toBeGreaterThan(0);
        expect(JSON.stringify(res.body), query).not.toMatch(/Did you mean/);
      }
      const keyed = await world.gql(query, variables, tenant.keys.OPERATOR);
      expect(keyed.body.errors?.length, `${query} (keyed)`).toBeGreaterThan(0);
      // Variable errors are rebuilt from the error itself (never echoing the value), without suggestions for anyone.
      if (!variables) expect(JSON.stringify(keyed.body), `${query} (keyed)`).toMatch(/Did you mean/);
    }
  });
});
