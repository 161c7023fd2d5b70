import { type DocumentNode, type ExecutionResult, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import { isUuid } from '../catalog/formats.js';
import { DomainError } from '../errors/domain-error.js';
import { type Answer, appendHeader, JSON_TYPE, setHeaders } from '../http/answer.js';
import type { AnswerCache, AnswerLookup, AnswerMiss } from '../http/answer-cache.js';
import { eventStreamBody } from '../http/event-stream.js';
import type { RequestHead, RequestUrl } from '../http/request-head.js';
import { requestInfo } from '../http/request-info.js';
import {
  type ErrorContext,
  errorBody,
  inParameterTerms,
  type RestError,
  restErrorOf,
  statusOf,
} from '../rest/dialects.js';
import { EXPORT_FORMATS } from '../rest/export-formats.js';
import { enumValues } from '../rest/graphql-json-schema.js';
import {
  etagOf,
  MAX_BODY_BYTES,
  notModified,
  type Parsed,
  prefersHtml,
  readBodyText,
  readIfMatch,
  readJsonBody,
  readQuery,
} from '../rest/http-input.js';
import { buildOpenApi } from '../rest/openapi.js';
import {
  type EventStreamSpec,
  type Family,
  type JsonSchema,
  operationName,
  operationOf,
  operationText,
  type Route,
  type RouteRequest,
  type RouteResponse,
} from '../rest/route.js';
import { type RouteMatch, RouteMatcher } from '../rest/route-matcher.js';

import type { ServiceContext } from '../services/service-context.js';
import { maskUnexpected } from './use-error-mapping.js';

/** What the REST layer uses of yoga's `getEnveloped` (the plugins' context and execute). */
type OperationArgs = {
  schema: GraphQLSchema;
  document: DocumentNode;
  contextValue: unknown;
  variableValues: Record<string, unknown>;
  operationName: string;
};
type Enveloped = {
  contextFactory: () => unknown;
  execute: (args: OperationArgs) => Promise<ExecutionResult | AsyncIterable<ExecutionResult>> | ExecutionResult;
  subscribe: (args: OperationArgs) => Promise<ExecutionResult | AsyncIterable<ExecutionResult>> | ExecutionResult;
  schema: GraphQLSchema;
};
type GetEnveloped = (initial: object) => Enveloped;

export interface UseRestOptions {
  /** The route table (src/rest/routes). */
  routes: readonly Route[];
  /** The GraphQL schema, for enum-valued path params and the OpenAPI bodies. */
  schema: GraphQLSchema;
  logger: Logger;
  /** How often a streamed route sends a heartbeat comment (default 15 s; tests shorten it). */
  heartbeatMs?: number;
  /** Whole answers of reads, served again while their tenant is unchanged (none: every read runs). */
  answers?: AnswerCache;
}

/**
 * What the REST layer adds to the context it asks Yoga for: `restApiKey` is the key the route's
 * operation runs with (null on public routes: a key sent there is not used), read by the
 * context factory (src/yoga.ts) instead of the request's own key transports.
 */
export interface RestInitialContext {
  restApiKey?: string | null;
}

/** Runs a route's operation with these variables on the request it was prepared for. */
type RunOperation = (variables: Record<string, unknown>) => Promise<ExecutionResult>;

/** The item schema of a streamed route (its `responseSchema` is an array of them): the CSV columns. */
function itemSchemaOf(route: Route): JsonSchema {
  return (route.responseSchema.items as JsonSchema | undefined) ?? {};
}

/** A route with its operation parsed and validated once, at start. */
interface CompiledRoute {
  ast: DocumentNode;
  /** The operation as text, as a client would send it (the params plugins and logs see). */
  query: string;
  operationName: string;
}

/** A GET's answer, or 304 without a body (and its type) when the client holds its ETag already. */
function conditional(request: RequestHead, answer: Answer): Answer {
  const etag = answer.headers.etag;
  if (request.method !== 'GET' || etag === undefined || !notModified(request.headers, etag)) return answer;
  const { 'content-type': _type, ...headers } = answer.headers;
  return { status: 304, headers, body: null };
}

/** The response headers errors ask for (`Retry-After`, `RateLimit` on a 429), as Yoga would set them. */
function copyErrorHeaders(errors: readonly GraphQLError[], headers: Record<string, string>): void {
  for (const error of errors)
    setHeaders(headers, (error.extensions?.http as { headers?: Record<string, string> } | undefined)?.headers);
}

/**
 * The static path prefixes in front of a `secret` path parameter (e.g. `/share/` of
 * `/share/:token`). Whatever follows such a prefix may be a credential, whether or not the rest
 * of the path matches a route (`/share/<token>/x` is a 404 but still carries the token).
 */
function secretPathPrefixes(routes: readonly Route[]): string[] {
  const prefixes = new Set<string>();
  for (const route of routes) {
    const segments = route.path.split('/').filter(Boolean);
    const at = segments.findIndex((s) => s.startsWith(':') && route.params?.[s.slice(1)]?.secret);
    if (at >= 0)
      prefixes.add(
        '/' +
          segments
            .slice(0, at)
            .map((s) => s + '/')
            .join(''),
      );
  }
  return [...prefixes];
}

/** The path as logs may show it: anything after a secret prefix becomes `[redacted]`. */
function redactPath(pathname: string, prefixes: readonly string[]): string {
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

function json(body: unknown, status: number, headers: Record<string, string>): Answer {
  headers['content-type'] = JSON_TYPE;
  return { status, headers, body: JSON.stringify(body) };
}

function errorResponse(error: RestError, ctx: ErrorContext, headers: Record<string, string> = {}): Answer {
  const body = errorBody(error, ctx);
  if (body === null) return { status: statusOf(ctx.family, error.code), headers, body: null };
  return json(body, statusOf(ctx.family, error.code), headers);
}

/** One REST request as the REST layer needs it, whoever received it (yoga, or the node:http front). */
export interface RestCall {
  request: RequestHead;
  url: RequestUrl;
  /** The body's text, read with the cap (a 413 or 415 as a failed read). */
  readBody: () => Promise<Parsed<string>>;
  /** True once the client has gone away (nobody is left to answer). */
  aborted: () => boolean;
  /** What yoga's server context holds (the node request as `req`: the client address). */
  serverContext: object;
  /** Aborted when the client goes away: a streamed answer stops there (only yoga streams). */
  signal?: AbortSignal;
  /** The route table's match of this request, when the caller made it already (the node:http front). */
  match?: RouteMatch;
}

/** The REST layer: its `plugin` serves it through yoga, the node:http front calls `answer` directly. */
export interface RestLayer {
  /** The route table's route for a method and path, with its parameters, if one matches exactly (not HEAD). */
  routeFor(method: string, pathname: string): RouteMatch | undefined;
  /**
   * The answer for any path except the GraphQL endpoint (`/openapi.json`, routes, 404, 405);
   * synchronous for a kept answer found without waiting.
   */
  answer(call: RestCall): Answer | Promise<Answer>;
  /** The plugin that serves the layer inside yoga; keep it last. */
  plugin: Plugin;
}

/**
 * The legacy REST paths. Each request matching the route table runs its route's one GraphQL
 * operation in process, through this same Yoga instance's plugins (`getEnveloped`: context with
 * auth, rate limits, error mapping and masking, execution), exactly as for GraphQL clients but
 * without a second HTTP request: the operation was parsed and validated once at start, and the
 * result's `data` goes to the route as it is. Also serves `GET /openapi.json`, and answers every
 * other path except the GraphQL endpoint with a JSON 404: keep its plugin last.
 */
export function createRestLayer({ routes, schema, logger, heartbeatMs = 15_000, answers }: UseRestOptions): RestLayer {
  const matcher = new RouteMatcher(routes);
  /** Each route's metrics label (`GET /tenant/settings`), made once. */
  const routeLabels = new Map(routes.map((route) => [route, `${route.method} ${route.path}`]));
  const enumCache = new Map<string, string[] | undefined>();
  const secretPrefixes = secretPathPrefixes(routes);
  const compiled = new Map<Route, CompiledRoute>();
  let getEnveloped!: GetEnveloped;
  let graphqlEndpoint = '/graphql';
  let openApi: string | undefined;

  const enumOf = (name: string) => {
    if (!enumCache.has(name)) enumCache.set(name, enumValues(schema, name));
    return enumCache.get(name);
  };

  /**
   * The route's operation, enveloped with its context (the caller's key resolved as for any
   * GraphQL request); a bad key or a lost database is an error result (src/yoga.ts).
   */
  async function prepare(
    request: RequestHead,
    serverContext: object,
    route: Route,
    variableValues: Record<string, unknown>,
  ): Promise<
    | { errors: readonly GraphQLError[] }
    | {
        run: (kind: 'execute' | 'subscribe', variables?: Record<string, unknown>) => ReturnType<Enveloped['execute']>;
        contextValue: unknown;
      }
  > {
    const { ast, query, operationName } = compiled.get(route)!;
    const params = { query, operationName, variables: variableValues };
    const restApiKey = route.auth === 'public' ? null : undefined;
    const initial: Partial<YogaInitialContext> & RestInitialContext = {
      ...serverContext,
      // Yoga's own plugins read only the head of the request (method, URL, headers).
      request: request as Request,
      params,
      restApiKey,
    };
    const enveloped = getEnveloped(initial);
    let contextValue: Awaited<ReturnType<typeof enveloped.contextFactory>>;
    try {
      contextValue = await enveloped.contextFactory();
    } catch (error) {
      // The context factory answers a bad key or a lost database with a GraphQLError (src/yoga.ts).
      if (error instanceof GraphQLError) return { errors: [error] };
      throw error;
    }
    const run = (kind: 'execute' | 'subscribe', variables = variableValues) => {
      // The operation runs: the request log names it.
      requestInfo(request).operationName = operationName;
      return enveloped[kind]({
        schema: enveloped.schema,
        document: ast,
        contextValue,
        variableValues: variables,
        operationName,
      });
    };
    return { run, contextValue };
  }

  /**
   * The route's operation on this request, ready to run: the context (the key's principal) is
   * built once; each run executes it through the plugins, its errors already mapped (codes,
   * details, masking). A paged route runs it once per page, all on this one context.
   */
  async function operationRunner(
    request: RequestHead,
    serverContext: object,
    route: Route,
    variableValues: Record<string, unknown>,
  ): Promise<RunOperation | { errors: readonly GraphQLError[] }> {
    const prepared = await prepare(request, serverContext, route, variableValues);
    if ('errors' in prepared) return prepared;
    return async (variables) => {
      const result = await prepared.run('execute', variables);
      if (Symbol.asyncIterator in result)
        throw new Error(`Route ${route.method} ${route.path}: its operation streamed`);
      return result;
    };
  }

  /**
   * A streamed route's body: the first page (already run and answered) is written at once; each
   * further page runs only when the client has taken the one before (a pull stream with one
   * chunk queued), so memory holds about one page whatever the length, and a slow reader slows
   * the queries instead of filling memory. A page that fails after the status was sent cuts the
   * body short (an error of the stream: the client sees an incomplete transfer, and a JSON array
   * that does not parse); a client that goes away stops the paging.
   */
  function streamPages(
    call: RestCall,
    route: Route,
    req: RouteRequest,
    run: RunOperation,
    variables: Record<string, unknown>,
    firstData: unknown,
    firstItems: unknown,
  ): ReadableStream<Uint8Array> {
    const paging = route.pages!;
    const info = requestInfo(call.request);
    const writer = EXPORT_FORMATS[paging.format(req)].writer(itemSchemaOf(route));
    const encoder = new TextEncoder();
    const startedAt = process.hrtime.bigint();
    let next = paging.next(firstData, req);
    let pages = 1;
    let bytes = 0;
    let ended = false;
    const end = (outcome: string, extra: Record<string, unknown> = {}) => {
      if (ended) return;
      ended = true;
      const durationMs = Number((process.hrtime.bigint() - startedAt) / 1000n) / 1000;
      logger.info(
        { requestId: info.id, route: info.route, outcome, pages, bytes, durationMs, ...extra },
        'stream ended',
      );
    };
    const chunk = (text: string) => {
      const encoded = encoder.encode(text);
      bytes += encoded.byteLength;
      return encoded;
    };
    const itemsOf = (items: unknown) => {
      if (!Array.isArray(items)) throw new Error(`Route ${route.method} ${route.path}: a page's body is not an array`);
      return items;
    };
    // The server aborts the request's signal when the connection closes before the body ends.
    call.signal?.addEventListener('abort', () => end('client closed'), { once: true });
    return new ReadableStream<Uint8Array>(
      {
        start(controller) {
          controller.enqueue(chunk(writer.head() + writer.rows(itemsOf(firstItems)) + (next ? '' : writer.tail())));
          if (!next) {
            controller.close();
            end('complete');
          }
        },
        async pull(controller) {
          if (ended) return;
          try {
            const result = await run({ ...variables, ...next });
            if (ended) return; // the client went away while the page ran
            if (result.errors?.length || !result.data) {
              const first = result.errors?.[0];
              end('failed', { code: first?.extensions?.code ?? null, error: first?.message ?? 'no data' });
              controller.error(new Error('The streamed answer failed part-way; it is incomplete'));
              return;
            }
            next = paging.next(result.data, req);
            pages++;
            const text = writer.rows(itemsOf(route.respond!(result.data, req).body)) + (next ? '' : writer.tail());
            controller.enqueue(chunk(text));
            if (!next) {
              controller.close();
              end('complete');
            }
          } catch (error) {
            const err = error as Error;
            logger.error(
              { requestId: info.id, err: { message: err?.message, stack: err?.stack } },
              'unexpected REST error',
            );
            end('failed', { code: 'INTERNAL_SERVER_ERROR' });
            controller.error(new Error('The streamed answer failed part-way; it is incomplete'));
          }
        },
        cancel() {
          end('client closed');
        },
      },
      { highWaterMark: 1 },
    );
  }

  /**
   * A streamed route: the caller's context, the route's `open` (headers, or a refusal), then its
   * subscription, whose results go out as Server-Sent Events. Errors before the first event are
   * answered like any route's; an error result later ends the stream (logged), and the client
   * resumes with `Last-Event-ID`.
   */
  async function answerEventStream(
    call: RestCall,
    route: Route,
    events: EventStreamSpec<unknown>,
    req: RouteRequest,
    headers: Record<string, string>,
    failed: (errors: readonly GraphQLError[]) => Answer,
  ): Promise<Answer> {
    const requestId = requestInfo(call.request).id;
    const prepared = await prepare(call.request, call.serverContext, route, route.variables(req));
    if ('errors' in prepared) return failed(prepared.errors);
    if (events.open) {
      try {
        const opened = await events.open(prepared.contextValue as ServiceContext, req);
        setHeaders(headers, opened);
      } catch (error) {
        return failed([error instanceof GraphQLError ? error : maskUnexpected(error, { requestId, logger })]);
      }
    }
    const result = await prepared.run('subscribe');
    if (!(Symbol.asyncIterator in result))
      return failed(result.errors?.length ? result.errors : [new GraphQLError('The subscription did not open')]);
    const body = eventStreamBody(result[Symbol.asyncIterator](), {
      toEvent: (next: ExecutionResult) => {
        if (next.errors?.length || !next.data) throw new Error(next.errors?.[0]?.message ?? 'An event without data');
        return events.event(next.data, req);
      },
      heartbeatMs,
      signal: call.signal,
      onError: (error) =>
        logger.warn(
          { requestId, route: `${route.method} ${route.path}`, err: (error as Error)?.message },
          'REST event stream ended by an error',
        ),
    });
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache, no-transform';
    // Proxies (nginx) pass each event on at once instead of buffering the body.
    headers['x-accel-buffering'] = 'no';
    return { status: 200, headers, body };
  }

  /** A route's answer; synchronous when its kept answer is found without waiting (answer-cache.ts). */
  function runRoute(call: RestCall, route: Route, params: Record<string, string>): Answer | Promise<Answer> {
    const { request, url } = call;
    requestInfo(request).route = routeLabels.get(route);
    // A GET's kept answer is looked up before any of the route's input is read: it was kept only
    // for this same path and query, whose input was read without fault then.
    const key = answers && request.method === 'GET' ? getAnswerKey(route, url) : undefined;
    const early = key ? answers!.lookup(request, call.serverContext, key) : undefined;
    return early instanceof Promise
      ? early.then((found) => afterLookup(call, route, params, found))
      : afterLookup(call, route, params, early);
  }

  /** The kept answer found, or the route run the whole way (filling the miss, which then ends). */
  function afterLookup(
    call: RestCall,
    route: Route,
    params: Record<string, string>,
    early: AnswerLookup | undefined,
  ): Answer | Promise<Answer> {
    if (early?.kind === 'hit') return conditional(call.request, early.answer);
    return routeAnswer(call, route, params, early).finally(() => early?.done());
  }

  /** A route's answer: its input read, its operation run (or its kept answer), its body made. */
  async function routeAnswer(
    call: RestCall,
    route: Route,
    params: Record<string, string>,
    miss: AnswerMiss | undefined,
  ): Promise<Answer> {
    const { request, url } = call;
    const info = requestInfo(request);
    const ctx: ErrorContext = {
      family: route.family,
      requestId: info.id,
      tenantId: route.family === 'v1' ? (params.id ?? null) : undefined,
    };
    if (route.family === 'ofrep' && params.key !== undefined) ctx.flagKey = params.key;
    const headers: Record<string, string> = {};
    setHeaders(headers, route.headers);
    const fail = (error: RestError) => errorResponse(error, ctx, headers);

    for (const [name, spec] of Object.entries(route.params ?? {})) {
      const value = params[name];
      // An id that cannot be an id, or a category the schema does not know, names nothing: 404.
      if (spec.format === 'uuid' && !isUuid(value))
        return fail({ code: 'NOT_FOUND', message: `No ${name} ${JSON.stringify(value)}` });
      if (spec.graphqlEnum) {
        const values = enumOf(spec.graphqlEnum);
        if (values && !values.includes(value))
          return fail({ code: 'NOT_FOUND', message: `Unknown ${name} ${JSON.stringify(value)}` });
      }
    }
    const query = readQuery(url, route.query);
    if (!query.ok) return fail(query.error);
    const ifMatch =
      route.concurrency === 'if-match' ? readIfMatch(request.headers) : { ok: true as const, value: undefined };
    if (!ifMatch.ok) return fail(ifMatch.error);
    const body = readJsonBody(await call.readBody(), request.headers, route.body);
    if (!body.ok) return fail(body.error);

    const req: RouteRequest = {
      params,
      query: query.value,
      body: body.value,
      expectedVersion: ifMatch.value,
      headers: request.headers,
      url,
    };
    /** The answer to an operation that failed: its first error in the family's dialect. */
    const failed = (errors: readonly GraphQLError[]) => {
      copyErrorHeaders(errors, headers);
      const first = errors[0];
      const error = inParameterTerms(restErrorOf(first), route.query);
      if (error.code === 'INTERNAL_SERVER_ERROR' && first.extensions?.code !== 'INTERNAL_SERVER_ERROR') {
        // Not a masked resolver fault (the error mapping logs those): a bug of the route table.
        logger.error(
          { requestId: info.id, route: `${route.method} ${route.path}`, graphqlError: first.message },
          'REST route: GraphQL answered with an error of no known code',
        );
      }
      // A stale version sent as If-Match is the HTTP precondition failing, not a plain conflict.
      if (error.code === 'CONFLICT' && req.expectedVersion !== undefined)
        return fail({
          code: 'PRECONDITION_FAILED',
          message: 'If-Match does not match the current version; nothing was written',
          details: error.details,
        });
      return fail(error);
    };
    if (route.events) return answerEventStream(call, route, route.events, req, headers, failed);

    const variables = route.variables(req);
    const lookup =
      miss ??
      (answers && route.family === 'ofrep'
        ? await answers.lookup(request, call.serverContext, ofrepAnswerKey(route, req))
        : undefined);
    if (lookup?.kind === 'hit') return conditional(request, lookup.answer);
    try {
      const operation = await operationRunner(request, call.serverContext, route, variables);
      if (typeof operation !== 'function') return failed(operation.errors);
      const result = await operation(variables);
      if (result.errors?.length) return failed(result.errors);
      if (!result.data) return fail({ code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' });

      let out: RouteResponse;
      try {
        out = route.respond!(result.data, req);
      } catch (error) {
        if (error instanceof DomainError) return fail(restErrorOf(error));
        throw error;
      }
      const status = out.status ?? route.status ?? 200;
      setHeaders(headers, out.headers);
      if (route.pages) {
        const paging = route.pages;
        const format = EXPORT_FORMATS[paging.format(req)];
        headers['content-type'] = format.contentType;
        headers['content-disposition'] = `attachment; filename="${paging.filename}.${format.extension}"`;
        headers['cache-control'] = 'no-store';
        return { status, headers, body: streamPages(call, route, req, operation, variables, result.data, out.body) };
      }
      if (status === 304) {
        const notModified: Answer = { status, headers, body: null };
        lookup?.keep(notModified, compiled.get(route)!.ast, operationName(route));
        return notModified;
      }
      if (out.version != null && route.concurrency) headers.etag = etagOf(out.version);
      let whole: Answer;
      if (route.html && prefersHtml(request.headers.get('accept'))) {
        headers['content-type'] = 'text/html; charset=utf-8';
        appendHeader(headers, 'vary', 'Accept');
        whole = { status, headers, body: route.html(result.data, req) };
      } else {
        if (route.html) appendHeader(headers, 'vary', 'Accept');
        whole = json(out.body, status, headers);
      }
      lookup?.keep(whole, compiled.get(route)!.ast, operationName(route));
      return conditional(request, whole);
    } finally {
      lookup?.done();
    }
  }

  /**
   * The key a GET's answer is kept under (src/http/answer-cache.ts) besides its caller: the
   * route, path and query string; undefined: not kept (public routes, HTML, streams, and a query
   * string carrying a key, which is never held in memory). Which operations qualify, the answer
   * cache decides.
   */
  function getAnswerKey(route: Route, url: RequestUrl): string | undefined {
    if (route.auth === 'public' || route.html || route.pages || route.events || url.search.includes('api_key'))
      return undefined;
    return `${route.method} ${route.path}\0${url.pathname}${url.search}`;
  }

  /** OFREP's evaluations (POSTs of a query) depend also on the body (the context), `Origin` (CORS) and `If-None-Match` (304). */
  function ofrepAnswerKey(route: Route, req: RouteRequest): string {
    return [
      `${route.method} ${route.path}`,
      req.url.pathname,
      JSON.stringify(req.query),
      JSON.stringify(req.body),
      req.headers.get('origin') ?? '',
      req.headers.get('if-none-match') ?? '',
    ].join('\0');
  }

  function answer(call: RestCall): Answer | Promise<Answer> {
    const { request, url } = call;
    const info = requestInfo(request);
    // The path as logs and error messages may show it: a share token in it is never echoed.
    const shownPath = redactPath(url.pathname, secretPrefixes);
    info.logPath = shownPath;
    if (url.pathname === '/openapi.json') {
      if (request.method !== 'GET')
        return errorResponse(
          { code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed here` },
          { family: 'tenant', requestId: info.id },
          { allow: 'GET' },
        );
      openApi ??= JSON.stringify(buildOpenApi(routes, schema));
      return { status: 200, headers: { 'content-type': JSON_TYPE }, body: openApi };
    }
    const family = familyOfPath(url.pathname);
    const ctx: ErrorContext = {
      family,
      requestId: info.id,
      tenantId: family === 'v1' ? tenantIdOfPath(url.pathname) : undefined,
    };
    // HEAD is GET without a body (RFC 9110), answered with GET's status and headers.
    const head = request.method === 'HEAD';
    const match = call.match ?? matcher.match(head ? 'GET' : request.method, url.pathname);
    if (match.kind === 'none')
      return errorResponse({ code: 'NOT_FOUND', message: `No such path: ${request.method} ${shownPath}` }, ctx);
    if (match.kind === 'method-not-allowed')
      return errorResponse(
        { code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed on ${shownPath}` },
        ctx,
        { allow: match.allow.join(', ') },
      );
    const answered = (answer: Answer): Answer => {
      if (!head) return answer;
      // A streamed answer's work (and its stream slot) ends with its body, which HEAD never reads.
      if (answer.body instanceof ReadableStream) void answer.body.cancel();
      return { ...answer, body: null };
    };
    const failed = (error: unknown): Answer => {
      if (call.aborted()) {
        logger.info({ requestId: ctx.requestId }, 'client closed');
        return { status: 499, headers: {}, body: null };
      }
      // A fault of the REST layer itself: masked like any unexpected error, logged with the id.
      const err = error as Error;
      logger.error(
        { requestId: ctx.requestId, err: { message: err?.message, stack: err?.stack } },
        'unexpected REST error',
      );
      return errorResponse(
        { code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' },
        { ...ctx, family: match.route.family },
      );
    };
    try {
      const answer = runRoute(call, match.route, match.params);
      return answer instanceof Promise ? answer.then(answered, failed) : answered(answer);
    } catch (error) {
      return failed(error);
    }
  }

  const plugin: Plugin = {
    onYogaInit({ yoga }) {
      getEnveloped = yoga.getEnveloped as unknown as typeof getEnveloped;
      graphqlEndpoint = yoga.graphqlEndpoint;
      // Every route's operation parsed and validated once, through the same plugins' parse and
      // validate a client's operation goes through; a route the schema refuses stops the start.
      const enveloped = yoga.getEnveloped({} as never);
      for (const route of routes) {
        // A route answers with a body (`respond`) or a stream of a subscription (`events`), not both.
        const streamed = operationOf(route).operation === 'subscription';
        if (!route.respond === !route.events || streamed !== Boolean(route.events))
          throw new Error(
            `REST route ${route.method} ${route.path}: needs either respond (a query or mutation) or events (a subscription)`,
          );
        const query = operationText(route);
        const ast = enveloped.parse(query);
        const errors: readonly GraphQLError[] = enveloped.validate(enveloped.schema, ast);
        if (errors.length)
          throw new Error(
            `REST route ${route.method} ${route.path}: its operation is invalid: ${errors.map((e) => e.message).join('; ')}`,
          );
        compiled.set(route, { ast, query, operationName: operationName(route) });
      }
    },
    async onRequest({ request, url, endResponse, serverContext, fetchAPI }) {
      if (url.pathname === graphqlEndpoint) return;
      const out = await answer({
        request,
        url,
        readBody: () => readBodyText(request, MAX_BODY_BYTES),
        aborted: () => request.signal?.aborted ?? false,
        serverContext: serverContext as object,
        signal: request.signal,
      });
      endResponse(new fetchAPI.Response(out.body, { status: out.status, headers: out.headers }));
    },
  };

  return {
    routeFor(method, pathname) {
      const match = matcher.match(method, pathname);
      return match.kind === 'route' ? match : undefined;
    },
    answer,
    plugin,
  };
}
