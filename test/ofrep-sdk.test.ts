import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { ErrorCode, OpenFeature } from '@openfeature/server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeysIn, type GatewayProcess, startGateway } from './helpers/gateway-process.js';
import { gql, type Operation } from './helpers/graphql.js';
import { createTestDatabase } from './helpers/world.js';

/**
 * The real OpenFeature server SDK with the community OFREP provider against the real gateway
 * process (as `npm start` runs it, rate limits on), with the demo tenant's keys (PRO tier).
 */
const dataDir = mkdtempSync(join(tmpdir(), 'gateway-ofrep-'));
const env: Record<string, string> = { DATA_DIR: dataDir };
let dropDatabase = async () => {};
let gateway: GatewayProcess;
let keys: ReturnType<typeof demoKeysIn>;
let tenantId: string;

/** POST /graphql on the process; asserts no errors and returns `data` (typed by a gql<T>`…` operation). */
async function ok<T = any>(query: Operation<T>, key: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${gateway.origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  expect(body.errors).toBeUndefined();
  return body.data as T;
}

const providerFor = (key: string) =>
  new OFREPProvider({ baseUrl: gateway.origin, headers: [['Authorization', `Bearer ${key}`]] });

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) {
    const db = await createTestDatabase(process.env.TEST_DATABASE_URL);
    Object.assign(env, { DATABASE_URL: db.url, SECRETS_KEY: randomBytes(32).toString('hex') });
    dropDatabase = db.drop;
  }
  gateway = await startGateway(env);
  // A fresh data folder on a loaded machine can take a minute.
  await gateway.waitForOutput(/GraphiQL: .*\n/, 240_000);
  keys = demoKeysIn(gateway.output());
  tenantId = (await ok(gql<{ me: { tenant: { id: string } } }>`{ me { tenant { id } } }`, keys.VIEWER)).me.tenant.id;
  await OpenFeature.setProviderAndWait(providerFor(keys.VIEWER));
}, 300_000);

afterAll(async () => {
  await OpenFeature.close();
  await gateway?.stop();
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('OpenFeature server SDK + OFREP provider against the gateway', () => {
  it('reads boolean, number, string and object values with the demo viewer key', async () => {
    const client = OpenFeature.getClient();
    const mfa = await client.getBooleanDetails('advanced_mfa', false);
    expect(mfa).toMatchObject({
      value: true,
      reason: 'STATIC',
      flagMetadata: { tierRequired: 'PRO', available: true, category: 'security' },
    });
    expect(mfa.errorCode).toBeUndefined();
    const cache = await client.getNumberDetails('config.performance.cache_size_mb', 0);
    expect(cache).toMatchObject({ value: 1024, reason: 'STATIC', flagMetadata: { source: 'default', version: 0 } });
    expect(await client.getNumberValue('admin.authentication.password_policy.min_length', 0)).toBe(8);
    expect(await client.getStringValue('admin.branding.primary_color', '')).toBe('#0066CC');
    expect(await client.getStringValue('settings.industry', '')).toBe('financial');
    expect(await client.getObjectValue('config.custom_settings', { unset: true })).toEqual({});
    expect(await client.getObjectValue('config.compliance.data_residency', ['unset'])).toEqual([]);
  });

  it('sees a write made through GraphQL on its next evaluation', async () => {
    const client = OpenFeature.getClient();
    expect(await client.getNumberValue('settings.certExpiryDays', 0)).toBe(30);
    await ok(gql`mutation { updateTenantSettings(input: { certExpiryDays: 45 }) { version } }`, keys.OPERATOR);
    await ok(
      gql`mutation { updateTenantConfig(input: { custom_settings: { region: "eu-west" } }) { version } }`,
      keys.OPERATOR,
    );
    const days = await client.getNumberDetails('settings.certExpiryDays', 0);
    expect(days).toMatchObject({ value: 45, flagMetadata: { source: 'stored' } });
    expect(await client.getObjectValue('config.custom_settings', {})).toEqual({ region: 'eu-west' });
  });

  it('a flag above the tier is false with reason DISABLED', async () => {
    const details = await OpenFeature.getClient().getBooleanDetails('rebac_enabled', true);
    expect(details).toMatchObject({
      value: false,
      reason: 'DISABLED',
      flagMetadata: { tierRequired: 'ENTERPRISE', available: false },
    });
    expect(details.errorCode).toBeUndefined();
  });

  it("an unknown key (or a secret) gives the SDK's FLAG_NOT_FOUND and the default", async () => {
    const client = OpenFeature.getClient();
    for (const key of ['no_such_flag', 'settings.webhookSigningSecret']) {
      const details = await client.getBooleanDetails(key, true);
      expect(details, key).toMatchObject({ value: true, errorCode: ErrorCode.FLAG_NOT_FOUND, reason: 'ERROR' });
    }
  });

  it("a setting without a value gives the caller's default with FLAG_NOT_FOUND, not GENERAL", async () => {
    const client = OpenFeature.getClient();
    const fallback = 'https://cdn.example.com/default-logo.png';
    const details = await client.getStringDetails('admin.branding.logo_url', fallback);
    expect(details).toMatchObject({ value: fallback, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
    expect(details.errorMessage).toBe(
      "Flag 'admin.branding.logo_url' has no value for this tenant: use the code default",
    );
    // Set, it is the tenant's value, STATIC.
    await ok(
      gql`mutation { updateAdminSettings(input: { branding: { logo_url: "https://cdn.example.com/acme.png" } }) { version } }`,
      keys.OPERATOR,
    );
    expect(await client.getStringDetails('admin.branding.logo_url', fallback)).toMatchObject({
      value: 'https://cdn.example.com/acme.png',
      reason: 'STATIC',
      flagMetadata: { source: 'stored' },
    });
  });

  it('a revoked key gets 401 and the SDK reports an error', async () => {
    const created = await ok(
      gql<{
        createApiKey: { key: string; apiKey: { id: string } };
      }>`mutation($id: ID!) { createApiKey(input: { tenantId: $id, role: VIEWER, label: "sdk" }) { key apiKey { id } } }`,
      keys.ADMIN,
      { id: tenantId },
    );
    await OpenFeature.setProviderAndWait('revocable', providerFor(created.createApiKey.key));
    const client = OpenFeature.getClient('revocable');
    expect(await client.getBooleanValue('advanced_mfa', false)).toBe(true);
    await ok(gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } } }`, keys.ADMIN, {
      id: created.createApiKey.apiKey.id,
    });

    const raw = await fetch(`${gateway.origin}/ofrep/v1/evaluate/flags/advanced_mfa`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${created.createApiKey.key}` },
      body: '{"context":{}}',
    });
    expect(raw.status).toBe(401);
    expect(await raw.text()).toBe('');
    const details = await client.getBooleanDetails('advanced_mfa', false);
    expect(details.value).toBe(false);
    expect(details.reason).toBe('ERROR');
    // The provider throws its OFREPApiUnauthorizedError (no OpenFeature code): the SDK's GENERAL.
    expect(details.errorCode).toBe(ErrorCode.GENERAL);
  });

  it('never logs a key given in the URL of the event stream', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gateway.origin}/ofrep/v1/events?api_key=${encodeURIComponent(keys.VIEWER)}`, {
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    await gateway.waitForOutput(new RegExp(`"requestId":"${requestId}"`));
    controller.abort();
    const line = gateway.logLines().find((l) => l.requestId === requestId)!;
    expect(line.path).toBe('/ofrep/v1/events');
    // The banner printed the key once at start; no log line ever carries it.
    expect(JSON.stringify(gateway.logLines())).not.toContain(keys.VIEWER);
  });
});
