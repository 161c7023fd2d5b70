import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS_CATEGORIES } from '../src/catalog/admin-settings.js';
import { routes } from '../src/rest/routes/index.js';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { rest } from './helpers/rest.js';
import { CREATE_SHARE_LINK, findInDatabase, seedScan } from './helpers/scans.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

/**
 * One canary search across every path together: the webhook signing secret set through REST
 * (seed 000 and seed 001 paths) and GraphQL, refused writes that carry it, API keys and share
 * tokens created through both; then every GraphQL read and every REST GET route, the log, the
 * audit log and every text/jsonb column of the database are searched for each of them.
 */

// Short canaries (16 characters, the secret's minimum length): a long compressible value might be
// stored compressed and so escape a plaintext search of the database (STACK-FACTS).
const canary = () => `cnry${randomBytes(6).toString('hex')}`;

let world: World;
let tenant: TestTenant;
/** Webhook signing secrets, accepted or refused: they must never come back anywhere. */
const secrets: string[] = [];
/** API keys and share tokens: shown once, in their creation response, and nowhere else. */
const credentials: string[] = [];
/** Every response except the creation responses of keys and tokens. */
const responses: string[] = [];

const record = (body: string, headers: Headers) => responses.push(body, JSON.stringify([...headers]));

/** GraphQL as the tenant's admin by default; `null` sends no key. */
async function ask(query: string, variables: Record<string, unknown>, key: string | null = tenant.keys.ADMIN) {
  const res = await world.gql(query, variables, key ?? undefined);
  record(JSON.stringify(res.body), res.headers);
  return res;
}

async function call(method: string, path: string, options: { body?: unknown; key?: string | null } = {}) {
  const res = await rest(world, method, path, {
    body: options.body,
    key: options.key === null ? undefined : (options.key ?? tenant.keys.ADMIN),
  });
  record(res.text, res.headers);
  return res;
}

beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
  credentials.push(...Object.values(tenant.keys));
});
afterAll(() => world.close());

