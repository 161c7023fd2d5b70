import type { RequestListener } from 'node:http';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { type ExecutionArgs, getOperationAST } from 'graphql';
import { createYoga, type Plugin, type YogaInitialContext, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { createSecretBox } from './auth/secret-box.js';
import type { AppConfig } from './config.js';
import type { Db } from './db/connect.js';
import { createAnswerCache } from './http/answer-cache.js';
import { apiKeyFromRequest } from './http/api-key-from-request.js';
import { clientAddressOf } from './http/client-address.js';
import { createFront, type FrontListener, type FrontOptions, type YogaServerParts } from './http/front.js';
import { ofrepCorsPolicy } from './http/ofrep-cors.js';
import { notePrincipal, requestInfo } from './http/request-info.js';
import { DEFAULT_OPERATION_LIMITS } from './limits/operation-limits.js';
import { maskUnexpected, useErrorMapping } from './plugins/use-error-mapping.js';
import { useGraphiQLPage } from './plugins/use-graphiql-page.js';
import { useHealth } from './plugins/use-health.js';
import { useHiddenSuggestions } from './plugins/use-hidden-suggestions.js';
import { useHttpHygiene } from './plugins/use-http-hygiene.js';
import { useMetrics } from './plugins/use-metrics.js';
import { useOperationLimits } from './plugins/use-operation-limits.js';
import { useRateLimit } from './plugins/use-rate-limit.js';
import { useRequestLog } from './plugins/use-request-log.js';
import { createRestLayer, type RestInitialContext } from './plugins/use-rest.js';
import { useStorableInput } from './plugins/use-storable-input.js';
import { openRateLimitStore } from './rate-limit/rate-limit-store.js';
import { routes } from './rest/routes/index.js';
import { schema } from './schema/index.js';
import { principalOfApiKey } from './services/api-key-lookup.js';
import { type ChangeFeed, openChangeFeed } from './services/change-feed.js';
import { createLoaders } from './services/loaders.js';
import { ReadCache } from './services/read-cache.js';
import type { ServiceContext } from './services/service-context.js';
import { webhookOutbox } from './services/webhook-outbox.js';

export interface AppDeps {
  db: Db;
  config: AppConfig;
  logger: Logger;
  /** Defaults to the wall clock; tests pass a movable one. */
  now?: () => Date;
  /**
   * The process's change feed (main.ts opens it, its retention timer writes through it too);
   * default: one opened here on `db` (LISTEN when `config.databaseUrl` is set), queueing webhook
   * deliveries in each write's transaction (a feed passed in should do so too: `onRecorded`). Either way the
   * app owns it: `app.dispose()` closes it.
   */
  changeFeed?: ChangeFeed;
  /** The heartbeat interval of streamed REST routes, e.g. the OFREP events (default 15 s; tests shorten it). */
  streamHeartbeatMs?: number;
}

const GRAPHIQL_DEFAULT_QUERY = '{\n  me {\n    role\n    tenant { id name tier }\n  }\n}\n';

export type App = YogaServerInstance<Record<string, unknown>, ServiceContext>;

/** True when the operation to execute declares no variables. */
function withoutVariables(args: ExecutionArgs): boolean {
  return !getOperationAST(args.document, args.operationName)?.variableDefinitions?.length;
}

/** What the node:http front needs of an app, kept beside it (see `nodeListener`). */
const frontParts = new WeakMap<App, Omit<FrontOptions, 'app'>>();

/**
 * The app as a node request listener: the node:http front (src/http/front.ts), which serves REST
 * routes and plain GraphQL POSTs without yoga's node adapter and hands everything else to the app.
 */
export function nodeListener(app: App): FrontListener {
  const parts = frontParts.get(app);
  if (!parts) throw new Error('nodeListener: not an app of createApp');
  return createFront({ app: app as unknown as RequestListener, ...parts });
}

/**
 * The whole HTTP surface as one Yoga instance: /graphql, REST paths, /share, /health, /ready.
 * `app.dispose()` releases what the plugins hold (the Redis connection of the rate limits) and
 * closes the change feed (its LISTEN connection).
 */
export function createApp({
  db,
  config,
  logger,
  now = () => new Date(),
  changeFeed = openChangeFeed(db, {
    databaseUrl: config.databaseUrl,
    logger,
    onRecorded: webhookOutbox(config.settingsEnv),
  }),
  streamHeartbeatMs,
}: AppDeps): App {
  // Reads from memory, invalidated by the change feed (services/read-cache.ts); CACHE_MAX_MB=0: none.
  const cacheMaxMb = config.cacheMaxMb ?? 64;
  const readCache = cacheMaxMb > 0 ? new ReadCache(changeFeed, Math.round(cacheMaxMb * 1024 * 1024)) : undefined;
  // What services get instead of the configuration: the secrets key and the platform key stay here.
  const capabilities = {
    secrets: createSecretBox(config.secretsKey),
    settingsEnv: config.settingsEnv,
    shareBaseUrl: config.publicBaseUrl ?? config.origin,
    webhooksAllowPrivate: config.webhooks?.allowPrivate ?? false,
  } satisfies Partial<ServiceContext>;
  // The caller of a request, from the key it presents; the platform key is compared here, where it lives.
  const callerOf = (apiKey: string | undefined) =>
    principalOfApiKey(db, readCache, apiKey, config.platformAdminKey, now());
  const maxBodyBytes = { ...DEFAULT_OPERATION_LIMITS, ...config.operationLimits }.maxBodyBytes;
  const rateLimits = config.rateLimits.enabled
    ? useRateLimit({
        store: openRateLimitStore(config.rateLimits, { now, logger }),
        scale: config.rateLimits.scale,
        fieldPolicies: config.rateLimits.fieldPolicies,
        now,
      })
    : undefined;
  // Whole answers of reads of a tenant's cached data, kept with the read cache (http/answer-cache.ts).
  const answers = readCache && createAnswerCache({ readCache, schema, callerOf, rateLimits });
  const rest = createRestLayer({ routes, schema, logger, heartbeatMs: streamHeartbeatMs, answers });
  let yogaServer: YogaServerParts | undefined;
  const plugins: Array<Plugin | Plugin<ServiceContext>> = [
    {
      onYogaInit: ({ yoga }) => {
        yogaServer = yoga as unknown as YogaServerParts;
      },
      onDispose: () => {
        readCache?.close();
        return changeFeed.close();
      },
    },
    // Execution by graphql-jit (a compiled function per document) for operations without
    // variables: ~4 % of the CPU of a cached REST read, ~15 % of `{ me { role } }`, ~35 % of the
    // 200-tenant list (measured in process). Operations with variables stay with graphql-js:
    // graphql-jit coerces variables itself and reports their errors otherwise (our error mapping
    // rebuilds them from graphql-js's, see variable-issues.ts).
    useGraphQlJit({}, { enableIf: withoutVariables }) as Plugin,
    useRequestLog(logger),
    useHttpHygiene({ graphqlEndpoint: '/graphql' }),
    useHealth(db),
    useGraphiQLPage({
      endpoint: '/graphql',
      schema,
      options: { title: 'Tenant configuration gateway', defaultQuery: GRAPHIQL_DEFAULT_QUERY },
    }),
    useErrorMapping(),
    // Before the rate limits: it counts their refusals.
    useMetrics({ db, platformAdminKey: config.platformAdminKey, metricsToken: config.metricsToken, now }),
    useHiddenSuggestions(async (request) => callerOf(apiKeyFromRequest(request))),
    ...(config.operationLimitsOff ? [] : [useOperationLimits(config.operationLimits), useStorableInput()]),
    ...(rateLimits ? [rateLimits] : []),
    // The legacy REST paths, each run as one GraphQL operation in process through all of the
    // above. It answers every path the others left unanswered (404 JSON): keep it last.
    rest.plugin,
  ];
  const app: App = createYoga<Record<string, unknown>, ServiceContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // /health is ours (useHealth), with a JSON body. Yoga's own health check cannot be turned
    // off and answers any URL ending in its endpoint, so it is moved out of the way.
    healthCheckEndpoint: '/__yoga_health',
    landingPage: false,
    // GraphiQL is ours (useGraphiQLPage): the bundled renderer, loaded on first use, cached.
    graphiql: false,
    logging: false,
    // Only the allow-listed origins, and never with credentials (keys travel in headers, not cookies).
    // On the OFREP paths, the tenant's own allowed origins (http/ofrep-cors.ts).
    cors: (request) => {
      const ofrep = ofrepCorsPolicy(request);
      if (ofrep !== undefined) return ofrep;
      const origin = request.headers.get('origin');
      return origin !== null && config.corsOrigins.includes(origin) ? { origin, credentials: false } : false;
    },
    // Counted while the body is read; the request is refused (413) as soon as it passes the cap.
    maxRequestBodySize: maxBodyBytes,
    plugins,
    context: async (initial: YogaInitialContext & RestInitialContext): Promise<ServiceContext> => {
      const { request } = initial;
      const info = requestInfo(request);
      // A REST route names the key its operation runs with (none on public routes).
      const apiKey = initial.restApiKey !== undefined ? (initial.restApiKey ?? undefined) : apiKeyFromRequest(request);
      let principal: ServiceContext['principal'];
      try {
        principal = await callerOf(apiKey);
      } catch (error) {
        // Outside execution, so the error mapping plugin never sees it: mask (or 503) here.
        throw maskUnexpected(error, { requestId: info.id, logger });
      }
      notePrincipal(request, principal);
      return {
        db,
        principal,
        requestId: info.id,
        loaders: createLoaders(db, readCache),
        changeFeed,
        logger,
        now,
        ...capabilities,
        clientAddress: clientAddressOf(initial),
      };
    },
  });
  frontParts.set(app, {
    yoga: () => {
      if (!yogaServer) throw new Error('yoga is not initialised');
      return yogaServer;
    },
    plugins,
    rest,
    answers,
    graphqlEndpoint: '/graphql',
    graphqlMaxBodyBytes: maxBodyBytes,
    logger,
  });
  return app;
}
