import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/yoga.js';
import { buildRequest, createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

/** GET /ofrep/v1/events (src/plugins/use-ofrep-events.ts), through an app with a short heartbeat. */

let world: World;
let app: App;
beforeAll(async () => {
  world = await createWorld();
  // Writes go through this app too: its change feed is the one the stream hears.
  app = createApp({
    db: world.store.db,
    config: world.config,
    logger: pino({ level: 'silent' }),
    now: world.clock.now,
    ofrepHeartbeatMs: 100,
  });
});
afterAll(async () => {
  await app.dispose();
  await world.close();
});

interface SseEvent {
  id?: string;
  data?: string;
  comment?: string;
}

/** An open stream: its events as they arrive. */
async function openStream(key: string | undefined, lastEventId?: string, extraHeaders: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await app.fetch(
    buildRequest('/ofrep/v1/events', {
      key,
      signal: controller.signal,
      headers: { ...(lastEventId ? { 'last-event-id': lastEventId } : {}), ...extraHeaders },
    }),
  );
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  if (res.status === 200) {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
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
  return { res, events, refetches, waitFor, close: () => controller.abort() };
}

const gql = async (query: string, key: string) => {
  const res = await app.fetch(
    buildRequest('/graphql', {
      method: 'POST',
      key,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    }),
  );
  const body = await res.json();
  expect(body.errors).toBeUndefined();
  return body.data;
};
const bulkEtag = async (t: TestTenant) =>
  (
    await app.fetch(
      buildRequest('/ofrep/v1/evaluate/flags', {
        method: 'POST',
        key: t.keys.VIEWER,
        headers: { 'content-type': 'application/json' },
        body: '{"context":{}}',
      }),
    )
  ).headers.get('etag');

describe('OFREP event stream', () => {
  it('sends refetchEvaluation with the new ETag within 1 s of a write; ids are feed cursors; heartbeats', async () => {
    const t = await world.createTenantWithKeys();
    const stream = await openStream(t.keys.VIEWER);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.waitFor(() => stream.events.some((e) => e.comment === 'heartbeat'));

    await gql(
      'mutation { updateTenantConfig(input: { performance: { cache_size_mb: 333 } }) { version } }',
      t.keys.OPERATOR,
    );
    const startedAt = performance.now();
    await stream.waitFor(() => stream.refetches().length === 1);
    expect(performance.now() - startedAt).toBeLessThan(1000);
    const [first] = stream.refetches();
    expect(first.type).toBe('refetchEvaluation');
    expect(first.etag).toBe(await bulkEtag(t));
    expect(Number(first.id)).toBeGreaterThan(0);

    // A new API key changes no evaluation: no event. A flag write does, with the next cursors.
    await gql(`mutation { createApiKey(input: { tenantId: "${t.id}", role: VIEWER }) { key } }`, t.keys.ADMIN);
    await gql('mutation { setFeatureFlag(key: "webhooks", enabled: false) { flag { enabled } } }', t.keys.OPERATOR);
    await stream.waitFor(() => stream.refetches().length === 2);
    const second = stream.refetches()[1];
    expect(Number(second.id)).toBe(Number(first.id) + 2);
    expect(second.etag).toBe(await bulkEtag(t));
    expect(second.etag).not.toBe(first.etag);
    stream.close();
  });

  it("another tenant's writes never reach the stream", async () => {
    const a = await world.createTenantWithKeys();
    const b = await world.createTenantWithKeys();
    const stream = await openStream(a.keys.VIEWER);
    await stream.waitFor(() => stream.events.some((e) => e.comment === 'heartbeat'));
    await gql(
      'mutation { updateTenantConfig(input: { performance: { cache_size_mb: 444 } }) { version } }',
      b.keys.OPERATOR,
    );
    await gql('mutation { updateTenantSettings(input: { certExpiryDays: 44 }) { version } }', a.keys.OPERATOR);
    await stream.waitFor(() => stream.refetches().length === 1);
    expect(stream.refetches()[0].etag).toBe(await bulkEtag(a));
    stream.close();
  });

  it('a stream resumed with Last-Event-ID replays the changes it missed, then goes on live', async () => {
    const t = await world.createTenantWithKeys();
    const first = await openStream(t.keys.VIEWER);
    await first.waitFor(() => first.events.some((e) => e.comment === 'heartbeat'));
    await gql('mutation { updateTenantSettings(input: { certExpiryDays: 50 }) { version } }', t.keys.OPERATOR);
    await first.waitFor(() => first.refetches().length === 1);
    const lastSeen = first.refetches()[0].id!;
    first.close();

    // Missed while disconnected: two evaluation changes (and a key, which is no evaluation change).
    await gql('mutation { updateTenantSettings(input: { certExpiryDays: 51 }) { version } }', t.keys.OPERATOR);
    await gql(`mutation { createApiKey(input: { tenantId: "${t.id}", role: VIEWER }) { key } }`, t.keys.ADMIN);
    await gql('mutation { setFeatureFlag(key: "webhooks", enabled: false) { flag { enabled } } }', t.keys.OPERATOR);

    const resumed = await openStream(t.keys.VIEWER, lastSeen);
    await resumed.waitFor(() => resumed.refetches().length === 2);
    const ids = resumed.refetches().map((e) => Number(e.id));
    expect(ids).toEqual([Number(lastSeen) + 1, Number(lastSeen) + 3]);
    const current = await bulkEtag(t);
    for (const e of resumed.refetches()) expect(e.etag).toBe(current);
    await gql('mutation { updateTenantSettings(input: { certExpiryDays: 52 }) { version } }', t.keys.OPERATOR);
    await resumed.waitFor(() => resumed.refetches().length === 3);
    expect(Number(resumed.refetches()[2].id)).toBe(Number(lastSeen) + 4);
    resumed.close();
  });

  it("CORS: the tenant's allowed origins only", async () => {
    const t = await world.createTenantWithKeys();
    await gql(
      'mutation { updateAdminSettings(input: { security: { allowed_origins: ["https://app.example.com"] } }) { version } }',
      t.keys.OPERATOR,
    );
    const allowed = await openStream(t.keys.VIEWER, undefined, { origin: 'https://app.example.com' });
    expect(allowed.res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    allowed.close();
    const other = await openStream(t.keys.VIEWER, undefined, { origin: 'https://evil.example.com' });
    expect(other.res.status).toBe(200);
    expect(other.res.headers.get('access-control-allow-origin')).toBeNull();
    other.close();
  });

  it('401 without a valid key, 403 for the platform admin, no body; the stream ends when its key is revoked', async () => {
    for (const [key, status] of [
      [undefined, 401],
      ['nope', 401],
      [PLATFORM_KEY, 403],
    ] as const) {
      const s = await openStream(key);
      expect(s.res.status).toBe(status);
      expect(await s.res.text()).toBe('');
    }
    const t = await world.createTenantWithKeys();
    const stream = await openStream(t.keys.VIEWER);
    await stream.waitFor(() => stream.events.some((e) => e.comment === 'heartbeat'));
    await gql(`mutation { revokeApiKey(id: "${t.keyIds.VIEWER}") { apiKey { id } } }`, t.keys.ADMIN);
    const res = await app.fetch(buildRequest('/ofrep/v1/events', { key: t.keys.VIEWER }));
    expect(res.status).toBe(401);
    const count = stream.events.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(stream.events.length).toBe(count); // no more heartbeats: closed
  });
});
