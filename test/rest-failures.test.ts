import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLineOf, rest } from './helpers/rest.js';
import { seedScan, seedShareLink } from './helpers/scans.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

/**
 * 500 and 503 in each family's dialect, provoked for real: first a table the operations need is
 * renamed away (an unexpected SQL error: masked, logged with the request id, 500), then the store
 * is closed (the database is unreachable: 503). A dedicated world, broken on purpose.
 */

let world: World;
let tenant: TestTenant;
let token: string;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys({ name: 'Broken Tenant' });
  const scan = await seedScan(world, tenant, { target: 'example.com' });
  token = (await seedShareLink(world, tenant, scan.id)).token;
});
afterAll(() => world.close());

const calls = () => [
  { family: 'tenant', path: '/tenant/me' },
  { family: 'admin', path: '/api/admin/settings/feature-flags' },
  { family: 'v1', path: `/api/v1/tenants/${tenant.id}/config` },
  { family: 'public', path: `/share/${token}` },
];

describe('500: an unexpected failure is masked and carries the request id', () => {
  beforeAll(async () => {
    await sql`alter table tenants rename to tenants_moved_away`.execute(world.store.db);
    await sql`alter table share_links rename to share_links_moved_away`.execute(world.store.db);
  });

  it.each(['tenant', 'admin', 'v1', 'public'])('%s family', async (family) => {
    const call = calls().find((c) => c.family === family)!;
    const res = await rest(world, 'GET', call.path, { key: family === 'public' ? undefined : tenant.keys.VIEWER });
    expect(res.status).toBe(500);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    if (family === 'v1') {
      expect(res.body).toEqual({
        error: 'Internal Server Error',
        message: 'Unexpected error.',
        code: 500,
        tenant_id: tenant.id,
        request_id: requestId,
      });
    } else {
      expect(res.body).toEqual({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.', requestId } });
    }
    // No SQL, table name or stack reaches the client; the log has the cause under the same id.
    expect(res.text).not.toMatch(/moved|relation|select|stack/i);
    expect(world.logLines().some((l) => l.requestId === requestId && l.msg === 'unexpected error')).toBe(true);
    expect(logLineOf(world, requestId).status).toBe(500);
  });
});

describe('503: the database is unreachable', () => {
  beforeAll(async () => {
    await world.store.close();
  });

  it.each(['tenant', 'admin', 'v1', 'public'])('%s family', async (family) => {
    const call = calls().find((c) => c.family === family)!;
    const res = await rest(world, 'GET', call.path, { key: family === 'public' ? undefined : tenant.keys.VIEWER });
    expect(res.status).toBe(503);
    if (family === 'v1') {
      expect(res.body).toMatchObject({
        error: 'Service Unavailable',
        code: 503,
        tenant_id: tenant.id,
        message: expect.any(String),
      });
    } else {
      expect(res.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: expect.any(String) });
    }
  });
});
