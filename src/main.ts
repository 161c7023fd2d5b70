import { createServer } from 'node:http';
import pino from 'pino';
import { loadConfig } from './config.js';
import { openStore } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { openChangeFeed } from './services/change-feed.js';
import { endAllStreams } from './services/change-stream.js';
import { createWebhookDeliverer } from './services/webhook-deliverer.js';
import { webhookOutbox } from './services/webhook-outbox.js';
import { seedDemoTenantIfEmpty } from './services/demo-tenant.js';
import { sweepAllTenants } from './services/retention.js';
import { createApp } from './yoga.js';

const startedAt = process.hrtime.bigint();
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: undefined });
const config = loadConfig();

const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
await migrateToLatest(store.db);
const demo = await seedDemoTenantIfEmpty(store.db);

// The app owns the feed (app.dispose() closes it); the retention timer below writes through it too.
const changeFeed = openChangeFeed(store.db, { databaseUrl: config.databaseUrl, logger, onRecorded: webhookOutbox(config.settingsEnv) });
const app = createApp({ db: store.db, config, logger, changeFeed });
// Every process may deliver: rows are claimed with FOR UPDATE SKIP LOCKED, so each is sent once.
const webhookDeliverer = createWebhookDeliverer({
  db: store.db, logger, settingsEnv: config.settingsEnv, secretsKey: config.secretsKey, allowPrivate: config.webhooks?.allowPrivate ?? false,
});
if (config.webhooks && config.webhooks.deliveryIntervalMs > 0) webhookDeliverer.start(changeFeed, config.webhooks.deliveryIntervalMs);
const server = createServer(app);

server.listen(config.port, () => {
  const ms = Number((process.hrtime.bigint() - startedAt) / 1_000_000n);
  const origin = `http://localhost:${config.port}`;
  const rateLimits = !config.rateLimits.enabled ? 'off' : config.rateLimits.redis ? 'redis' : 'in-process';
  logger.info({ store: store.kind, rateLimits, port: config.port, startToReadyMs: ms }, 'gateway ready');
  if (demo) {
    // Printed once, on the first start of an empty store: the only time these keys are shown.
    process.stdout.write(
      [
        '',
        `Demo tenant ${demo.tenantId} created. Its keys (shown once, stored only as hashes):`,
        `  viewer:   ${demo.keys.VIEWER}`,
        `  operator: ${demo.keys.OPERATOR}`,
        `  admin:    ${demo.keys.ADMIN}`,
        '',
        'Try:',
        `  curl -s ${origin}/graphql -H 'Authorization: Bearer ${demo.keys.ADMIN}' -H 'Content-Type: application/json' -d '{"query":"{ me { role tenant { id name } } }"}'`,
        `GraphiQL: ${origin}/graphql`,
        '',
      ].join('\n') + '\n',
    );
  }
});

// The retention sweep on a timer (0 disables it). unref'd: it never keeps the process alive.
// One sweep at a time: a slow one is not overlapped by the next tick; shutdown waits for it.
let sweepInFlight: Promise<void> | undefined;
const retentionTimer =
  config.retentionSweepIntervalMs > 0
    ? setInterval(() => {
        if (sweepInFlight) return;
        sweepInFlight = sweepAllTenants(store.db, changeFeed, () => new Date(), logger, config.settingsEnv)
          .then(() => undefined)
          .catch((error: Error) => logger.error({ err: error.message }, 'retention sweep failed'))
          .finally(() => {
            sweepInFlight = undefined;
          });
      }, config.retentionSweepIntervalMs).unref()
    : undefined;

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  if (retentionTimer) clearInterval(retentionTimer);
  logger.info({ signal }, 'stopping: finishing requests in flight');
  // Open tenantChanges streams end now (clients resume with `after` elsewhere); else they hold the server open.
  endAllStreams();
  // close() stops accepting and waits for open requests; idle keep-alive sockets are closed now.
  server.close(async () => {
    await sweepInFlight;
    await webhookDeliverer.stop();
    // Closes the plugins' connections (the rate limits' Redis, when REDIS_URL is set).
    await app.dispose();
    await store.close();
    logger.info('stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
  // A keep-alive connection whose request finishes after close() turns idle later and would
  // hold the server open (until the 10 s fallback exits 1): keep closing idle ones meanwhile.
  setInterval(() => server.closeIdleConnections(), 50).unref();
  setTimeout(() => process.exit(1), 10_000).unref();
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
