import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Q } from './helpers/config-domain.js';
import { rest } from './helpers/rest.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

// Variable coercion errors are told once, in the error mapping, from the variable's definition
// and the value sent: every issue with its path in `details`, the value never echoed.

let world: World;
let tenant: TestTenant;
beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys();
});
afterAll(() => world.close());

describe('variable coercion errors', () => {
  it('GraphQL: one BAD_USER_INPUT error listing every issue of the variable, without the values', async () => {
    const res = await world.gql(
      Q.updateTenantSettings,
      { input: { certExpiryDays: 'x-secret-value', bogus: 'y-secret-value' } },
      tenant.keys.ADMIN,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors[0].message).toBe(
      'Variable "$input" got invalid value at "input.certExpiryDays"; Int cannot represent non-integer value',
    );
    expect(res.body.errors[0].extensions.details).toEqual([
      { path: 'certExpiryDays', message: 'Int cannot represent non-integer value' },
      { path: 'bogus', message: 'Field "bogus" is not defined by type "TenantSettingsPatch".' },
    ]);
    expect(JSON.stringify(res.body)).not.toContain('secret-value');
  });

  it('a missing required variable names it', async () => {
    const res = await world.gql(Q.updateTenantSettings, {}, tenant.keys.ADMIN);
    expect(res.body.errors[0]).toMatchObject({
      message: 'Variable "$input" of required type "TenantSettingsPatch!" was not provided.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it("REST: the same details, in the route family's dialect", async () => {
    const res = await rest(world, 'PUT', '/tenant/settings', {
      key: tenant.keys.ADMIN,
      body: { certExpiryDays: 'x', nested: { a: 1 } },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toEqual([
      { path: 'certExpiryDays', message: 'Int cannot represent non-integer value' },
      { path: 'nested', message: 'Field "nested" is not defined by type "TenantSettingsPatch".' },
    ]);
  });
});