describe('the webhook signing secret through every write path', () => {
  it('PUT /tenant/settings, PATCH /tenant/settings, PUT /api/admin/settings/webhooks, and both GraphQL mutations', async () => {
    const writes: Array<(s: string) => Promise<{ ok: boolean; text: string }>> = [
      async (s) => {
        const r = await call('PUT', '/tenant/settings', { body: { webhookSigningSecret: s } });
        return { ok: r.status === 200, text: r.text };
      },
      async (s) => {
        const r = await call('PATCH', '/tenant/settings', { body: { webhookSigningSecret: s, certExpiryDays: 45 } });
        return { ok: r.status === 200, text: r.text };
      },
      async (s) => {
        const r = await call('PUT', '/api/admin/settings/webhooks', { body: { signing_secret: s, enabled: true } });
        return { ok: r.status === 200, text: r.text };
      },
      async (s) => {
        const r = await ask(Q.updateTenantSettings, { input: { webhookSigningSecret: s } }, tenant.keys.OPERATOR);
        return { ok: !r.body.errors, text: JSON.stringify(r.body) };
      },
      async (s) => {
        const r = await ask(
          Q.updateAdminSettings,
          { input: { webhooks: { signing_secret: s } } },
          tenant.keys.OPERATOR,
        );
        return { ok: !r.body.errors, text: JSON.stringify(r.body) };
      },
    ];
    for (const write of writes) {
      const secret = canary();
      secrets.push(secret);
      const res = await write(secret);
      expect(res.ok, res.text).toBe(true);
      const s = await ask(gql`{ me { tenant { settings { webhookSigningSecret { isSet } } } } }`, {});
      expect(s.body.data.me.tenant.settings.webhookSigningSecret.isSet).toBe(true);
    }
  });

  it('a refused write never echoes the secret it carried, and still names the field and the reason', async () => {
    const refusals: Array<{
      send: (s: string) => Promise<{ status: number; text: string }>;
      status: number;
      mentions: RegExp[];
    }> = [
      // Domain validation (out of range next to the secret).
      {
        send: (s) => call('PUT', '/tenant/settings', { body: { webhookSigningSecret: s, certExpiryDays: 9999 } }),
        status: 422,
        mentions: [/certExpiryDays must be between 1 and 365/],
      },
      {
        send: (s) => call('PUT', '/api/admin/settings/webhooks', { body: { signing_secret: s, timeout_seconds: 999 } }),
        status: 400,
        mentions: [/timeout_seconds/],
      },
      // GraphQL variable coercion (an unknown field or a wrong type in the same input object).
      {
        send: (s) => call('PUT', '/tenant/settings', { body: { webhookSigningSecret: s, bogus: 1 } }),
        status: 422,
        mentions: [/Field "bogus" is not defined/, /"path":"bogus"/],
      },
      {
        send: (s) => call('PUT', '/tenant/settings', { body: { webhookSigningSecret: s, certExpiryDays: 'x' } }),
        status: 422,
        mentions: [/"path":"certExpiryDays"/, /Int cannot represent non-integer value/],
      },
      {
        send: (s) => call('PUT', '/api/admin/settings/webhooks', { body: { signing_secret: s, nope: true } }),
        status: 400,
        mentions: [/Field "nope" is not defined/, /"path":"webhooks.nope"/],
      },
      {
        send: (s) => call('PUT', `/api/v1/tenants/${tenant.id}/config`, { body: { security: { webhook: s } } }),
        status: 400,
        mentions: [/Field "webhook" is not defined/],
      },
      {
        send: async (s) => {
          const r = await ask(Q.updateTenantSettings, { input: { webhookSigningSecret: s, bogus: 1 } });
          return { status: r.status, text: JSON.stringify(r.body) };
        },
        status: 400,
        mentions: [
          /Variable "\$input" got invalid value; Field "bogus" is not defined by type "TenantSettingsPatch"/,
          /BAD_USER_INPUT/,
        ],
      },
      {
        send: async (s) => {
          const r = await ask(Q.updateAdminSettings, { input: { webhooks: { signing_secret: s, nope: 1 } } });
          return { status: r.status, text: JSON.stringify(r.body) };
        },
        status: 400,
        mentions: [/at "input.webhooks"; Field "nope" is not defined/],
      },
      {
        // A number where the secret's string goes: graphql-js repeats it in the reason too.
        send: async (s) => {
          const r = await ask(Q.updateTenantSettings, { input: { webhookSigningSecret: Number(s) } });
          return { status: r.status, text: JSON.stringify(r.body) };
        },
        status: 400,
        mentions: [/at "input.webhookSigningSecret"; String cannot represent a non string value/],
      },
      {
        send: async (s) => {
          const r = await ask(Q.auditLog, { id: tenant.id, filter: { since: s } });
          return { status: r.status, text: JSON.stringify(r.body) };
        },
        status: 400,
        mentions: [/at "filter.since"; DateTime must be an ISO-8601 string/],
      },
    ];
    for (const [i, r] of refusals.entries()) {
      // The numeric case needs a number-shaped canary (below 2^53, so it survives JSON intact).
      const secret = i === 8 ? String(1_000_000_000_000_000 + Math.floor(Math.random() * 1e15)) : canary();
      secrets.push(secret);
      const before = (await ask(gql`{ me { tenant { settings { version } } } }`, {})).body.data.me.tenant.settings
        .version;
      const res = await r.send(secret);
      expect(res.status, res.text).toBe(r.status);
      expect(res.text, `refusal ${i} echoes the secret`).not.toContain(secret);
      const plain = res.text.split(`\\"`).join(`"`); // JSON text, quotes unescaped for the patterns
      for (const m of r.mentions) expect(plain, `refusal ${i}`).toMatch(m);
      expect(
        (await ask(gql`{ me { tenant { settings { version } } } }`, {})).body.data.me.tenant.settings.version,
      ).toBe(before);
    }
  });
});

