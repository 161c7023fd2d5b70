import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { createWorld, PLATFORM_KEY, type World } from './helpers/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

describe('foundation smoke', () => {
  it('answers me for a tenant key', async () => {
    const t = await world.createTenantWithKeys({ name: 'Acme' });
    const res = await world.gql(gql`{ me { role tenant { id name } } }`, {}, t.keys.VIEWER);
    expect(res.status).toBe(200);
    expect(res.body.data.me).toEqual({ role: 'VIEWER', tenant: { id: t.id, name: 'Acme' } });
  });

  it('refuses no key with 401 UNAUTHENTICATED', async () => {
    const res = await world.gql(gql`{ me { role } }`);
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('lets the platform admin list tenants', async () => {
    const res = await world.gql(gql`{ tenants(first: 5) { nodes { id } pageInfo { hasNextPage } } }`, {}, PLATFORM_KEY);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.tenants.nodes.length).toBeGreaterThan(0);
  });

  it('refuses a forged tenants cursor with BAD_USER_INPUT, not a database error', async () => {
    for (const key of [
      '2026-01-01T00:00:00.000Z|not-a-uuid',
      'not-a-date|00000000-0000-4000-8000-000000000000',
      'no-separator',
    ]) {
      const after = Buffer.from(key).toString('base64url');
      const res = await world.gql(
        gql`query($a: String) { tenants(first: 2, after: $a) { nodes { id } } }`,
        { a: after },
        PLATFORM_KEY,
      );
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('pages through tenants with the cursor it hands out', async () => {
    await world.createTenantWithKeys();
    await world.createTenantWithKeys();
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await world.gql(
        gql`query($a: String) { tenants(first: 1, after: $a) { nodes { id } pageInfo { endCursor hasNextPage } } }`,
        { a: after },
        PLATFORM_KEY,
      );
      seen.push(...res.body.data.tenants.nodes.map((n: { id: string }) => n.id));
      if (!res.body.data.tenants.pageInfo.hasNextPage) break;
      after = res.body.data.tenants.pageInfo.endCursor;
    }
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
