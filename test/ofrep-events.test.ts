import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_STREAMS_PER_KEY } from '../src/services/change-stream.js';
import { gql } from './helpers/graphql.js';
import { buildRequest, createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

/**
 * GET /ofrep/v1/events: a route of the table (src/rest/routes/ofrep.ts) whose one operation is
 * the `tenantChanges` subscription, streamed as Server-Sent Events by the REST layer; through an
 * app with a short heartbeat.
 */

let world: World;
beforeAll(async () => {
  world = await createWorld({ streamHeartbeatMs: 100, countQueries: true });
});
afterAll(() => world.close());

interface SseEvent {
  id?: string;
  data?: string;
  comment?: string;
}

/** An open stream: its events as they arrive. */
async function openStream(
  key: string | undefined,
  lastEventId?: string,
  extraHeaders: Record<string, string> = {},
  init: { method?: string; transport?: 'bearer' | 'query' } = {},
) {
  const controller = new AbortController();
  const res = await world.app.fetch(
    buildRequest('/ofrep/v1/events', {
      key,
      method: init.method,
      transport: init.transport,
      signal: controller.signal,
      headers: { ...(lastEventId ? { 'last-event-id': lastEventId } : {}), ...extraHeaders },
    }),
  );
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  if (res.status === 200 && res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let at: number;
          while ((at = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, at);
            buffer = buffer.slice(at + 2);
            const event: SseEvent = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) event.comment = line.slice(1).trim();
              else if (line.startsWith('id: ')) event.id = line.slice(4);
              else if (line.startsWith('data: ')) event.data = line.slice(6);
            }
            events.push(event);
            for (const w of waiters) w();
          }
        }
      } catch {
        // aborted
      }
      ended = true;
      for (const w of waiters) w();
    })();
  }
  const refetches = () => events.filter((e) => e.data).map((e) => ({ id: e.id, ...JSON.parse(e.data!) }));
  const waitFor = (check: () => boolean, ms = 1000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not within ${ms} ms; events: ${JSON.stringify(events)}`)), ms);
      const test = () => {
        if (check()) {
          clearTimeout(timer);
          waiters.delete(test);
          resolve();
        }
      };
      waiters.add(test);
      test();
    });
  const heartbeats = () => events.filter((e) => e.comment === 'heartbeat').length;
  return { res, events, refetches, waitFor, heartbeats, ended: () => ended, close: () => controller.abort() };
}

const ok = async (query: string, key: string) => {
  const { body } = await world.gql(query, {}, key);
  expect(body.errors).toBeUndefined();
  return body.data;
};
const bulkEtag = async (t: TestTenant) =>
  (
    await world.request('/ofrep/v1/evaluate/flags', {
      method: 'POST',
      key: t.keys.VIEWER,
      headers: { 'content-type': 'application/json' },
      body: '{"context":{}}',
    })
  ).headers.get('etag');

describe('OFREP event stream', () => {
  it('sends refetchEvaluation with the new ETag within 1 s of every committed change; ids are feed cursors; heartbeats', async () => {
    const t = await world.createTenantWithKeys();
    const stream = await openStream(t.keys.VIEWER);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.res.headers.get('cache-control')).toMatch(/no-cache/);
    await stream.waitFor(() => stream.heartbeats() > 0);

    await ok(
      gql`mutation { updateTenantConfig(input: { performance: { cache_size_mb: 333 } }) { version } }`,
      t.keys.OPERATOR,
    );
    const startedAt = performance.now();
    await stream.waitFor(() => stream.refetches().length === 1);
    expect(performance.now() - startedAt).toBeLessThan(1000);
    const [first] = stream.refetches();
    expect(first.type).toBe('refetchEvaluation');
    expect(first.etag).toBe(await bulkEtag(t));
    expect(Number(first.id)).toBeGreaterThan(0);

    // Every change is an event: a new API key too (its ETag unchanged: no evaluation changed),
    // then a flag write (a new ETag); the ids are the next cursors.
    await ok(gql`mutation { createApiKey(input: { tenantId: "${t.id}", role: VIEWER }) { key } }`, t.keys.ADMIN);
    await stream.waitFor(() => stream.refetches().length === 2);
    const second = stream.refetches()[1];
    expect(Number(second.id)).toBe(Number(first.id) + 1);
    expect(second.etag).toBe(first.etag);
    await ok(gql`mutation { setFeatureFlag(key: "webhooks", enabled: false) { flag { enabled } } }`, t.keys.OPERATOR);
    await stream.waitFor(() => stream.refetches().length === 3);
    const third = stream.refetches()[2];
    expect(Number(third.id)).toBe(Number(first.id) + 2);
    expect(third.etag).toBe(await bulkEtag(t));
    expect(third.etag).not.toBe(first.etag);
    stream.close();
  });

  it("another tenant's writes never reach the stream", async () => {
    const a = await world.createTenantWithKeys();
    const b = await world.createTenantWithKeys();
    const stream = await openStream(a.keys.VIEWER);
    await stream.waitFor(() => stream.heartbeats() > 0);
    await ok(
      gql`mutation { updateTenantConfig(input: { performance: { cache_size_mb: 444 } }) { version } }`,
      b.keys.OPERATOR,
    );
    await ok(gql`mutation { updateTenantSettings(input: { certExpiryDays: 44 }) { version } }`, a.keys.OPERATOR);
    await stream.waitFor(() => stream.refetches().length === 1);
    expect(stream.refetches()[0].etag).toBe(await bulkEtag(a));
    // B's change came first: had it reached A's stream, it would be the first event.
    await new Promise((r) => setTimeout(r, 200));
    expect(stream.refetches()).toHaveLength(1);
    stream.close();
  });

  it('a stream resumed with Last-Event-ID replays every change it missed, then goes on live', async () => {
    const t = await world.createTenantWithKeys();
    const first = await openStream(t.keys.VIEWER);
    await first.waitFor(() => first.heartbeats() > 0);
    await ok(gql`mutation { updateTenantSettings(input: { certExpiryDays: 50 }) { version } }`, t.keys.OPERATOR);
    await first.waitFor(() => first.refetches().length === 1);
    const lastSeen = first.refetches()[0].id!;
    first.close();

    // Missed while disconnected: two evaluation changes and a key.
    await ok(gql`mutation { updateTenantSettings(input: { certExpiryDays: 51 }) { version } }`, t.keys.OPERATOR);
    await ok(gql`mutation { createApiKey(input: { tenantId: "${t.id}", role: VIEWER }) { key } }`, t.keys.ADMIN);
    await ok(gql`mutation { setFeatureFlag(key: "webhooks", enabled: false) { flag { enabled } } }`, t.keys.OPERATOR);

    const resumed = await openStream(t.keys.VIEWER, lastSeen);
    await resumed.waitFor(() => resumed.refetches().length === 3);
    const ids = resumed.refetches().map((e) => Number(e.id));
    expect(ids).toEqual([1, 2, 3].map((n) => Number(lastSeen) + n));
    // Replayed events carry the ETag as it is now: one re-fetch brings the client up to date.
    const current = await bulkEtag(t);
    for (const e of resumed.refetches()) expect(e.etag).toBe(current);
    await ok(gql`mutation { updateTenantSettings(input: { certExpiryDays: 52 }) { version } }`, t.keys.OPERATOR);
    await resumed.waitFor(() => resumed.refetches().length === 4);
    expect(Number(resumed.refetches()[3].id)).toBe(Number(lastSeen) + 4);
    resumed.close();

    // A Last-Event-ID that is no cursor of ours starts live, as without one.
    const garbled = await openStream(t.keys.VIEWER, 'abc');
    expect(garbled.res.status).toBe(200);
    await garbled.waitFor(() => garbled.heartbeats() > 0);
    expect(garbled.refetches()).toEqual([]);
    garbled.close();
  });

  it("CORS: the tenant's allowed origins only", async () => {
    const t = await world.createTenantWithKeys();
    await ok(
      gql`mutation { updateAdminSettings(input: { security: { allowed_origins: ["https://app.example.com"] } }) { version } }`,
      t.keys.OPERATOR,
    );
    const allowed = await openStream(t.keys.VIEWER, undefined, { origin: 'https://app.example.com' });
    expect(allowed.res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.res.headers.get('access-control-expose-headers')).toBe('ETag');
    expect(allowed.res.headers.get('vary')).toMatch(/Origin/);
    allowed.close();
    const other = await openStream(t.keys.VIEWER, undefined, { origin: 'https://evil.example.com' });
    expect(other.res.status).toBe(200);
    expect(other.res.headers.get('access-control-allow-origin')).toBeNull();
    other.close();
  });

  it('401 without a valid key, 403 for the platform admin, no body; 405 for another method; the stream ends when its key is revoked', async () => {
    for (const [key, status] of [
      [undefined, 401],
      ['nope', 401],
      [PLATFORM_KEY, 403],
    ] as const) {
      const s = await openStream(key);
      expect(s.res.status, String(key)).toBe(status);
      expect(await s.res.text()).toBe('');
    }
    const t = await world.createTenantWithKeys();
    const post = await world.request('/ofrep/v1/events', { method: 'POST', key: t.keys.VIEWER });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    expect(await post.json()).toMatchObject({ errorCode: 'GENERAL' });

    const stream = await openStream(t.keys.VIEWER);
    await stream.waitFor(() => stream.heartbeats() > 0);
    await ok(gql`mutation { revokeApiKey(id: "${t.keyIds.VIEWER}") { apiKey { id } } }`, t.keys.ADMIN);
    await stream.waitFor(() => stream.ended());
    const res = await world.app.fetch(buildRequest('/ofrep/v1/events', { key: t.keys.VIEWER }));
    expect(res.status).toBe(401);
  });

  it('at most MAX_STREAMS_PER_KEY open streams per key (429, no body); a closed or HEAD stream frees its slot', async () => {
    const t = await world.createTenantWithKeys();
    const head = await world.app.fetch(buildRequest('/ofrep/v1/events', { method: 'HEAD', key: t.keys.VIEWER }));
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const open = [];
    for (let i = 0; i < MAX_STREAMS_PER_KEY; i++) open.push(await openStream(t.keys.VIEWER));
    expect(open.map((s) => s.res.status)).toEqual(open.map(() => 200));
    const refused = await openStream(t.keys.VIEWER);
    expect(refused.res.status).toBe(429);
    expect(await refused.res.text()).toBe('');
    open.pop()!.close();
    let again = await openStream(t.keys.VIEWER);
    for (let i = 0; again.res.status !== 200 && i < 20; i++) {
      await new Promise((r) => setTimeout(r, 25));
      again = await openStream(t.keys.VIEWER);
    }
    expect(again.res.status).toBe(200);
    again.close();
    for (const s of open) s.close();
  });

  it('a key sent as ?api_key= is never logged; the key is resolved through the read cache', async () => {
    const t = await world.createTenantWithKeys();
    // Warm: the key's principal and the tenant's rows are in the read cache.
    await bulkEtag(t);
    world.resetQueryCount();
    const stream = await openStream(t.keys.VIEWER, undefined, {}, { transport: 'query' });
    expect(stream.res.status).toBe(200);
    await stream.waitFor(() => stream.heartbeats() > 0);
    // The key's principal and the tenant row come from the cache; the stream reads its start cursor.
    expect(world.queryLog()).not.toContain('select api_keys');
    expect(world.queryLog().filter((q) => q === 'select tenants')).toHaveLength(1);
    stream.close();
    const requestId = stream.res.headers.get('x-request-id');
    const line = world.logLines().find((l) => l.requestId === requestId && 'status' in l)!;
    expect(line).toMatchObject({ method: 'GET', path: '/ofrep/v1/events', operation: 'OfrepEvents', status: 200 });
    expect(line.principal).toEqual({ tenantId: t.id, keyId: t.keyIds.VIEWER, role: 'VIEWER' });
    expect(JSON.stringify(world.logLines())).not.toContain(t.keys.VIEWER);
  });
});
