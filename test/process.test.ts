import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeysIn, type GatewayProcess, startGateway } from './helpers/gateway-process.js';
import { gql } from './helpers/graphql.js';
import { createTestDatabase } from './helpers/world.js';

// The real process, as `npm start` runs it: the embedded store in a temp data folder, or
// (with TEST_DATABASE_URL) a fresh database on the server via DATABASE_URL + SECRETS_KEY.
const dataDir = mkdtempSync(join(tmpdir(), 'gateway-process-'));
const env: Record<string, string> = { DATA_DIR: dataDir };
let dropDatabase = async () => {};
let gateway: GatewayProcess;
let keys: ReturnType<typeof demoKeysIn>;

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) {
    const db = await createTestDatabase(process.env.TEST_DATABASE_URL);
    Object.assign(env, { DATABASE_URL: db.url, SECRETS_KEY: randomBytes(32).toString('hex') });
    dropDatabase = db.drop;
  }
  gateway = await startGateway(env);
  await gateway.waitForOutput(/GraphiQL: .*\n/);
  keys = demoKeysIn(gateway.output());
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

async function post(g: GatewayProcess, body: unknown, headers: Record<string, string>, query = '') {
  const res = await fetch(`${g.origin}/graphql${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), requestId: res.headers.get('x-request-id') };
}

describe('the gateway process', () => {
  it('prints three demo keys on first start, each answering { me { role } } over a real port', async () => {
    expect(gateway.output()).toMatch(/Demo tenant [0-9a-f-]{36} created/);
    // The embedded store's new folder is a copy of the migrated template (made by an earlier start if need be).
    await gateway.waitForOutput(/"msg":"gateway ready"/);
    const ready = gateway.logLines().find((l) => l.msg === 'gateway ready');
    expect(ready).toMatchObject(process.env.TEST_DATABASE_URL ? { store: 'postgres' } : { dataFolder: 'template' });
    expect(gateway.output()).toContain(`curl -s http://localhost:${gateway.port}/graphql`);
    for (const role of ['VIEWER', 'OPERATOR', 'ADMIN'] as const) {
      const res = await post(gateway, { query: gql`{ me { role } }` }, { authorization: `Bearer ${keys[role]}` });
      expect(res).toMatchObject({ status: 200, body: { data: { me: { role } } } });
    }
  });

  it('logs one JSON line per request with id, method, path, operation, principal, status, duration', async () => {
    const res = await post(
      gateway,
      { query: gql`query WhoAmI { me { role keyId tenant { id } } }`, operationName: 'WhoAmI' },
      {},
      `?api_key=${encodeURIComponent(keys.OPERATOR)}`,
    );
    expect(res.status).toBe(200);
    const me = res.body.data.me;
    await gateway.waitForOutput(new RegExp(`"requestId":"${res.requestId}"`));
    const lines = gateway.logLines().filter((l) => l.requestId === res.requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestId: res.requestId,
      method: 'POST',
      path: '/graphql',
      operation: 'WhoAmI',
      principal: { tenantId: me.tenant.id, keyId: me.keyId, role: 'OPERATOR' },
      status: 200,
    });
    expect(lines[0].durationMs).toEqual(expect.any(Number));

    const refused = await post(gateway, { query: gql`{ me { role } }` }, { 'x-api-key': 'not-a-key' });
    await gateway.waitForOutput(new RegExp(`"requestId":"${refused.requestId}"`));
    expect(gateway.logLines().find((l) => l.requestId === refused.requestId)).toMatchObject({
      status: 401,
      principal: { anonymous: 'invalid' },
    });
  });

  it('never writes a key to the log, whatever the transport', async () => {
    const created = await post(
      gateway,
      {
        query: gql`mutation($t: ID!) { createApiKey(input: { tenantId: $t, role: VIEWER }) { key } }`,
        variables: {
          t: (await post(gateway, { query: gql`{ me { tenant { id } } }` }, { 'x-api-key': keys.ADMIN })).body.data.me
            .tenant.id,
        },
      },
      { authorization: `Bearer ${keys.ADMIN}` },
    );
    const fresh: string = created.body.data.createApiKey.key;
    for (const [headers, query] of [
      [{}, `?api_key=${encodeURIComponent(fresh)}`],
      [{ authorization: `Bearer ${fresh}` }, ''],
      [{ 'x-api-key': fresh }, ''],
    ] as const) {
      const res = await post(gateway, { query: gql`{ me { role } }` }, headers, query);
      expect(res.body.data.me.role).toBe('VIEWER');
      await gateway.waitForOutput(new RegExp(`"requestId":"${res.requestId}"`));
    }
    // The fresh key was never printed at all; the demo keys only in the first-start banner.
    expect(gateway.output()).not.toContain(fresh);
    expect(gateway.output()).not.toContain(encodeURIComponent(fresh));
    const log = gateway
      .logLines()
      .map((l) => JSON.stringify(l))
      .join('\n');
    for (const key of Object.values(keys)) expect(log).not.toContain(key);
  });

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    // A request whose body is still arriving is in flight: send half, signal, send the rest.
    const body = JSON.stringify({ query: gql`{ me { role } }` });
    const agent = new Agent({ keepAlive: true });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(
        `${gateway.origin}/graphql`,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${keys.VIEWER}`,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(async () => {
        gateway.child.kill('SIGTERM');
        await gateway.waitForOutput(/finishing requests in flight/);
        await new Promise((r) => setTimeout(r, 200));
        req.end(body.slice(10));
      }, 200);
    });
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.text)).toEqual({ data: { me: { role: 'VIEWER' } } });
    // Exits promptly, though the client keeps its connection alive.
    const code = await Promise.race([gateway.exited, new Promise((r) => setTimeout(() => r('still running'), 9_000))]);
    agent.destroy();
    expect(code).toBe(0);
    expect(gateway.output()).toMatch(/"msg":"stopped"/);
  }, 30_000);

  it('keeps the data on restart and prints no keys again', async () => {
    const restarted = await startGateway(env);
    try {
      await restarted.waitUntilReady();
      await restarted.waitForOutput(/gateway ready/);
      if (!process.env.TEST_DATABASE_URL)
        expect(restarted.logLines().find((l) => l.msg === 'gateway ready')).toMatchObject({ dataFolder: 'existing' });
      const res = await post(restarted, { query: gql`{ me { role } }` }, { 'x-api-key': keys.ADMIN });
      expect(res).toMatchObject({ status: 200, body: { data: { me: { role: 'ADMIN' } } } });
      expect(restarted.output()).not.toMatch(/Demo tenant|viewer:|tcg_/);
    } finally {
      expect(await restarted.stop()).toBe(0);
    }
  }, 60_000);
});
