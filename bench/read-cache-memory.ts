// Memory per tenant of the read cache: 10,000 tenants (each with 8 setting rows and 2 flag rows,
// plus one key principal) warmed into it, heap measured before and after, and the LRU's own
// size estimate beside it; then the same with one kept answer per tenant besides (a body the size
// of GET /tenant/settings's, BODY_BYTES); then with a bound too small for them: the LRU holds it.
//   node --expose-gc --import tsx bench/read-cache-memory.ts
import pino from 'pino';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { keptAnswerBytes } from '../src/http/answer-cache.js';
import { openChangeFeed } from '../src/services/change-feed.js';
import { createLoaders } from '../src/services/loaders.js';
import { ReadCache } from '../src/services/read-cache.js';

const TENANTS = Number(process.env.TENANTS ?? 10_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const heap = () => {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
};

const store = await openStore({ dataDir: 'memory://' });
await migrateToLatest(store.db);
const db = store.db;
const ids: string[] = [];
for (let i = 0; i < TENANTS; i += 500) {
  const values = Array.from({ length: Math.min(500, TENANTS - i) }, (_, j) => ({
    name: `Tenant ${i + j}`,
    tier: 'PRO' as const,
    industry: 'financial',
  }));
  const rows = await db.insertInto('tenants').values(values).returning('id').execute();
  ids.push(...rows.map((r) => r.id));
  const paths = [
    'settings.certExpiryDays',
    'settings.benchmarkOptIn',
    'admin.authentication.password_policy.min_length',
    'admin.security.session_timeout_minutes',
    'config.performance.cache_size_mb',
    'config.backup.retention_days',
    'config.api.rate_limit_per_minute',
    'config.custom_settings',
  ];
  await db
    .insertInto('setting_values')
    .values(
      rows.flatMap((r) =>
        paths.map((path, k) => ({
          tenant_id: r.id,
          path,
          value: path.endsWith('custom_settings') ? JSON.stringify({ team: 'core', region: 'eu' }) : String(10 + k),
        })),
      ),
    )
    .execute();
  await db
    .insertInto('feature_flags')
    .values(
      rows.flatMap((r) =>
        ['passwordless_enabled', 'advanced_mfa'].map((key) => ({ tenant_id: r.id, key, enabled: true })),
      ),
    )
    .execute();
}

const BODY_BYTES = Number(process.env.BODY_BYTES ?? 2600);

async function warm(maxMb: number, answers = false) {
  const feed = openChangeFeed(db, { logger: pino({ level: 'silent' }) });
  const before = heap();
  const cache = new ReadCache(feed, maxMb * 1024 * 1024);
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    const loaders = createLoaders(db, cache);
    await Promise.all(
      batch.flatMap((id) => [loaders.tenant.load(id), loaders.settingRows.load(id), loaders.featureFlagRows.load(id)]),
    );
    const ticket = cache.begin();
    for (const id of batch)
      cache.storeKey(ticket, `${id}-hash-${'0'.repeat(40)}`, {
        principal: { kind: 'tenant', tenantId: id, role: 'VIEWER', keyId: id },
        lastUsedAt: new Date(),
      });
    // As src/http/answer-cache.ts keeps them: a body of its own per tenant, headers, the key.
    if (answers)
      for (const id of batch) {
        const key = `${id}\0GET /tenant/settings\0/tenant/settings\0{}`;
        const body = JSON.stringify({ settings: { tenant: id, pad: 'x'.repeat(BODY_BYTES - 80) } });
        const value = {
          status: 200,
          headers: { 'content-type': 'application/json; charset=utf-8', etag: '"1"' },
          body,
        };
        cache.storeAnswer(ticket, id, key, { value, bytes: keptAnswerBytes(body, key) });
      }
    cache.end();
  }
  const after = heap();
  // Every entry answered from memory now (when it fits).
  const loaders = createLoaders(db, cache);
  const sample = await loaders.settingRows.load(ids[ids.length - 1]!);
  const result = {
    maxMb,
    answers,
    tenants: ids.length,
    entries: cache.lru.size,
    lruEstimateBytes: cache.lru.calculatedSize,
    heapGrowthBytes: after - before,
    heapPerTenantBytes: Math.round((after - before) / ids.length),
    estimatePerTenantBytes: Math.round(cache.lru.calculatedSize / ids.length),
    withinBound: cache.lru.calculatedSize <= maxMb * 1024 * 1024,
    sampleRows: sample.length,
  };
  cache.close();
  await feed.close();
  return result;
}

console.table([await warm(64), await warm(64, true), await warm(4, true)]);
await store.close();
