import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

// This file's world is broken on purpose (tables dropped): nothing else may share it.
let world: World;
let tenant: TestTenant;
/** A tenant whose rows are never read before the tables go: the read cache holds nothing of it. */
let unread: TestTenant;

beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys();
  unread = await world.createTenantWithKeys();
});
afterAll(() => world.close());

/** The masked answer, and the log lines written under its request id. */
async function expectMasked(res: Awaited<ReturnType<World['gql']>>, leaked: RegExp) {
  const requestId = res.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  expect(res.status).toBe(500);
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors[0].message).toBe('Unexpected error.');
  expect(res.body.errors[0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId });
  expect(JSON.stringify(res.body)).not.toMatch(leaked);
  expect(JSON.stringify(res.body)).not.toMatch(/stack|\bat .*\.ts/);

  const lines = world.logLines().filter((l) => l.requestId === requestId);
  const errorLine = lines.find((l) => l.level === 50);
  expect(errorLine?.msg).toBe('unexpected error');
  expect((errorLine?.err as { message: string } | undefined)?.message).toMatch(leaked); // the log keeps what the client does not see
  const requestLine = lines.find((l) => l.path === '/graphql' && l.status !== undefined);
  expect(requestLine).toMatchObject({ status: 500, method: 'POST' });
}

describe('an unexpected error', () => {
  it('in a resolver is masked, carries the request id, and is logged under it', async () => {
    expect((await world.gql(gql`{ me { tenant { name } } }`, {}, tenant.keys.VIEWER)).status).toBe(200);
    await sql`drop table tenants cascade`.execute(world.store.db);

    // A tenant never read: the first one's row is in the read cache now and would be answered from memory.
    const res = await world.gql(gql`{ me { role tenant { name } } }`, {}, unread.keys.VIEWER);
    await expectMasked(res, /relation "tenants" does not exist/);
    expect(res.body.data).toBeNull(); // `me` loads its tenant, so the whole (non-null) field fails
  });

  it('logs a client x-request-id beside our own id, never as it', async () => {
    const res = await world.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'client-chosen-id-42' },
      body: JSON.stringify({ query: gql`{ me { tenant { name } } }` }),
      key: unread.keys.VIEWER,
    });
    const body = await res.json();
    const ours = res.headers.get('x-request-id');
    expect(ours).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.errors[0].extensions.requestId).toBe(ours);
    expect(world.logLines().find((l) => l.requestId === ours && 'status' in l)).toMatchObject({
      clientRequestId: 'client-chosen-id-42',
    });
  });

  it('while checking the key is masked the same way', async () => {
    await sql`drop table api_keys cascade`.execute(world.store.db);
    const res = await world.gql(gql`{ me { role } }`, {}, tenant.keys.ADMIN, 'x-api-key');
    await expectMasked(res, /relation "api_keys" does not exist/);
  });
});
