import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLSchema,
  getOperationAST,
} from 'graphql';
import { type GraphQLParams, maskError, type Plugin, processRegularResult } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { RestLayer } from '../plugins/use-rest.js';
import { MAX_BODY_BYTES } from '../rest/http-input.js';
import type { RouteMatch } from '../rest/route-matcher.js';
import { type Answer, appendHeader } from './answer.js';
import type { AnswerCache } from './answer-cache.js';
import { NodeRequestHead, type RequestUrl } from './request-head.js';
import { requestInfo } from './request-info.js';

/** What the front calls of the yoga server itself (not of its node adapter). */
export interface YogaServerParts {
  /** The whole of yoga's handling of a request, to a `Response` (for what the front leaves to yoga after reading the body). */
  handle: (request: Request, serverContext: object) => Promise<Response> | Response;
  /** The plugins' parse (with yoga's parse and validation cache), validate, context and execute. */
  getEnveloped: (initial: object) => Enveloped;
}

interface Enveloped {
  parse: (source: string) => DocumentNode;
  validate: (schema: GraphQLSchema, document: DocumentNode) => readonly GraphQLError[];
  contextFactory: () => unknown;
  execute: (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    contextValue: unknown;
    variableValues?: Record<string, unknown> | null;
    operationName?: string | null;
  }) => Promise<ExecutionResult | AsyncIterable<unknown>> | ExecutionResult | AsyncIterable<unknown>;
  schema: GraphQLSchema;
}

export interface FrontOptions {
  /** The whole app as a node listener: every request the front does not take goes there, as before. */
  app: RequestListener;
  /** The yoga server (known once it is initialised). */
  yoga: () => YogaServerParts;
  /**
   * The app's plugins: their `onParams`, `onExecutionResult` and `onResultProcess` hooks run on
   * every GraphQL request as yoga would run them, their `onResponse` hooks (request log, hygiene
   * headers, metrics) on every answer.
   */
  plugins: readonly Pick<Plugin, 'onParams' | 'onExecutionResult' | 'onResultProcess' | 'onResponse'>[];
  rest: RestLayer;
  /** Whole answers of reads, served without executing them again (none: every request runs). */
  answers?: AnswerCache;
  graphqlEndpoint: string;
  /** yoga's body cap for GraphQL: a larger declared body goes to yoga, which refuses it (413). */
  graphqlMaxBodyBytes: number;
  logger: Logger;
}

/**
 * A request target the front takes as it is: an origin-form path and query of plain characters,
 * with no dot segments (`/./`, `/../`, `%2e`) a URL parser would rewrite, and no fragment.
 */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
const DOT_SEGMENT = /\/\.|%2e/i;

/** Where the front sends a request it takes: the REST layer, or yoga's pipeline answering in this media type. */
type Way = { rest: true; match: RouteMatch; url: PlainTargetUrl } | { rest: false; mediaType: string };

/**
 * The Accept values whose answer is yoga's plain JSON result, with the media type yoga's result
 * processor picks for each (anything else, SSE and multipart included, goes to yoga).
 */
const JSON_ACCEPTS = new Map<string | undefined, Way>([
  [undefined, { rest: false, mediaType: 'application/json' }],
  ['*/*', { rest: false, mediaType: 'application/json' }],
  ['application/json', { rest: false, mediaType: 'application/json' }],
  ['application/graphql-response+json', { rest: false, mediaType: 'application/graphql-response+json' }],
]);

const PARAM_NAMES = new Set(['query', 'variables', 'operationName', 'extensions']);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Params yoga's checks (graphql-yoga's checkGraphQLQueryParams) let through unchanged: an object
 * of the four known names, a string query, variables and extensions empty or objects. Others go
 * to yoga's `handle`, which answers them with its own errors.
 */
function plainParams(value: unknown): value is GraphQLParams {
  if (!isPlainObject(value) || typeof value.query !== 'string') return false;
  for (const name in value) if (value[name] != null && !PARAM_NAMES.has(name)) return false;
  return (
    (value.variables == null || isPlainObject(value.variables)) &&
    (value.extensions == null || isPlainObject(value.extensions))
  );
}

