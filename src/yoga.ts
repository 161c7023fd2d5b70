import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { AppConfig } from './config.js';
import type { Db } from './db/connect.js';
import { apiKeyFromRequest } from './http/api-key-from-request.js';
import { clientAddressOf } from './http/client-address.js';
import { corsPolicy } from './http/ofrep-cors.js';
import { notePrincipal, requestInfo } from './plugins/request-info.js';
import { maskUnexpected, useErrorMapping } from './plugins/use-error-mapping.js';
import { useGraphiQLPage } from './plugins/use-graphiql-page.js';
import { useHealth } from './plugins/use-health.js';
import { useOfrepEvents } from './plugins/use-ofrep-events.js';
import { useRateLimit } from './plugins/use-rate-limit.js';
import { useRequestLog } from './plugins/use-request-log.js';
import { useRest } from './plugins/use-rest.js';
import { openRateLimitStore } from './rate-limit/rate-limit-store.js';
import { routes } from './rest/routes/index.js';
import { schema } from './schema/index.js';
import { openChangeFeed, type ChangeFeed } from './services/change-feed.js';
import { createLoaders } from './services/loaders.js';
import { resolvePrincipal } from './services/principal.js';
import type { ServiceContext } from './services/service-context.js';

export interface AppDeps {
  db: Db;
  config: AppConfig;
  logger: Logger;
  /** Defaults to the wall clock; tests pass a movable one. */
  now?: () => Date;
  /**
   * The process's change feed (main.ts opens it, its retention timer writes through it too);
   * default: one opened here on `db` (LISTEN when `config.databaseUrl` is set). Either way the
   * app owns it: `app.dispose()` closes it.
   */
  changeFeed?: ChangeFeed;
  /** The OFREP event stream's heartbeat interval (default 15 s; tests shorten it). */
  ofrepHeartbeatMs?: number;
}

const GRAPHIQL_DEFAULT_QUERY = '{\n  me {\n    role\n    tenant { id name tier }\n  }\n}\n';

export type App = YogaServerInstance<Record<string, unknown>, ServiceContext>;

/**
 * The whole HTTP surface as one Yoga instance: /graphql, REST paths, /share, /health, /ready.
 * `app.dispose()` releases what the plugins hold (the Redis connection of the rate limits) and
 * closes the change feed (its LISTEN connection).
 */
export function createApp({ db, config, logger, now = () => new Date(), changeFeed = openChangeFeed(db, { databaseUrl: config.databaseUrl, logger }), ofrepHeartbeatMs }: AppDeps): App {
  const app: App = createYoga<Record<string, unknown>, ServiceContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // /health is ours (useHealth), with a JSON body.
    healthCheckEndpoint: '/__yoga_health',
    landingPage: false,
    // GraphiQL is ours (useGraphiQLPage): the bundled renderer, loaded on first use, cached.
    graphiql: false,
    logging: false,
    // Yoga's default CORS everywhere but the OFREP paths, which follow the tenant's allowed origins.
    cors: corsPolicy,
    plugins: [
      { onDispose: () => changeFeed.close() },
      useRequestLog(logger),
      useHealth(db),
      useGraphiQLPage({ endpoint: '/graphql', options: { title: 'Tenant configuration gateway', defaultQuery: GRAPHIQL_DEFAULT_QUERY } }),
      useErrorMapping(),
      config.rateLimits.enabled &&
        useRateLimit({
          store: openRateLimitStore(config.rateLimits, { now, logger }),
          scale: config.rateLimits.scale,
          fieldPolicies: config.rateLimits.fieldPolicies,
        }),
      useOfrepEvents({ db, changeFeed, config, logger, now, heartbeatMs: ofrepHeartbeatMs }),
      // The legacy REST paths, each run as one inner /graphql request through all of the above.
      // It answers every path the others left unanswered (404 JSON): keep it last.
      useRest({ routes, schema, logger, app: () => app }),
    ].filter((p) => p !== false),
    context: async (initial): Promise<ServiceContext> => {
      const { request } = initial;
      const info = requestInfo(request);
      let principal;
      try {
        principal = await resolvePrincipal(db, apiKeyFromRequest(request), config.platformAdminKey, now());
      } catch (error) {
        // Outside execution, so the error mapping plugin never sees it: mask (or 503) here.
        throw maskUnexpected(error, { requestId: info.id, logger });
      }
      notePrincipal(request, principal);
      return {
        db, principal, requestId: info.id, loaders: createLoaders(db), changeFeed, config, logger, now,
        origin: new URL(request.url).origin,
        clientAddress: clientAddressOf(initial),
      };
    },
  });
  return app;
}
