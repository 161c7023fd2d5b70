import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, PLATFORM_KEY, type World } from './helpers/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

describe('foundation smoke', () => {
  it('answers me for a tenant key', async () => {
    const t = await world.createTenantWithKeys({ name: 'Acme' });
    const res = await world.gql('{ me { role tenant { id name } } }', {}, t.keys.VIEWER);
    expect(res.status).toBe(200);
    expect(res.body.data.me).toEqual({ role: 'VIEWER', tenant: { id: t.id, name: 'Acme' } });
  });

  it('refuses no key with 401 UNAUTHENTICATED', async () => {
    const res = await world.gql('{ me { role } }');
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('lets the platform admin list tenants', async () => {
    const res = await world.gql('{ tenants(first: 5) { nodes { id } pageInfo { hasNextPage } } }', {}, PLATFORM_KEY);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.tenants.nodes.length).toBeGreaterThan(0);
  });
});