/**
 * The errors yoga's handler makes of an error thrown while handling params (graphql-yoga's
 * handleError): GraphQL errors as they are, anything else masked as `Unexpected error.`.
 */
function yogaErrors(error: unknown): GraphQLError[] {
  if (typeof error === 'object' && error !== null && Array.isArray((error as { errors?: unknown }).errors))
    return (error as { errors: unknown[] }).errors.flatMap(yogaErrors);
  return [maskError(error, 'Unexpected error.') as GraphQLError];
}

/** The fetch API yoga's result processor writes its answer to: the answer as a plain value. */
const ANSWER_FETCH_API = {
  Response: class {
    readonly answer: Answer;
    constructor(body: string | null, init: { status: number; headers: Record<string, string> }) {
      const headers: Record<string, string> = {};
      for (const name in init.headers) headers[name.toLowerCase()] = init.headers[name];
      this.answer = { status: init.status, headers, body };
    }
  },
};

/** A body-less request head, or one with a body of known length within `max` and no content coding. */
function plainBody(req: IncomingMessage, max: number): boolean {
  const { headers } = req;
  if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return false;
  if (headers.expect !== undefined) return false;
  const length = headers['content-length'];
  return length === undefined || Number(length) <= max;
}

/** The body of a request whose length is known, as text; rejects when the client goes away first. */
function readBody(req: IncomingMessage): Promise<string> {
  if (req.headers['content-length'] === undefined || req.headers['content-length'] === '0') return Promise.resolve('');
  return new Promise((resolve, reject) => {
    if (req.socket.destroyed && !req.complete) return reject(new Error('client closed'));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('client closed'));
    });
  });
}

/** A node request head that also answers yoga's body readers, from text the front has read. */
class FrontRequest extends NodeRequestHead {
  readonly body = null;
  /** Set once the body is read. */
  bodyText = '';
  text(): Promise<string> {
    return Promise.resolve(this.bodyText);
  }
  /** As the `Request` yoga's adapter makes would parse it (its error names the text, as yoga answers it). */
  json(): Promise<unknown> {
    return new Promise((resolve) => {
      try {
        resolve(JSON.parse(this.bodyText));
      } catch (error) {
        if (error instanceof SyntaxError) error.message += `, "${this.bodyText}" is not valid JSON`;
        throw error;
      }
    });
  }
}

/**
 * The path and query of a plain request target (PLAIN_TARGET), as a URL parser would give them:
 * such a target has nothing it would rewrite in the path, and the query's parameters read the
 * same (a parser escapes `'` in the query, which they decode). Parsing the whole URL was ~1 µs of
 * every REST request.
 */
class PlainTargetUrl implements RequestUrl {
  readonly pathname: string;
  /** As `URL.search`: empty for no query and for a bare `?`. */
  readonly search: string;
  private params: URLSearchParams | undefined;
  constructor(target: string, queryAt: number) {
    this.pathname = queryAt < 0 ? target : target.slice(0, queryAt);
    this.search = queryAt < 0 || queryAt === target.length - 1 ? '' : target.slice(queryAt);
  }
  get searchParams(): URLSearchParams {
    this.params ??= new URLSearchParams(this.search);
    return this.params;
  }
}

/** The `Headers` face of an answer's headers, for the plugins' `onResponse` hooks. */
class AnswerHeaders {
  constructor(private readonly headers: Record<string, string>) {}
  get(name: string): string | null {
    return this.headers[name.toLowerCase()] ?? null;
  }
  has(name: string): boolean {
    return name.toLowerCase() in this.headers;
  }
  set(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }
  append(name: string, value: string): void {
    appendHeader(this.headers, name.toLowerCase(), value);
  }
  delete(name: string): void {
    delete this.headers[name.toLowerCase()];
  }
  forEach(fn: (value: string, name: string) => void): void {
    for (const name in this.headers) fn(this.headers[name], name);
  }
}

