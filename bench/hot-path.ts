// `npx tsx bench/hot-path.ts`: the in-process cost of the hot requests (REST GET /tenant/settings,
// GraphQL { me { role } } and the settings document) through app.fetch, rate limits on, logs on
// (to /dev/null): µs a request, for comparing changes of the pipeline. BENCH_JIT=1 adds
// @envelop/graphql-jit when it is installed. Run under `node --cpu-prof` to see where time goes.
import { createWriteStream } from 'node:fs';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createApp } from '../src/yoga.js';

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
for (const [name, call] of Object.entries(cases)) {
  for (let i = 0; i < 200; i++) await (await call()).arrayBuffer(); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const res = await call();
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
  const us = Number(process.hrtime.bigint() - started) / 1000 / N;
  console.log(`${name}: ${us.toFixed(0)} µs a request`);
}
await app.dispose();
await store.close();
