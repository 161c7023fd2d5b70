import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheStats } from '../src/services/read-cache.js';
import { nodeListener } from '../src/yoga.js';
import { Q } from './helpers/config-domain.js';
import { gql } from './helpers/graphql.js';
import { createWorld, type World } from './helpers/world.js';

// Whole answers of reads kept per key (src/http/answer-cache.ts), through the node:http front on
// a real port, on both stores. "Once" here means: the very next request in the same process, with
// no wait in between (the change feed drops a tenant's answers when it announces the commit,
// before the write's own response is sent).

let world: World;
let server: Server;
let origin: string;

beforeAll(async () => {
  world = await createWorld({
    rateLimits: {
      enabled: true,
      // A field limit small enough to reach: the kept answers of `me { tenant { name } }` still count.
      fieldPolicies: {
        'Me.tenant': [{ name: 'my-tenant', per: 'key', max: 4, windowSeconds: 60, description: 'my tenant' }],
      },
    },
  });
  server = createServer(nodeListener(world.app));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await world?.close();
});

interface Sent {
  status: number;
  body: any;
  headers: Headers;
  /** Whether the answer was a kept one (the answer cache's hit count moved). */
  hit: boolean;
}

async function send(path: string, init: RequestInit & { key?: string } = {}): Promise<Sent> {
  const before = readCacheStats().answerHits;
  const headers = new Headers(init.headers);
  if (init.key) headers.set('authorization', `Bearer ${init.key}`);
  const res = await fetch(origin + path, { ...init, headers });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : null,
    headers: res.headers,
    hit: readCacheStats().answerHits > before,
  };
}

const graphql = (query: string, key: string, variables?: Record<string, unknown>) =>
  send('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    key,
  });