/** The `Response` face of an answer, for the plugins' `onResponse` hooks (they set headers, read the status). */
class AnswerResponse {
  readonly headers: AnswerHeaders;
  readonly status: number;
  constructor(answer: Answer) {
    this.headers = new AnswerHeaders(answer.headers);
    this.status = answer.status;
  }
}

/** Writes an answer to the node response, unless the client has gone. */
function write(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  const { headers, body } = answer;
  if (body instanceof ReadableStream)
    throw new Error('the node:http front does not stream (fastWay leaves streams to yoga)');
  if (body !== null) headers['content-length'] = String(Buffer.byteLength(body));
  else if (answer.status !== 304 && answer.status !== 204) headers['content-length'] = '0';
  res.writeHead(answer.status, headers);
  res.end(body);
}

/** The front as a node listener, with how many requests went each way (tests check the fast path is taken). */
export type FrontListener = RequestListener & {
  readonly counts: Readonly<Record<'rest' | 'graphql' | 'yoga', number>>;
};

/**
 * The node:http front of the gateway. Yoga's node adapter (a `Request` per request, the body as
 * a web stream through a size-limiting transform, the answer as a `Response` sent back through
 * another stream) costs more per request than everything else on the cached read path, so the
 * requests that need none of it skip it:
 * - a REST route of the table (src/rest/routes) goes straight to the REST layer, which runs its
 *   operation through yoga's `getEnveloped` (src/plugins/use-rest.ts) as it does inside yoga;
 * - `POST /graphql` with an `application/json` body goes to yoga's own `handle` (every params,
 *   parse, validate, context, execute and result hook, the parse/validate cache included) with
 *   the body already read;
 * and the answer is written to the node response once, after the same `onResponse` hooks (request
 * id header and log line, hygiene headers, metrics) yoga would run.
 *
 * Everything else goes to yoga exactly as before: GraphiQL and `GET /graphql`, SSE streams, OFREP
 * events, /metrics, /health, /ready, /openapi.json, CORS (any request with an Origin, preflights),
 * bodies that are chunked, compressed, over the cap or expect a 100-continue, other Accept types,
 * HEAD, and request targets a URL parser would rewrite. The server's timeouts are the node
 * server's own and apply to both.
 */
