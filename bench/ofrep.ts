// `npx tsx bench/ofrep.ts`: OFREP evaluations per second through the whole app in process
// (app.fetch: REST route → GraphQL operation → services), the embedded store, the demo tenant's
// viewer key, rate limits on but out of reach; single-flag and bulk, after a warm-up.
// Figures go in issue notes, not in tests (they depend on the machine and its load).
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import pino from 'pino';
import { evaluationKeys } from '../src/catalog/evaluation-keys.js';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { seedDemoTenantIfEmpty } from '../src/services/demo-tenant.js';
import { createApp } from '../src/yoga.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

const store = await openStore({ dataDir: 'memory://' });
await migrateToLatest(store.db);
const demo = (await seedDemoTenantIfEmpty(store.db))!;
const config = {
  ...loadConfig({ SECRETS_KEY: randomBytes(32).toString('hex') }),
  dataDir: 'memory://',
  rateLimits: { enabled: true, scale: 1_000 },
};
const app = createApp({ db: store.db, config, logger: pino({ level: 'silent' }) });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${demo.keys.VIEWER}` };
const body = JSON.stringify({ context: { targetingKey: 'user-1' } });

async function call(path: string, extra: Record<string, string> = {}, expected = 200) {
  const res = await app.fetch(`http://bench.local${path}`, { method: 'POST', headers: { ...headers, ...extra }, body });
  if (res.status !== expected) throw new Error(`${path}: status ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  return res;
}

/** Requests per second for `seconds`, `CONCURRENCY` in flight. */
async function rate(once: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 100; i++) await once(); // warm-up: JIT, parse/validate caches
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await once();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

const keys = ['advanced_mfa', 'config.performance.cache_size_mb', 'admin.branding.primary_color'];
let k = 0;
const single = await rate(() => call(`/ofrep/v1/evaluate/flags/${keys[k++ % keys.length]}`));
const bulk = await rate(() => call('/ofrep/v1/evaluate/flags'));
const etag = (await call('/ofrep/v1/evaluate/flags')).headers.get('etag')!;
const notModified = await rate(() => call('/ofrep/v1/evaluate/flags', { 'if-none-match': etag }, 304));
await app.dispose();
await store.close();

const n = evaluationKeys.length;
console.log(
  `\nNode ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; in process, embedded store, ${CONCURRENCY} in flight, ${SECONDS} s each\n`,
);
console.log(
  `single  POST /ofrep/v1/evaluate/flags/{key}        ${single.toFixed(0).padStart(6)} requests/s = evaluations/s`,
);
console.log(
  `bulk    POST /ofrep/v1/evaluate/flags              ${bulk.toFixed(0).padStart(6)} requests/s = ${(bulk * n).toFixed(0)} evaluations/s (${n} keys each)`,
);
console.log(`bulk    same with a matching If-None-Match (304)   ${notModified.toFixed(0).padStart(6)} requests/s`);