describe('API keys and share tokens', () => {
  it('are created through GraphQL and REST, and used', async () => {
    const key = await world.gql(
      gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id prefix } } }`,
      { input: { tenantId: tenant.id, role: 'VIEWER', label: 'canary key' } },
      tenant.keys.ADMIN,
    );
    credentials.push(key.body.data.createApiKey.key);
    const scan = await seedScan(world, tenant, { report: { ok: true } });
    const viaGraphql = await world.gql(
      CREATE_SHARE_LINK,
      { scanId: scan.id, input: { label: 'canary link' } },
      tenant.keys.OPERATOR,
    );
    credentials.push(viaGraphql.body.data.createShareLink.token);
    for (const path of [`/tenant/scans/${scan.id}/share`, `/tenant/scans/${scan.id}/share-links`]) {
      const res = await rest(world, 'POST', path, { key: tenant.keys.OPERATOR, body: { scope: 'bundle' } });
      expect(res.status).toBe(201);
      credentials.push(res.body.token);
    }
    // Used: the new key on a request, each token on the public view (JSON and HTML) and on a path beyond it.
    expect((await call('GET', '/tenant/me', { key: key.body.data.createApiKey.key })).status).toBe(200);
    for (const token of credentials.slice(-3)) {
      expect((await call('GET', `/share/${token}`, { key: null })).status).toBe(200);
      const html = await world.request(`/share/${token}`, { headers: { accept: 'text/html' } });
      record(await html.text(), html.headers);
      expect((await call('GET', `/share/${token}/more`, { key: null })).status).toBe(404);
      const viewed = await ask(gql`query($t: String!) { sharedScan(token: $t) }`, { t: token }, null);
      expect(viewed.body.data.sharedScan).not.toBeNull();
    }
  });
});

describe('reading everything back', () => {
  const FULL_TENANT = `id name industry
    settings { version updatedAt tenantSettings categories webhookSigningSecret { isSet updatedAt } webhooks { signing_secret { isSet updatedAt } }
      values { path value source envVar defaultValue secret description updatedAt }
      ${SETTINGS_CATEGORIES.map((c) => `cv_${c}: categoryValues(category: ${c})`).join(' ')} }
    config { version document values { path value source } }
    featureFlags { key enabled updatedAt }
    auditLog(first: 20) { nodes { id action actorKeyId actorRole target changes requestId createdAt } }
    scans(first: 20) { nodes { id target summary report retained shareLinks { id label scope expiresAt createdByKeyId revokedAt active } } }
    apiKeys { id role prefix label createdAt lastUsedAt revokedAt }`;

  it('every GraphQL read', async () => {
    const me = await ask(gql`{ me { keyId role platformAdmin entitlements tenant { ${FULL_TENANT} } } }`, {});
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me.tenant.auditLog.nodes.length).toBeGreaterThan(5);
    const byId = await ask(gql`query($id: ID!) { tenant(id: $id) { ${FULL_TENANT} } }`, { id: tenant.id });
    expect(byId.body.errors).toBeUndefined();
    const scanId = byId.body.data.tenant.scans.nodes[0].id;
    expect(
      (await ask(gql`query($id: ID!) { scan(id: $id) { id report summary shareLinks { id label } } }`, { id: scanId }))
        .body.errors,
    ).toBeUndefined();
  });

  it('every REST GET route, and /openapi.json', async () => {
    const gets = routes.filter((r) => r.method === 'GET' && r.auth === 'key');
    expect(gets.length).toBeGreaterThan(5);
    for (const route of gets) {
      const paths = route.path.includes(':category')
        ? SETTINGS_CATEGORIES.map((c) => route.path.replace(':category', c))
        : [route.path.replace(':id', tenant.id).replace(':version', '0')];
      for (const path of paths) {
        const res = await call('GET', path + (path.endsWith('audit-logs') ? '?limit=100' : ''));
        expect(res.status, `${path}: ${res.text}`).toBe(200);
      }
    }
    expect((await call('GET', '/openapi.json', { key: null })).status).toBe(200);
  });
});

describe('the search', () => {
  it('finds no secret in any response, log line, audit entry or database column, and no key or token outside its creation', async () => {
    expect(secrets.length).toBe(15);
    expect(credentials.length).toBe(7);
    const logs = world.logText();
    expect(logs).toContain('/share/[redacted]'); // the public view was logged, without its token
    const audit = JSON.stringify(await world.store.db.selectFrom('audit_log').selectAll().execute());
    expect(audit).toContain('[redacted]');
    for (const needle of [...secrets, ...credentials]) {
      expect(
        responses.filter((r) => r.includes(needle)).map((r) => r.slice(0, 300)),
        `a response holds ${needle}`,
      ).toEqual([]);
      expect(logs, `the log holds ${needle}`).not.toContain(needle);
      expect(audit, `the audit log holds ${needle}`).not.toContain(needle);
    }
    expect(await findInDatabase(world, [...secrets, ...credentials])).toEqual([]);
  });
});
