import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { requestInfo } from '../plugins/request-info.js';
import type { RestLayer } from '../plugins/use-rest.js';
import { MAX_BODY_BYTES } from '../rest/http-input.js';
import type { Answer } from './answer.js';
import { NodeRequestHead } from './request-head.js';

/** Yoga's request handler without its node adapter: GraphQL params from the request, through every plugin, to a `Response`. */
export type YogaHandle = (request: Request, serverContext: object) => Promise<Response> | Response;

export interface FrontOptions {
  /** The whole app as a node listener: every request the front does not take goes there, as before. */
  app: RequestListener;
  /** Yoga's own `handle` (request parsing, params hooks, parse/validate (cached), context, execute, result hooks). */
  yogaHandle: () => YogaHandle;
  /** The app's plugins: their `onResponse` hooks (request log, hygiene headers, metrics) run on every answer. */
  plugins: readonly Pick<Plugin, 'onResponse'>[];
  rest: RestLayer;
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

/** The Accept values whose answer is yoga's plain JSON result (anything else, SSE included, goes to yoga). */
const JSON_ACCEPTS = new Set([undefined, '*/*', 'application/json', 'application/graphql-response+json']);

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
  json(): Promise<unknown> {
    return new Promise((resolve) => resolve(JSON.parse(this.bodyText)));
  }
}

/** The `Response` face of an answer, for the plugins' `onResponse` hooks (they set headers, read the status). */
class AnswerResponse {
  constructor(readonly answer: Answer) {}
  get status(): number {
    return this.answer.status;
  }
  readonly headers = {
    get: (name: string): string | null => this.answer.headers[name.toLowerCase()] ?? null,
    has: (name: string): boolean => name.toLowerCase() in this.answer.headers,
    set: (name: string, value: string): void => {
      this.answer.headers[name.toLowerCase()] = value;
    },
    append: (name: string, value: string): void => {
      const key = name.toLowerCase();
      const existing = this.answer.headers[key];
      this.answer.headers[key] = existing ? `${existing}, ${value}` : value;
    },
    delete: (name: string): void => {
      delete this.answer.headers[name.toLowerCase()];
    },
    forEach: (fn: (value: string, name: string) => void): void => {
      for (const name in this.answer.headers) fn(this.answer.headers[name], name);
    },
  };
}

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
export function createFront(options: FrontOptions): RequestListener {
  const { app, plugins, rest, graphqlEndpoint, graphqlMaxBodyBytes, logger } = options;
  const onResponse = plugins.flatMap((p) => (p.onResponse ? [p.onResponse] : []));
  let yogaHandle: YogaHandle | undefined;

  /** Runs the `onResponse` hooks on the answer, then writes it (unless the client has gone). */
  async function send(
    request: NodeRequestHead,
    serverContext: object,
    res: ServerResponse,
    answer: Answer,
  ): Promise<void> {
    const response = new AnswerResponse(answer) as unknown as Response;
    for (const hook of onResponse) {
      const done = hook({
        request: request as unknown as Request,
        response,
        serverContext: serverContext as never,
        setResponse: () => {
          throw new Error('the node:http front does not let onResponse hooks replace the response');
        },
        fetchAPI: undefined as never,
      });
      if (done) await done;
    }
    if (res.destroyed || res.writableEnded) return;
    const { headers, body } = answer;
    if (body !== null) headers['content-length'] = String(Buffer.byteLength(body));
    else if (answer.status !== 304 && answer.status !== 204) headers['content-length'] = '0';
    res.writeHead(answer.status, headers);
    res.end(body);
  }

  /** The client went away before its answer: logged as such, and the request line says 499. */
  function clientClosed(request: NodeRequestHead, serverContext: object, res: ServerResponse): Promise<void> {
    logger.info({ requestId: requestInfo(request).id }, 'client closed');
    return send(request, serverContext, res, { status: 499, headers: {}, body: null });
  }

  async function serveRest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = new NodeRequestHead(req);
    requestInfo(request);
    const serverContext = { req, res };
    const answer = await rest.answer({
      request,
      url: new URL(request.url),
      readBody: () => readBody(req).then((value) => ({ ok: true as const, value })),
      aborted: () => req.socket.destroyed,
      serverContext,
    });
    await send(request, serverContext, res, answer);
  }

  async function serveGraphQL(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = new FrontRequest(req);
    requestInfo(request);
    const serverContext = { req, res };
    try {
      request.bodyText = await readBody(req);
    } catch {
      return clientClosed(request, serverContext, res);
    }
    yogaHandle ??= options.yogaHandle();
    const response = await yogaHandle(request as unknown as Request, serverContext);
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    await send(request, serverContext, res, { status: response.status, headers, body: await response.text() });
  }

  /** Which way the front serves a request, or undefined: yoga's. */
  function fastWay(req: IncomingMessage): 'rest' | 'graphql' | undefined {
    const target = req.url ?? '';
    if (req.headers.origin !== undefined || !PLAIN_TARGET.test(target) || DOT_SEGMENT.test(target)) return undefined;
    const queryAt = target.indexOf('?');
    const pathname = queryAt < 0 ? target : target.slice(0, queryAt);
    const method = req.method ?? '';
    if (pathname === graphqlEndpoint) {
      if (method !== 'POST' || !plainBody(req, graphqlMaxBodyBytes)) return undefined;
      const type = req.headers['content-type'];
      if (type !== 'application/json' && !type?.startsWith('application/json;')) return undefined;
      return JSON_ACCEPTS.has(req.headers.accept) ? 'graphql' : undefined;
    }
    if (method === 'HEAD' || !plainBody(req, MAX_BODY_BYTES)) return undefined;
    return rest.routeFor(method, pathname) ? 'rest' : undefined;
  }

  return (req, res) => {
    const way = fastWay(req);
    if (way === undefined) return app(req, res);
    const served = way === 'rest' ? serveRest(req, res) : serveGraphQL(req, res);
    served.catch((error: Error) => {
      logger.error(
        { err: { message: error?.message, stack: error?.stack } },
        'unexpected error in the node:http front',
      );
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.' }] }));
      } else res.destroy();
    });
  };
}