export function createFront(options: FrontOptions): FrontListener {
  const { app, plugins, rest, answers, graphqlEndpoint, graphqlMaxBodyBytes, logger } = options;
  const onResponse = plugins.flatMap((p) => (p.onResponse ? [p.onResponse] : []));
  const onParams = plugins.flatMap((p) => (p.onParams ? [p.onParams] : []));
  const onExecutionResult = plugins.flatMap((p) => (p.onExecutionResult ? [p.onExecutionResult] : []));
  const onResultProcess = plugins.flatMap((p) => (p.onResultProcess ? [p.onResultProcess] : []));
  let yogaServer: YogaServerParts | undefined;

  /**
   * Runs the `onResponse` hooks on the answer, then writes it (unless the client has gone).
   * Synchronous while the hooks are (ours are): a kept answer is written without an await.
   */
  function send(
    request: NodeRequestHead,
    serverContext: object,
    res: ServerResponse,
    answer: Answer,
  ): void | Promise<void> {
    const response = new AnswerResponse(answer) as unknown as Response;
    const hookArgs = {
      request: request as unknown as Request,
      response,
      serverContext: serverContext as never,
      setResponse: () => {
        throw new Error('the node:http front does not let onResponse hooks replace the response');
      },
      fetchAPI: undefined as never,
    };
    const runHooks = (from: number): void | Promise<void> => {
      for (let i = from; i < onResponse.length; i++) {
        const done = onResponse[i](hookArgs);
        if (done) return done.then(() => runHooks(i + 1));
      }
      write(res, answer);
    };
    return runHooks(0);
  }

  /** The client went away before its answer: logged as such, and the request line says 499. */
  function clientClosed(request: NodeRequestHead, serverContext: object, res: ServerResponse): void | Promise<void> {
    logger.info({ requestId: requestInfo(request).id }, 'client closed');
    return send(request, serverContext, res, { status: 499, headers: {}, body: null });
  }

  function serveRest(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    url: RequestUrl,
  ): void | Promise<void> {
    const request = new NodeRequestHead(req);
    requestInfo(request);
    const serverContext = { req, res };
    const answer = rest.answer({
      request,
      url,
      readBody: () => readBody(req).then((value) => ({ ok: true as const, value })),
      aborted: () => req.socket.destroyed,
      serverContext,
      match,
    });
    return answer instanceof Promise
      ? answer.then((answered) => send(request, serverContext, res, answered))
      : send(request, serverContext, res, answer);
  }

  async function serveGraphQL(req: IncomingMessage, res: ServerResponse, mediaType: string): Promise<void> {
    const request = new FrontRequest(req);
    const info = requestInfo(request);
    const serverContext = { req, res };
    try {
      request.bodyText = await readBody(req);
    } catch {
      return clientClosed(request, serverContext, res);
    }
    yogaServer ??= options.yoga();
    let body: unknown;
    try {
      body = JSON.parse(request.bodyText);
    } catch {
      body = undefined;
    }
    if (!plainParams(body)) return send(request, serverContext, res, await yogaAnswer(request, serverContext));
    let params: GraphQLParams = body;
    /** What yoga does with a failure outside execution: masked (logged here, with the request id). */
    const unexpected = (error: unknown): ExecutionResult => {
      const err = error as Error;
      logger.error({ requestId: info.id, err: { message: err?.message, stack: err?.stack } }, 'unexpected error');
      return { errors: [maskError(error, 'Unexpected error.') as GraphQLError] };
    };
    let result: ExecutionResult | undefined;
    try {
      ({ params, result } = await paramsHooks(params, request, serverContext));
    } catch (error) {
      result = unexpected(error);
    }
    const lookup =
      result || !answers
        ? undefined
        : await answers.lookup(
            request,
            serverContext,
            `${mediaType}\0${params.operationName ?? ''}\0${JSON.stringify(params.variables ?? {})}\0${params.query}`,
          );
    if (lookup?.kind === 'hit') return send(request, serverContext, res, lookup.answer);
    try {
      let document: DocumentNode | undefined;
      try {
        if (!result) {
          const executed = await execution(params, request, serverContext);
          // A subscription: yoga's own answer (it refuses to stream a plain JSON answer).
          if (!executed) return send(request, serverContext, res, await yogaAnswer(request, serverContext));
          ({ result, document } = executed);
        }
        result = await executionResultHooks(result, request, serverContext);
      } catch (error) {
        result = unexpected(error);
      }
      for (const hook of onResultProcess) {
        const done = hook({
          request: request as unknown as Request,
          result,
          setResult: (next) => {
            result = next as ExecutionResult;
          },
          acceptableMediaTypes: [],
          resultProcessor: undefined,
          setResultProcessor: () => {},
          serverContext: serverContext as never,
        });
        if (done) await done;
      }
      const response = processRegularResult(result, ANSWER_FETCH_API as never, mediaType) as unknown as {
        answer: Answer;
      };
      if (!result.errors?.length) lookup?.keep(response.answer, document, params.operationName);
      await send(request, serverContext, res, response.answer);
    } finally {
      lookup?.done();
    }
  }

  /** The `onParams` hooks, as yoga runs them: they may replace the params, or answer instead (the result). */
  async function paramsHooks(
    params: GraphQLParams,
    request: FrontRequest,
    serverContext: object,
  ): Promise<{ params: GraphQLParams; result?: ExecutionResult }> {
    let result: ExecutionResult | undefined;
    for (const hook of onParams) {
      const done = hook({
        params,
        request: request as unknown as Request,
        setParams: (next) => {
          params = next;
        },
        paramsHandler: undefined as never,
        setParamsHandler: () => {
          throw new Error('the node:http front does not let onParams hooks replace the params handler');
        },
        setResult: (next) => {
          result = next as ExecutionResult;
        },
        fetchAPI: undefined as never,
        context: serverContext as never,
      });
      if (done) await done;
    }
    return { params, result };
  }

  /** The `onExecutionResult` hooks, as yoga runs them on every result (they may replace it). */
  async function executionResultHooks(
    result: ExecutionResult,
    request: FrontRequest,
    serverContext: object,
  ): Promise<ExecutionResult> {
    for (const hook of onExecutionResult) {
      const done = hook({
        result,
        setResult: (next) => {
          result = next as ExecutionResult;
        },
        request: request as unknown as Request,
        context: serverContext as never,
      });
      if (done) await done;
    }
    return result;
  }

  /**
   * What yoga's `getResultForParams` does after the params hooks, without its promise helpers:
   * through `getEnveloped` the plugins' parse (yoga's parse and validation cache: a document is
   * parsed and validated once), validate, context and execute. Errors thrown on the way become
   * the result's errors as yoga's error handler makes them. Undefined for a subscription (left
   * to yoga).
   */
  async function execution(
    params: GraphQLParams,
    request: FrontRequest,
    serverContext: { req: IncomingMessage; res: ServerResponse },
  ): Promise<{ result: ExecutionResult; document?: DocumentNode } | undefined> {
    const asRequest = request as unknown as Request;
    const enveloped = yogaServer!.getEnveloped(Object.assign(serverContext, { request: asRequest, params }));
    try {
      const document = enveloped.parse(params.query!);
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length) return { result: { errors } };
      if (getOperationAST(document, params.operationName)?.operation === 'subscription') return undefined;
      const contextValue = await enveloped.contextFactory();
      const executed = await enveloped.execute({
        schema: enveloped.schema,
        document,
        contextValue,
        variableValues: params.variables,
        operationName: params.operationName,
      });
      if (Symbol.asyncIterator in executed) throw new Error('a query or mutation streamed');
      return { result: executed, document };
    } catch (error) {
      return { result: { errors: yogaErrors(error) } };
    }
  }

  /** Yoga's own answer to a request whose body the front has read (the body is then the request's `text()`). */
  async function yogaAnswer(request: FrontRequest, serverContext: object): Promise<Answer> {
    const response = await yogaServer!.handle(request as unknown as Request, serverContext);
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { status: response.status, headers, body: await response.text() };
  }

  /** Which way the front serves a request, or undefined: yoga's. */
  function fastWay(req: IncomingMessage): Way | undefined {
    const target = req.url ?? '';
    if (req.headers.origin !== undefined || !PLAIN_TARGET.test(target) || DOT_SEGMENT.test(target)) return undefined;
    const queryAt = target.indexOf('?');
    const url = new PlainTargetUrl(target, queryAt);
    const { pathname } = url;
    const method = req.method ?? '';
    if (pathname === graphqlEndpoint) {
      if (method !== 'POST' || !plainBody(req, graphqlMaxBodyBytes)) return undefined;
      const type = req.headers['content-type'];
      if (type !== 'application/json' && !type?.startsWith('application/json;')) return undefined;
      return JSON_ACCEPTS.get(req.headers.accept);
    }
    if (method === 'HEAD' || !plainBody(req, MAX_BODY_BYTES)) return undefined;
    const match = rest.routeFor(method, pathname);
    // Streamed answers (SSE, paged exports) stay with yoga, which writes a body as it goes.
    return match && !match.route.events && !match.route.pages ? { rest: true, match, url } : undefined;
  }

  const counts = { rest: 0, graphql: 0, yoga: 0 };
  const failed = (res: ServerResponse) => (error: Error) => {
    logger.error({ err: { message: error?.message, stack: error?.stack } }, 'unexpected error in the node:http front');
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
    } else res.destroy();
  };
  const listener: RequestListener = (req, res) => {
    const way = fastWay(req);
    if (way === undefined) {
      counts.yoga++;
      return app(req, res);
    }
    if (way.rest) counts.rest++;
    else counts.graphql++;
    try {
      const served = way.rest ? serveRest(req, res, way.match, way.url) : serveGraphQL(req, res, way.mediaType);
      served?.catch(failed(res));
    } catch (error) {
      failed(res)(error as Error);
    }
  };
  return Object.assign(listener, { counts });
}
