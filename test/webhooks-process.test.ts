import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeysIn, type GatewayProcess, startGateway } from './helpers/gateway-process.js';
import { gql } from './helpers/graphql.js';
import { startReceiver, verifyStandardWebhook } from './helpers/webhook-receiver.js';
import { createTestDatabase } from './helpers/world.js';

// The outbox through the real process (`npm start`), on the store under test: a change committed
// by a process killed (SIGKILL) before it delivered is delivered by the next process.
const dataDir = mkdtempSync(join(tmpdir(), 'gateway-webhooks-'));
const env: Record<string, string> = {
  DATA_DIR: dataDir,
  WEBHOOKS_ALLOW_PRIVATE: '1',
  RATE_LIMITS: 'off',
  RETENTION_SWEEP_INTERVAL_MS: '0',
};
let dropDatabase = async () => {};
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  receiver = await startReceiver();
  if (process.env.TEST_DATABASE_URL) {
    const db = await createTestDatabase(process.env.TEST_DATABASE_URL);
    Object.assign(env, { DATABASE_URL: db.url, SECRETS_KEY: randomBytes(32).toString('hex') });
    dropDatabase = db.drop;
  }
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await receiver?.close();
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

async function ask(g: GatewayProcess, key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${g.origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

describe('the webhook outbox across a crash', () => {
  it('a process killed between commit and delivery: the next process delivers the change, signed', async () => {
    const secret = 'whsec_' + randomBytes(32).toString('base64');
    // No deliverer in the first process: the row stays queued, as if it died before sending.
    const first = await startGateway({ ...env, WEBHOOK_DELIVERY_INTERVAL_MS: '0' });
    gateways.push(first);
    await first.waitForOutput(/GraphiQL: .*\n/, 150_000);
    const keys = demoKeysIn(first.output());
    await ask(
      first,
      keys.ADMIN,
      gql`mutation($s: String) { updateTenantSettings(input: { webhookSigningSecret: $s }) { version } }`,
      { s: secret },
    );
    await ask(
      first,
      keys.ADMIN,
      gql`mutation($e: JSON) { updateAdminSettings(input: { webhooks: { enabled: true, endpoints: $e } }) { version } }`,
      {
        e: [{ url: receiver.url(), events: ['config.update'] }],
      },
    );
    await ask(
      first,
      keys.OPERATOR,
      gql`mutation { updateTenantConfig(input: { performance: { cache_size_mb: 4321 } }) { version } }`,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    expect(receiver.received).toHaveLength(0);

    const second = await startGateway({ ...env, WEBHOOK_DELIVERY_INTERVAL_MS: '100' });
    gateways.push(second);
    await second.waitUntilReady(150_000);
    const deadline = Date.now() + 20_000;
    while (receiver.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(receiver.received).toHaveLength(1);
    const [hook] = receiver.received;
    expect(verifyStandardWebhook(secret, hook.headers, hook.body)).toBe(true);
    expect(JSON.parse(hook.body)).toMatchObject({
      type: 'config.update',
      data: { paths: ['config.performance.cache_size_mb'] },
    });
    const log = await ask(
      second,
      keys.VIEWER,
      gql`{ me { tenant { webhookDeliveries(first: 5) { nodes { id status attempts } } } } }`,
    );
    expect(log.me.tenant.webhookDeliveries.nodes).toEqual([
      { id: hook.headers['webhook-id'], status: 'delivered', attempts: 1 },
    ]);
  }, 400_000);
});
