import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRateLimitStore } from '../src/rate-limit/redis-store.js';
import { type App, createApp } from '../src/yoga.js';
import { gql } from './helpers/graphql.js';
import { buildRequest, createWorld, TestClock, type TestTenant, type World } from './helpers/world.js';

/** graphql-rate-limit's identity of a counter for a caller. */
const id = (fieldIdentity: string, contextIdentity: string) => ({ fieldIdentity, contextIdentity });

/**
 * The shared Redis store (REDIS_URL). Runs where a Redis is given in TEST_REDIS_URL (CI starts
 * one); elsewhere this file is reported as skipped and the in-process store is tested by
 * rate-limit.test.ts. Every world and store here uses its own key prefix, so runs sharing one
 * Redis never see each other's counters.
 */
const redisUrl = process.env.TEST_REDIS_URL;
const COUNTING_TIMEOUT_MS = 10_000;

describe.runIf(redisUrl)('rate limits in Redis', () => {
  let world: World;
  let tenant: TestTenant;
  /** A second gateway process: its own app (and Redis connection) over the same database and Redis. */
  let second: App;
  let redis: Redis;
  const apps: App[] = [];

  beforeAll(async () => {
    // 310 requests at once in one event loop can hold a Redis reply past the store's 500 ms on a
    // loaded machine, and a late reply fails open by design (tested below with a dead Redis):
    // the two counting apps wait up to 10 s for Redis, so what they test is the counting.
    world = await createWorld({ rateLimits: true, redisUrl, redisCommandTimeoutMs: COUNTING_TIMEOUT_MS });
    tenant = await world.createTenantWithKeys();
    second = appBeside(world, redisUrl!, pino({ level: 'silent' }), undefined, COUNTING_TIMEOUT_MS);
    redis = new Redis(redisUrl!);
  });
  afterAll(async () => {
    await Promise.all([second, ...apps].map((app) => app.dispose()));
    await redis.quit();
    await world.close();
  });

  /** Another app on the world's database and clock, its rate limits in Redis at `url` (under the world's prefix unless given). */
  function appBeside(
    w: World,
    url: string,
    logger: pino.Logger,
    keyPrefix = w.config.rateLimits.redis!.keyPrefix,
    commandTimeoutMs?: number,
  ): App {
    const app = createApp({
      db: w.store.db,
      config: { ...w.config, rateLimits: { ...w.config.rateLimits, redis: { url, keyPrefix, commandTimeoutMs } } },
      logger,
      now: w.clock.now,
    });
    apps.push(app);
    return app;
  }

  const ME = gql`{ me { role } }`;
  async function ask(app: App, key: string) {
    const res = await app.fetch(
      buildRequest('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: ME }),
        key,
      }),
    );
    return { status: res.status, headers: res.headers, body: await res.json() };
  }
  const count = (results: { status: number }[], status: number) => results.filter((r) => r.status === status).length;

  describe('the store: one script per call checks and records atomically', () => {
    const store = (clock: TestClock, keyPrefix: string) =>
      new RedisRateLimitStore({ url: redisUrl!, keyPrefix, now: clock.now, logger: pino({ level: 'silent' }) });

    it('20 concurrent calls at max 5 allow exactly 5, also when they come over two connections', async () => {
      const clock = new TestClock();
      const prefix = `test-${randomUUID()}:`;
      const [one, two] = [store(clock, prefix), store(clock, prefix)];
      try {
        const alone = await Promise.all(Array.from({ length: 20 }, () => one.hit(id('p', 'same'), 5, 60_000)));
        expect(alone.filter((d) => d.allowed)).toHaveLength(5);
        const both = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).hit(id('p', 'other'), 5, 60_000)),
        );
        expect(both.filter((d) => d.allowed)).toHaveLength(5);
        // 5 a minute, full: a sixth fits once a fifth of the window has passed after it, at 72 s.
        expect(both.filter((d) => !d.allowed).every((d) => d.retryAfterMs > 71_000 && d.retryAfterMs <= 72_000)).toBe(
          true,
        );
      } finally {
        await Promise.all([one.close(), two.close()]);
      }
    });

    it('tells how long until the next call fits, on the app clock', async () => {
      const clock = new TestClock();
      const s = store(clock, `test-${randomUUID()}:`);
      try {
        expect(await s.hit(id('p', 'x'), 2, 60_000)).toEqual({ allowed: true, retryAfterMs: 0 });
        clock.advance(10_000);
        expect((await s.hit(id('p', 'x'), 2, 60_000)).allowed).toBe(true);
        // As in process: the window of the first call is full until 60 s, and its 2 calls leave
        // room for a third at 90 s, 80 s from now.
        const refused = await s.hit(id('p', 'x'), 2, 60_000);
        expect(refused.allowed).toBe(false);
        expect(Math.round(refused.retryAfterMs / 1000)).toBe(80);
        clock.advance(refused.retryAfterMs - 50);
        expect((await s.hit(id('p', 'x'), 2, 60_000)).allowed).toBe(false);
        clock.advance(100);
        expect((await s.hit(id('p', 'x'), 2, 60_000)).allowed).toBe(true);
        // A call of cost 3 never fits a limit of 2; one of cost 2 waits for both places.
        expect(await s.hit(id('p', 'y'), 2, 60_000, 3)).toEqual({ allowed: false, retryAfterMs: 60_000 });
        expect((await s.hit(id('p', 'y'), 2, 60_000, 2)).allowed).toBe(true);
        expect((await s.hit(id('p', 'y'), 2, 60_000, 1)).allowed).toBe(false);
      } finally {
        await s.close();
      }
    });
  });

  describe('through the app (production per-key policy: 300 a minute)', () => {
    it('two gateway processes share one budget: 310 concurrent requests over both, exactly 300 allowed', async () => {
      const results = await Promise.all(
        Array.from({ length: 310 }, (_, i) => ask(i % 2 ? second : world.app, tenant.keys.VIEWER)),
      );
      expect(count(results, 200)).toBe(300);
      expect(count(results, 429)).toBe(10);
      // Each process refuses the key now, whichever served its calls.
      expect((await ask(world.app, tenant.keys.VIEWER)).status).toBe(429);
      expect((await ask(second, tenant.keys.VIEWER)).status).toBe(429);
      expect((await ask(second, tenant.keys.OPERATOR)).status).toBe(200);
    });

    it('keeps three numbers in rl:{policy}:{identity} under the prefix, expiring after two windows', async () => {
      const key = `${world.config.rateLimits.redis!.keyPrefix}rl:per-key:key:${tenant.keyIds.VIEWER}`;
      expect(await redis.hgetall(key)).toEqual({
        start: expect.stringMatching(/^\d+$/),
        previous: '0',
        current: '300',
      });
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(120_000);
    });

    it('answers 429 with Retry-After from the store, and lets the key in again once the app clock has passed it', async () => {
      const first = await ask(second, tenant.keys.VIEWER);
      expect(first.status).toBe(429);
      expect(first.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', policy: 'per-key' });
      const firstWait = Number(first.headers.get('retry-after'));
      expect(firstWait).toBeGreaterThanOrEqual(1);
      expect(firstWait).toBeLessThanOrEqual(120);
      expect(first.headers.get('ratelimit')).toBe(`"per-key";r=0;t=${firstWait}`);
      world.clock.advance(30_000);
      const secondWait = Number((await ask(world.app, tenant.keys.VIEWER)).headers.get('retry-after'));
      expect(secondWait).toBeLessThanOrEqual(firstWait - 29);
      world.clock.advance(secondWait * 1000);
      expect(await ask(second, tenant.keys.VIEWER)).toMatchObject({
        status: 200,
        body: { data: { me: { role: 'VIEWER' } } },
      });
    });
  });

  describe('Redis unreachable: fail-open with a warning', () => {
    function capturingLogger() {
      const lines: Record<string, unknown>[] = [];
      const sink = new Writable({
        write(chunk, _enc, cb) {
          for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
          cb();
        },
      });
      return { logger: pino({ level: 'info', base: undefined }, sink), lines };
    }

    /** A local port with nothing listening on it (taken, then given back). */
    async function closedPort(): Promise<number> {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }

    async function expectServedWithoutLimits(app: App, lines: Record<string, unknown>[]) {
      const started = Date.now();
      // More than the production per-key limit: no counter is kept, so none refuses.
      const results = await Promise.all(Array.from({ length: 305 }, () => ask(app, tenant.keys.ADMIN)));
      expect(count(results, 200)).toBe(305);
      expect(Date.now() - started).toBeLessThan(5_000);
      const warnings = lines.filter((l) => l.level === 40 && String(l.msg).includes('fail-open'));
      // One warning per outage, not one per request.
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ policy: 'per-key' });
    }

    it('connection refused: requests are served at once, one warning is logged', async () => {
      const { logger, lines } = capturingLogger();
      const app = appBeside(world, `redis://127.0.0.1:${await closedPort()}`, logger);
      await expectServedWithoutLimits(app, lines);
    });

    it('a connected Redis that stops answering (CLIENT PAUSE): requests wait at most the command timeout, limits resume after', async () => {
      const { logger, lines } = capturingLogger();
      const prefix = `test-${randomUUID()}:`;
      const app = appBeside(world, redisUrl!, logger, prefix);
      expect((await ask(app, tenant.keys.ADMIN)).status).toBe(200); // connected and counting
      await redis.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const started = Date.now();
      const during = await Promise.all(Array.from({ length: 20 }, () => ask(app, tenant.keys.ADMIN)));
      const waited = Date.now() - started;
      expect(count(during, 200)).toBe(20);
      expect(waited).toBeLessThan(1_400); // served before Redis answered again
      expect(lines.filter((l) => l.level === 40 && String(l.msg).includes('fail-open'))).toHaveLength(1);
      await redis.ping(); // answered once the pause is over
      expect((await ask(app, tenant.keys.ADMIN)).status).toBe(200);
      expect(lines.filter((l) => l.level === 30 && String(l.msg).includes('answers again'))).toHaveLength(1);
      // Counting resumed: the calls made during the pause ran late, then this one.
      expect(await redis.hget(`${prefix}rl:per-key:key:${tenant.keyIds.ADMIN}`, 'current')).toBe('22');
    });

    it('a Redis that accepts but never answers: each request waits at most the command timeout', async () => {
      const sockets = new Set<Socket>();
      const silent: Server = createServer((socket) => {
        sockets.add(socket);
        socket.on('data', () => {}); // reads, never writes
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const { logger, lines } = capturingLogger();
        const app = appBeside(world, `redis://127.0.0.1:${(silent.address() as { port: number }).port}`, logger);
        await expectServedWithoutLimits(app, lines);
        const started = Date.now();
        expect((await ask(app, tenant.keys.ADMIN)).status).toBe(200);
        expect(Date.now() - started).toBeLessThan(2_000);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });
  });
});