describe('what is kept, and what a kept answer is', () => {
  it('a second read of cached data is a kept answer, equal to the first (REST and GraphQL)', async () => {
    const t = await world.createTenantWithKeys();
    const reads = [
      () => send('/tenant/settings', { key: t.keys.VIEWER }),
      () => send('/tenant/me', { key: t.keys.VIEWER }),
      () => send(`/api/v1/tenants/${t.id}/config`, { key: t.keys.VIEWER }),
      () => send('/api/admin/settings/feature-flags', { key: t.keys.VIEWER }),
      () => graphql(gql`{ me { role tenant { id tier } } }`, t.keys.VIEWER),
      () => graphql(gql`{ currentTenant { settings { tenantSettings version } } }`, t.keys.VIEWER),
      () => graphql(Q.config, t.keys.VIEWER, { id: t.id }),
    ];
    for (const read of reads) {
      const first = await read();
      expect(first.status).toBe(200);
      expect(first.hit).toBe(false);
      const second = await read();
      expect(second.hit).toBe(true);
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));
      expect(second.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('OFREP evaluations are kept per body, Origin and If-None-Match; a 304 too; a flag change is seen at once', async () => {
    const t = await world.createTenantWithKeys();
    const bulk = (headers: Record<string, string> = {}, body: unknown = {}) =>
      send('/ofrep/v1/evaluate/flags', {
        method: 'POST',
        key: t.keys.VIEWER,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const first = await bulk();
    expect(first.status).toBe(200);
    const second = await bulk();
    expect(second.hit).toBe(true);
    expect(second.body).toEqual(first.body);
    const etag = first.headers.get('etag')!;
    expect(second.headers.get('etag')).toBe(etag);
    // Another context is another answer (its own miss), a bad one is an error, never kept.
    expect((await bulk({}, { context: { targetingKey: 'user-1' } })).hit).toBe(false);
    const bad = await bulk({}, { context: { targetingKey: 7 } });
    expect(bad.status).toBe(400);
    expect((await bulk({}, { context: { targetingKey: 7 } })).hit).toBe(false);
    // The poll of an SDK: If-None-Match, 304, then kept.
    expect((await bulk({ 'if-none-match': etag })).status).toBe(304);
    const polled = await bulk({ 'if-none-match': etag });
    expect(polled.status).toBe(304);
    expect(polled.hit).toBe(true);
    const mfa = (body: { flags: { key: string; value: unknown }[] }) =>
      body.flags.find((f) => f.key === 'advanced_mfa');
    const was = mfa(first.body)!.value;
    const flag = await graphql(Q.setFeatureFlag, t.keys.OPERATOR, { key: 'advanced_mfa', enabled: !was });
    expect(flag.body.errors).toBeUndefined();
    const changed = await bulk({ 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(mfa(changed.body)?.value).toBe(!was);
  });

  it('a kept answer is logged as its request, with its own id, and answers If-None-Match with 304', async () => {
    const t = await world.createTenantWithKeys();
    const first = await send('/tenant/settings', { key: t.keys.VIEWER });
    const kept = await send('/tenant/settings', { key: t.keys.VIEWER });
    expect(kept.hit).toBe(true);
    const id = kept.headers.get('x-request-id');
    const line = world.logLines().find((l) => l.requestId === id && 'status' in l);
    expect(line).toMatchObject({ status: 200, path: '/tenant/settings', principal: { tenantId: t.id } });
    expect(line?.operation).toBeTruthy();
    const etag = first.headers.get('etag')!;
    const notModified = await send('/tenant/settings', { key: t.keys.VIEWER, headers: { 'if-none-match': etag } });
    expect(notModified.hit).toBe(true);
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeNull();
    expect(notModified.headers.get('etag')).toBe(etag);
  });

  it('never kept: reads of other tables, mutations, errors, the platform admin', async () => {
    const t = await world.createTenantWithKeys();
    const twice = async (read: () => Promise<Sent>) => {
      await read();
      return read();
    };
    const keys = await twice(() => graphql(gql`{ currentTenant { apiKeys { id lastUsedAt } } }`, t.keys.ADMIN));
    expect(keys.status).toBe(200);
    expect(keys.hit).toBe(false);
    const audit = await twice(() => send('/api/admin/audit-logs', { key: t.keys.ADMIN }));
    expect(audit.status).toBe(200);
    expect(audit.hit).toBe(false);
    const dryRun = await twice(() =>
      graphql(Q.updateTenantConfig, t.keys.OPERATOR, { input: { performance: { cache_size_mb: 512 } }, dry: true }),
    );
    expect(dryRun.hit).toBe(false);
    // A large request (unused variables are allowed): answered, but not kept.
    const padded = await twice(() => graphql(gql`{ me { role } }`, t.keys.VIEWER, { pad: 'x'.repeat(20_000) }));
    expect(padded.body.data.me.role).toBe('VIEWER');
    expect(padded.hit).toBe(false);
    // A key in the query string: answered, but no key text is held in memory.
    const inQuery = await twice(() => send(`/tenant/settings?api_key=${t.keys.VIEWER}`));
    expect(inQuery.status).toBe(200);
    expect(inQuery.hit).toBe(false);
    const refused = await twice(() => graphql(Q.config, t.keys.VIEWER, { id: crypto.randomUUID() }));
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(refused.hit).toBe(false);
  });
});

describe('a kept answer is never stale, and keeps isolation, revocation and the rate limits', () => {
  it('after a write, the next read returns the write (REST and GraphQL)', async () => {
    const t = await world.createTenantWithKeys();
    const restRead = () => send('/tenant/settings', { key: t.keys.VIEWER });
    const graphqlRead = () => graphql(gql`{ currentTenant { settings { tenantSettings version } } }`, t.keys.VIEWER);
    await restRead();
    await graphqlRead();
    expect((await restRead()).hit).toBe(true);
    expect((await graphqlRead()).hit).toBe(true);
    const put = await send('/tenant/settings', {
      method: 'PUT',
      key: t.keys.OPERATOR,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ certExpiryDays: 63 }),
    });
    expect(put.status).toBe(200);
    const afterRest = await restRead();
    expect(afterRest.hit).toBe(false);
    expect(afterRest.body.settings.certExpiryDays).toBe(63);
    const afterGraphql = await graphqlRead();
    expect(afterGraphql.body.data.currentTenant.settings.tenantSettings.certExpiryDays).toBe(63);
    expect(afterGraphql.body.data.currentTenant.settings.version).toBe(1);
  });

  it('after a rolled-back write, the old answer (still kept: the refused write dropped nothing)', async () => {
    const t = await world.createTenantWithKeys();
    const read = () => graphql(Q.config, t.keys.VIEWER, { id: t.id });
    const before = await read();
    const refused = await graphql(Q.updateTenantConfig, t.keys.OPERATOR, {
      input: { performance: { cache_size_mb: 777 }, backup: { retention_days: 1, pitr_retention_days: 7 } },
    });
    expect(refused.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const after = await read();
    expect(after.hit).toBe(true);
    expect(after.body).toEqual(before.body);
  });

  it("each key its own answers: another tenant's key, or another role of the same tenant, never gets them", async () => {
    const a = await world.createTenantWithKeys();
    const b = await world.createTenantWithKeys();
    const me = gql`{ me { role tenant { id name } } }`;
    for (let i = 0; i < 2; i++) {
      for (const [t, role] of [
        [a, 'VIEWER'],
        [a, 'ADMIN'],
        [b, 'VIEWER'],
      ] as const) {
        const res = await graphql(me, t.keys[role]);
        expect(res.body.data.me).toEqual({ role, tenant: { id: t.id, name: t.name } });
        expect(res.hit).toBe(i === 1);
        const settings = await send('/tenant/me', { key: t.keys[role] });
        expect(settings.body.tenant?.id ?? settings.body.tenantId).toBe(t.id);
      }
    }
  });

  it('a revoked key is refused on its next request, though its answers were kept', async () => {
    const t = await world.createTenantWithKeys();
    const { key, id } = await world.createApiKey(t.id, 'VIEWER', t.keys.ADMIN);
    const me = gql`{ me { role } }`;
    await graphql(me, key);
    await send('/tenant/settings', { key });
    expect((await graphql(me, key)).hit).toBe(true);
    expect((await send('/tenant/settings', { key })).hit).toBe(true);
    await world.gql(gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } } }`, { id }, t.keys.ADMIN);
    const graphqlAfter = await graphql(me, key);
    expect(graphqlAfter.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(graphqlAfter.hit).toBe(false);
    expect((await send('/tenant/settings', { key })).status).toBe(401);
  });

  it('kept answers are counted by the rate limits: the fifth of four allowed is refused, then nothing is served', async () => {
    const t = await world.createTenantWithKeys();
    const names = gql`{ me { tenant { name } } }`;
    const hits: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await graphql(names, t.keys.VIEWER);
      expect(res.body.data.me.tenant.name).toBe(t.name);
      hits.push(res.hit);
    }
    expect(hits).toEqual([false, true, true, true]);
    const refused = await graphql(names, t.keys.VIEWER);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(refused.body.data).toBeUndefined();
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    // Another key of the tenant has its own budget (the policy is per key).
    expect((await graphql(names, t.keys.ADMIN)).body.data.me.tenant.name).toBe(t.name);
  });
});
