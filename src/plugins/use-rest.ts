import { isUuid } from '../catalog/formats.js';
import type { GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { DomainError } from '../errors/domain-error.js';
import { errorBody, inParameterTerms, restErrorOf, statusOf, type ErrorContext, type GraphQLErrorJson, type RestError } from '../rest/dialects.js';
import { enumValues } from '../rest/graphql-json-schema.js';
import { etagOf, notModified, prefersHtml, readIfMatch, readJsonBody, readQuery } from '../rest/http-input.js';
import { buildOpenApi } from '../rest/openapi.js';
import { operationName, type Family, type Route, type RouteRequest } from '../rest/route.js';
import { RouteMatcher } from '../rest/route-matcher.js';
import { linkInnerRequest, requestInfo } from './request-info.js';

export interface UseRestOptions {
  /** The route table (src/rest/routes). */
  routes: readonly Route[];
  /** The GraphQL schema, for enum-valued path params and the OpenAPI bodies. */
  schema: GraphQLSchema;
  logger: Logger;
  /**
   * The whole app (the server adapter `createYoga` returns). Yoga's `onYogaInit` hands plugins the
   * inner YogaServer, whose `handle` skips the adapter's `onRequest`/`onResponse` hooks; the inner
   * request must take the same road as a client's `POST /graphql`, so it goes through `fetch`.
   */
  app: () => { fetch: (request: Request, serverContext: object) => Response | Promise<Response>; graphqlEndpoint: string };
}

/** Headers of the inner GraphQL response a REST client must see too (rate limits). */
const PASSED_BACK_HEADERS = ['retry-after', 'ratelimit', 'ratelimit-policy', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

/** Headers of the caller's request carried to the inner request: the key transports, ids, client address. */
const FORWARDED_HEADERS = ['authorization', 'x-api-key', 'x-request-id', 'x-forwarded-for', 'x-real-ip', 'user-agent'];


/**
 * The static path prefixes in front of a `secret` path parameter (e.g. `/share/` of
 * `/share/:token`). Whatever follows such a prefix may be a credential, whether or not the rest
 * of the path matches a route (`/share/<token>/x` is a 404 but still carries the token).
 */
export function secretPathPrefixes(routes: readonly Route[]): string[] {
  const prefixes = new Set<string>();
  for (const route of routes) {
    const segments = route.path.split('/').filter(Boolean);
    const at = segments.findIndex((s) => s.startsWith(':') && route.params?.[s.slice(1)]?.secret);
    if (at >= 0) prefixes.add('/' + segments.slice(0, at).map((s) => s + '/').join(''));
  }
  return [...prefixes];
}

/** The path as logs may show it: anything after a secret prefix becomes `[redacted]`. */
export function redactPath(pathname: string, prefixes: readonly string[]): string {
  const prefix = prefixes.find((p) => pathname.startsWith(p) && pathname.length > p.length);
  return prefix ? prefix + '[redacted]' : pathname;
}

/** The family a path belongs to by prefix, for paths no route matched (404, 405). */
function familyOfPath(pathname: string): Family {
  if (pathname.startsWith('/api/v1/')) return 'v1';
  if (pathname.startsWith('/api/admin/')) return 'admin';
  if (pathname.startsWith('/share/')) return 'public';
  if (pathname.startsWith('/ofrep/')) return 'ofrep';
  return 'tenant';
}

/** Seed 003 echoes the tenant id of the path in its errors, also on paths no route matched. */
function tenantIdOfPath(pathname: string): string | null {
  const match = /^\/api\/v1\/tenants\/([^/]+)/.exec(pathname);
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

function json(body: unknown, status: number, headers: Headers): Response {
  headers.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(body), { status, headers });
}

function errorResponse(error: RestError, ctx: ErrorContext, headers = new Headers()): Response {
  const body = errorBody(error, ctx);
  if (body === null) return new Response(null, { status: statusOf(ctx.family, error.code), headers });
  return json(body, statusOf(ctx.family, error.code), headers);
}

/**
 * The legacy REST paths. Each request matching the route table becomes one GraphQL operation,
 * sent as an inner `POST /graphql` through this same Yoga instance (so auth, validation, rate
 * limits, audit and error masking apply exactly as for GraphQL clients), with the caller's key on
 * the transport it used. The inner request is linked to the outer one, so the request log writes
 * one line for both, naming the operation that ran. Also serves `GET /openapi.json`, and answers
 * every other path except the GraphQL endpoint with a JSON 404: keep this plugin last.
 */
export function useRest({ routes, schema, logger, app }: UseRestOptions): Plugin {
  const matcher = new RouteMatcher(routes);
  const innerRequests = new WeakSet<Request>();
  const enumCache = new Map<string, string[] | undefined>();
  const secretPrefixes = secretPathPrefixes(routes);
  let openApi: string | undefined;

  const enumOf = (name: string) => {
    if (!enumCache.has(name)) enumCache.set(name, enumValues(schema, name));
    return enumCache.get(name);
  };

  async function runRoute(request: Request, url: URL, route: Route, params: Record<string, string>, serverContext: object): Promise<Response> {
    const info = requestInfo(request);
    const ctx: ErrorContext = { family: route.family, requestId: info.id, tenantId: route.family === 'v1' ? (params.id ?? null) : undefined };
    if (route.family === 'ofrep' && params.key !== undefined) ctx.flagKey = params.key;
    const headers = new Headers(route.headers);
    const fail = (error: RestError) => errorResponse(error, ctx, headers);

    for (const [name, spec] of Object.entries(route.params ?? {})) {
      const value = params[name];
      // An id that cannot be an id, or a category the schema does not know, names nothing: 404.
      if (spec.format === 'uuid' && !isUuid(value)) return fail({ code: 'NOT_FOUND', message: `No ${name} ${JSON.stringify(value)}` });
      if (spec.graphqlEnum) {
        const values = enumOf(spec.graphqlEnum);
        if (values && !values.includes(value)) return fail({ code: 'NOT_FOUND', message: `Unknown ${name} ${JSON.stringify(value)}` });
      }
    }
    const query = readQuery(url, route.query);
    if (!query.ok) return fail(query.error);
    const ifMatch = route.concurrency === 'if-match' ? readIfMatch(request.headers) : { ok: true as const, value: undefined };
    if (!ifMatch.ok) return fail(ifMatch.error);
    const body = await readJsonBody(request, route.body);
    if (!body.ok) return fail(body.error);

    const req: RouteRequest = { params, query: query.value, body: body.value, expectedVersion: ifMatch.value, headers: request.headers, url };
    const inner = innerRequest(request, url, route, req);
    // A copy of the server context: the inner execution gets its own context object.
    const response = await app().fetch(inner, { ...serverContext });
    for (const name of PASSED_BACK_HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const result = (await response.json()) as { data?: Record<string, unknown> | null; errors?: GraphQLErrorJson[] };
    if (result.errors?.length) {
      const error = inParameterTerms(restErrorOf(result.errors[0]), route.query);
      if (error.code === 'INTERNAL_SERVER_ERROR' && result.errors[0].extensions?.code !== 'INTERNAL_SERVER_ERROR') {
        // Not a masked resolver fault (the error mapping logs those) but, e.g., a route document
        // the schema refuses: a bug of the route table, worth a log line of its own.
        logger.error({ requestId: info.id, route: `${route.method} ${route.path}`, graphqlError: result.errors[0].message }, 'REST route: GraphQL answered with an error of no known code');
      }
      // A stale version sent as If-Match is the HTTP precondition failing, not a plain conflict.
      if (error.code === 'CONFLICT' && req.expectedVersion !== undefined) return fail({ code: 'PRECONDITION_FAILED', message: 'If-Match does not match the current version; nothing was written', details: error.details });
      return fail(error);
    }
    if (!result.data) return fail({ code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' });

    let out;
    try {
      out = route.respond(result.data, req);
    } catch (error) {
      if (error instanceof DomainError) return fail(restErrorOf({ message: error.message, extensions: error.extensions as GraphQLErrorJson['extensions'] }));
      throw error;
    }
    const status = out.status ?? route.status ?? 200;
    for (const [name, value] of Object.entries(out.headers ?? {})) headers.set(name, value);
    if (status === 304) return new Response(null, { status, headers });
    if (out.version != null && route.concurrency) {
      const etag = etagOf(out.version);
      headers.set('etag', etag);
      if (request.method === 'GET' && notModified(request.headers, etag)) return new Response(null, { status: 304, headers });
    }
    if (route.html && prefersHtml(request.headers.get('accept'))) {
      headers.set('content-type', 'text/html; charset=utf-8');
      headers.append('vary', 'Accept');
      return new Response(route.html(result.data, req), { status, headers });
    }
    if (route.html) headers.append('vary', 'Accept');
    return json(out.body, status, headers);
  }

  /** The inner `POST /graphql` for a route: the caller's key on the same transport, same request id. */
  function innerRequest(outer: Request, url: URL, route: Route, req: RouteRequest): Request {
    const target = new URL(app().graphqlEndpoint, url);
    const apiKey = url.searchParams.get('api_key');
    if (apiKey !== null && route.auth === 'key') target.searchParams.set('api_key', apiKey);
    const headers = new Headers({ 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' });
    for (const name of FORWARDED_HEADERS) {
      if (route.auth === 'public' && (name === 'authorization' || name === 'x-api-key')) continue;
      const value = outer.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const inner = new Request(target, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: route.document, operationName: operationName(route), variables: route.variables(req) }),
    });
    linkInnerRequest(outer, inner);
    innerRequests.add(inner);
    return inner;
  }

  return {
    // Reached only once the inner request has been parsed, validated and authenticated into an
    // execution: the outer request's log line then names the operation that actually ran.
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request } | undefined)?.request;
      if (!request || !innerRequests.has(request)) return;
      const parent = requestInfo(request).parent;
      if (parent) parent.operationName = args.operationName ?? undefined;
    },
    async onRequest({ request, url, endResponse, serverContext }) {
      if (innerRequests.has(request) || url.pathname === app().graphqlEndpoint || url.pathname === '/__yoga_health') return;
      // The path as logs and error messages may show it: a share token in it is never echoed.
      const shownPath = redactPath(url.pathname, secretPrefixes);
      requestInfo(request).logPath = shownPath;
      if (url.pathname === '/openapi.json') {
        if (request.method !== 'GET') {
          endResponse(errorResponse({ code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed here` }, { family: 'tenant', requestId: requestInfo(request).id }, new Headers({ allow: 'GET' })));
          return;
        }
        openApi ??= JSON.stringify(buildOpenApi(routes, schema));
        endResponse(new Response(openApi, { headers: { 'content-type': 'application/json; charset=utf-8' } }));
        return;
      }
      const family = familyOfPath(url.pathname);
      const ctx: ErrorContext = { family, requestId: requestInfo(request).id, tenantId: family === 'v1' ? tenantIdOfPath(url.pathname) : undefined };
      // HEAD is GET without a body (RFC 9110), answered with GET's status and headers.
      const head = request.method === 'HEAD';
      const match = matcher.match(head ? 'GET' : request.method, url.pathname);
      if (match.kind === 'none') {
        endResponse(errorResponse({ code: 'NOT_FOUND', message: `No such path: ${request.method} ${shownPath}` }, ctx));
        return;
      }
      if (match.kind === 'method-not-allowed') {
        endResponse(errorResponse({ code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed on ${shownPath}` }, ctx, new Headers({ allow: match.allow.join(', ') })));
        return;
      }
      try {
        const response = await runRoute(request, url, match.route, match.params, serverContext as object);
        endResponse(head ? new Response(null, { status: response.status, headers: response.headers }) : response);
      } catch (error) {
        // A fault of the REST layer itself: masked like any unexpected error, logged with the id.
        const err = error as Error;
        logger.error({ requestId: ctx.requestId, err: { message: err?.message, stack: err?.stack } }, 'unexpected REST error');
        endResponse(errorResponse({ code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' }, { ...ctx, family: match.route.family }));
      }
    },
  };
}
