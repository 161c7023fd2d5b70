// `npx tsx bench/hot-path.ts`: the in-process cost of the hot requests (REST GET /tenant/settings,
// GraphQL { me { role } } and the settings document) through app.fetch, then the first two
// through the node:http front (src/http/front.ts) without sockets (a plain request and response
// object stand in for node's), where they are kept answers after the warm-up
// (src/http/answer-cache.ts): µs of wall time and of CPU a request, rate limits on, logs on (to
// /dev/null), for comparing changes of the pipeline. Run under `node --cpu-prof` to see where
// time goes; tsx adds a `__name` call per function it creates, so for figures without it bundle
// first (npx esbuild bench/hot-path.ts --bundle --platform=node --format=esm --packages=external
// --outfile=/tmp/hot-path.mjs).
import { EventEmitter } from 'node:events';
import { createWriteStream } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createApp, nodeListener } from '../src/yoga.js';

const N = Number(process.env.BENCH_REQUESTS ?? 1500);
const PLATFORM_KEY = 'hot-path-platform-key';

const store = await openStore({ dataDir: 'memory://' });
await migrateToLatest(store.db);
const config = {
  ...loadConfig({ PLATFORM_ADMIN_KEY: PLATFORM_KEY, RATE_LIMIT_SCALE: '1000000' }),
  dataDir: 'memory://',
};
const app = createApp({ db: store.db, config, logger: pino({ base: undefined }, createWriteStream('/dev/null')) });

async function gql(query: string, variables: Record<string, unknown>, key: string) {
  const res = await app.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as any;
}
const tenantId = (
  await gql(
    'mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } } }',
    { input: { name: 'hot', tier: 'ENTERPRISE' } },
    PLATFORM_KEY,
  )
).data.createTenant.tenant.id;
const key = (
  await gql(
    'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }',
    { input: { tenantId, role: 'VIEWER' } },
    PLATFORM_KEY,
  )
).data.createApiKey.key;

const cases: Record<string, () => Response | Promise<Response>> = {
  'REST GET /tenant/settings': () =>
    app.fetch('http://gateway.test/tenant/settings', { headers: { authorization: `Bearer ${key}` } }),
  'GraphQL { me { role } }': () =>
    app.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: '{"query":"{ me { role } }"}',
    }),
  'GraphQL settings document': () =>
    app.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ currentTenant { settings { tenantSettings version } } }' }),
    }),
};
/** Warm-up, then N runs of each case: wall and CPU µs a request. */
async function measure(cases: Record<string, () => Promise<number>>): Promise<void> {
  for (const [name, call] of Object.entries(cases)) {
    for (let i = 0; i < 200; i++) await call(); // warm-up
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const status = await call();
      if (status !== 200) throw new Error(`${name}: ${status}`);
    }
    const wall = Number(process.hrtime.bigint() - started) / 1000 / N;
    const used = process.cpuUsage(cpu);
    console.log(`${name}: ${wall.toFixed(0)} µs a request, ${((used.user + used.system) / N).toFixed(0)} µs of CPU`);
  }
}

const viaFetch = async (request: () => Response | Promise<Response>) => {
  const res = await request();
  await res.arrayBuffer();
  return res.status;
};
await measure(Object.fromEntries(Object.entries(cases).map(([name, call]) => [name, () => viaFetch(call)])));

const front = nodeListener(app);
const socket = { remoteAddress: '127.0.0.1', destroyed: false };
/** One request through the front, with stand-ins for node's request and response: its status. */
function viaFront(method: string, url: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = Object.assign(new EventEmitter(), { method, url, headers, socket, complete: true });
    const res = {
      destroyed: false,
      writableEnded: false,
      headersSent: false,
      status: 0,
      writeHead(status: number) {
        this.status = status;
      },
      end() {
        this.writableEnded = true;
        resolve(this.status);
      },
      destroy() {},
    };
    front(req as never, res as never);
    if (body !== undefined)
      queueMicrotask(() => {
        req.emit('data', Buffer.from(body));
        req.emit('end');
      });
  });
}
const auth = { authorization: `Bearer ${key}` };
const me = '{"query":"{ me { role } }"}';
await measure({
  'front, kept answer: REST GET /tenant/settings': () => viaFront('GET', '/tenant/settings', auth),
  'front, kept answer: GraphQL { me { role } }': () =>
    viaFront('POST', '/graphql', { ...auth, 'content-type': 'application/json', 'content-length': `${me.length}` }, me),
});
if (front.counts.yoga > 0) throw new Error('the front handed a request to yoga');
await app.dispose();
await store.close();
