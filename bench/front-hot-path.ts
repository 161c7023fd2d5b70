// `npx tsx bench/front-hot-path.ts`: CPU and wall time a request of our own code on the hot reads
// through the node:http front (src/http/front.ts), without sockets (a plain request and response
// object stand in for node's): REST GET /tenant/settings and GraphQL { me { role } }, both kept
// answers after the warm-up (src/http/answer-cache.ts); rate limits on, request log on (to
// /dev/null). LL=silent turns the log off. tsx adds a `__name` call per function it creates;
// bundle it for figures without (npx esbuild bench/front-hot-path.ts --bundle --platform=node
// --format=esm --packages=external --outfile=/tmp/front-hot-path.mjs).

import { EventEmitter } from 'node:events';
import { createWriteStream } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createApp, nodeListener } from '../src/yoga.js';

const N = Number(process.env.N ?? 20000);
const PLATFORM_KEY = 'hot-path-platform-key';
const store = await openStore({ dataDir: 'memory://' });
await migrateToLatest(store.db);
const config = {
  ...loadConfig({ PLATFORM_ADMIN_KEY: PLATFORM_KEY, RATE_LIMIT_SCALE: '1000000', LOG_LEVEL: process.env.LL ?? 'info' }),
  dataDir: 'memory://',
};
const app = createApp({
  db: store.db,
  config,
  logger: pino({ base: undefined, level: process.env.LL ?? 'info' }, createWriteStream('/dev/null')),
});
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
const front = nodeListener(app);
const socket = { remoteAddress: '127.0.0.1', destroyed: false };
function call(method: string, url: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req: any = new EventEmitter();
    Object.assign(req, { method, url, headers, socket, complete: true });
    const res: any = {
      destroyed: false,
      writableEnded: false,
      headersSent: false,
      status: 0,
      writeHead(s: number) {
        this.status = s;
      },
      end() {
        this.writableEnded = true;
        resolve(this.status);
      },
      destroy() {},
    };
    front(req, res);
    if (body !== undefined)
      queueMicrotask(() => {
        req.emit('data', Buffer.from(body));
        req.emit('end');
      });
  });
}
const auth = { authorization: `Bearer ${key}` };
const me = '{"query":"{ me { role } }"}';
const cases: Record<string, () => Promise<number>> = {
  'REST GET /tenant/settings': () => call('GET', '/tenant/settings', auth),
  'GraphQL { me { role } }': () =>
    call('POST', '/graphql', { ...auth, 'content-type': 'application/json', 'content-length': String(me.length) }, me),
};
for (const [name, c] of Object.entries(cases)) {
  for (let i = 0; i < 500; i++) {
    const s = await c();
    if (s !== 200) throw new Error(name + ' ' + s);
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await c();
  const us = Number(process.hrtime.bigint() - t0) / 1000 / N;
  const cpu = process.cpuUsage(cpu0);
  console.log(`${name}: ${us.toFixed(1)} µs wall, ${((cpu.user + cpu.system) / N).toFixed(1)} µs cpu a request`);
}
console.log(front.counts);
await app.dispose();
await store.close();
