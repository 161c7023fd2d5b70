import { createServer } from 'node:http';
import pino from 'pino';
import { loadConfig, stackTracesWanted } from './config.js';
import { openStore, type Store } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { defaultTemplateCache } from './db/pglite-template.js';
import { explainPGliteVersionMismatch, explainStoreFailure } from './db/startup-checks.js';
import { StartupError } from './errors/startup-error.js';
import { seedDemoTenantIfEmpty } from './services/demo-tenant.js';

const startedAt = process.hrtime.bigint();

/**
 * A start that cannot go on: one line on stderr naming the variable and what to do, exit 1, no
 * stack trace (an unforeseen failure shows its stack with LOG_LEVEL=debug).
 */
function cannotStart(error: unknown): never {
  if (error instanceof StartupError) {
    process.stderr.write(error.line() + '\n');
  } else {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`cannot start: ${message.split('\n')[0]} (LOG_LEVEL=debug shows the stack trace)\n`);
    if (stackTracesWanted() && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  }
  process.exit(1);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  cannotStart(error);
}
// Lines go out asynchronously (a line written while the one before is still being written joins
// it: under load one write carries many), not with a write per line on the event loop: +5–13 %
// requests/s of a cached read, measured. pino flushes what is left when the process exits.
const logger = pino({ level: config.logLevel ?? 'info', base: undefined }, pino.destination({ dest: 1, sync: false }));

const storeOptions = {
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  statementTimeoutMs: config.dbStatementTimeoutMs,
  acquireTimeoutMs: config.dbAcquireTimeoutMs,
  // A new embedded data folder starts from a migrated template kept there (made once).
  templateCache: config.databaseUrl ? undefined : defaultTemplateCache(),
};
// The store opens while the rest of the gateway's modules are evaluated below (a few hundred
// milliseconds of the main thread), not after: PGlite's WASM compiles on background threads
// meanwhile. Its outcome is awaited (and a failure reported) once they are loaded.
const opening = (async () => {
  const store = await openStore(storeOptions);
  await migrateToLatest(store.db);
  return { store, demo: await seedDemoTenantIfEmpty(store.db) };
})().then(
  (opened) => ({ opened }),
  (error: unknown) => ({ error }),
);
const [
  { createSecretBox },
  { observeDatabasePool },
  { graphqlRateLimit },
  { openChangeFeed },
  { endAllStreams },
  { sweepAllTenants },
  { createWebhookDeliverer },
  { webhookOutbox },
  { createApp, nodeListener },
] = await Promise.all([
  import('./auth/secret-box.js'),
  import('./metrics/database-pool.js'),
  import('./rate-limit/graphql-rate-limit.js'),
  import('./services/change-feed.js'),
  import('./services/change-stream.js'),
  import('./services/retention.js'),
  import('./services/webhook-deliverer.js'),
  import('./services/webhook-outbox.js'),
  import('./yoga.js'),
]);
const outcome = await opening;
if ('error' in outcome)
  cannotStart(
    explainStoreFailure(outcome.error, storeOptions) ??
      (config.databaseUrl ? undefined : await explainPGliteVersionMismatch(config.dataDir)) ??
      outcome.error,
  );
const { store, demo }: { store: Store; demo: Awaited<ReturnType<typeof seedDemoTenantIfEmpty>> } = outcome.opened;

observeDatabasePool(store);
// The app owns the feed (app.dispose() closes it); the retention timer below writes through it too.
const changeFeed = openChangeFeed(store.db, {
  databaseUrl: config.databaseUrl,
  logger,
  onRecorded: webhookOutbox(config.settingsEnv),
});
const app = createApp({ db: store.db, config, logger, changeFeed });
// Every process may deliver: rows are claimed with FOR UPDATE SKIP LOCKED, so each is sent once.
const webhookDeliverer = createWebhookDeliverer({
  db: store.db,
  logger,
  settingsEnv: config.settingsEnv,
  secrets: createSecretBox(config.secretsKey),
  allowPrivate: config.webhooks?.allowPrivate ?? false,
});
if (config.webhooks && config.webhooks.deliveryIntervalMs > 0)
  webhookDeliverer.start(changeFeed, config.webhooks.deliveryIntervalMs);
const server = createServer(
  {
    requestTimeout: config.http.requestTimeoutMs,
    headersTimeout: config.http.headersTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    // How often node looks for requests past those timeouts (default 30 s, longer than they are).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, config.http.headersTimeoutMs / 2)),
  },
  // REST routes and plain GraphQL POSTs without yoga's node adapter; everything else through it.
  nodeListener(app),
);

server.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE')
    cannotStart(
      new StartupError(
        'PORT',
        `port ${config.port} is already in use: stop what listens there, or set PORT to a free port`,
      ),
    );
  if (error.code === 'EACCES')
    cannotStart(new StartupError('PORT', `this user may not listen on port ${config.port}: set PORT to 1024 or above`));
  cannotStart(error);
});

server.listen(config.port, () => {
  const ms = Number((process.hrtime.bigint() - startedAt) / 1_000_000n);
  const rateLimits = !config.rateLimits.enabled ? 'off' : config.rateLimits.redis ? 'redis' : 'in-process';
  logger.info(
    { store: store.kind, dataFolder: store.dataFolder?.from, rateLimits, port: config.port, startToReadyMs: ms },
    'gateway ready',
  );
  if (store.dataFolder?.templateError)
    logger.warn(
      { reason: store.dataFolder.templateError },
      'no migrated template: the new data folder was made from scratch',
    );
  // Loaded now rather than on the first limited request (see graphql-rate-limit.ts).
  if (config.rateLimits.enabled) void graphqlRateLimit();
  if (!config.publicBaseUrl)
    logger.warn({ shareBase: config.origin }, 'PUBLIC_BASE_URL is unset: share links point at the listen address');
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
        `  curl -s ${config.origin}/graphql -H 'Authorization: Bearer ${demo.keys.ADMIN}' -H 'Content-Type: application/json' -d '{"query":"{ me { role tenant { id name } } }"}'`,
        `GraphiQL: ${config.origin}/graphql`,
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
