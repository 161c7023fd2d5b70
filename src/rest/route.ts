import { Kind, type OperationDefinitionNode, print } from 'graphql';
import type { HeaderReader, RequestUrl } from '../http/request-head.js';
import type { TadaDocumentNode } from './typed-graphql.js';

/**
 * One documented REST path = one entry of this type. A route holds no business logic: it says
 * which GraphQL operation to run, how the HTTP request becomes that operation's variables, and
 * how the operation's `data` becomes the documented JSON body. Auth, validation, limits and audit
 * happen in the GraphQL pipeline the route's operation runs through (src/plugins/use-rest.ts).
 */

import type { ServiceContext } from '../services/service-context.js';

export type HttpMethod = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

/**
 * Which documented error dialect a path speaks (src/rest/dialects.ts):
 * `tenant` = seeds 000/002/004 (`/tenant/*`), `admin` = seed 001 (`/api/admin/*`),
 * `v1` = seed 003 (`/api/v1/*`), `public` = the keyless share view (`/share/*`),
 * `ofrep` = OpenFeature Remote Evaluation Protocol (`/ofrep/v1/*`).
 */
export type Family = 'tenant' | 'admin' | 'v1' | 'public' | 'ofrep';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it); only what the docs and checks need. */
export type JsonSchema = Record<string, unknown>;

/** A path parameter. `format: 'uuid'` ids that cannot be ids answer 404 without a lookup. */
interface PathParamSpec {
  description: string;
  format?: 'uuid';
  /** Values come from a GraphQL enum of the live schema; any other value is an unknown path (404). */
  graphqlEnum?: string;
  /**
   * The segment is a credential (a share token): the request log shows the path with it, and
   * anything after the static prefix before it, replaced by `[redacted]`.
   */
  secret?: boolean;
}

/** A query-string parameter: strings pass as they are, integers are parsed (else 4xx). */
export interface QueryParamSpec {
  description: string;
  type: 'string' | 'integer' | 'timestamp';
  /** The only values a string parameter takes; another is invalid input. */
  enum?: readonly string[];
  /**
   * The GraphQL variable this parameter becomes, when its name differs. An invalid-input error
   * GraphQL reports about that variable is told to the client in the parameter's name.
   */
  variable?: string;
}

export interface BodySpec {
  /** True: a JSON object body must be sent. False: the body may be empty (then `{}`). */
  required: boolean;
  description: string;
  /**
   * The body's schema. `graphqlInput` derives it from a GraphQL input type of the live schema
   * (the one GraphQL itself validates against), so fields are never listed twice; `schema` is
   * for bodies the route spreads into separate variables (then unknown keys are refused here,
   * because GraphQL never sees them). `fieldFromParam`: the body is the input type's field named
   * by that path parameter (e.g. AdminSettingsPatch.<category>).
   */
  graphqlInput?: string | { type: string; field?: string; fieldFromParam?: string };
  schema?: JsonSchema;
}

/** What a route sees of the HTTP request, already parsed. */
export interface RouteRequest {
  params: Record<string, string>;
  query: Record<string, string | number | undefined>;
  /** The JSON body (an object when present; `{}` when optional and absent). */
  body: Record<string, unknown>;
  /** From `If-Match` on routes that accept it: the version the client last read. */
  expectedVersion?: number;
  headers: HeaderReader;
  url: RequestUrl;
}

/** One Server-Sent Event: its `id` (a client resumes after it with `Last-Event-ID`) and its JSON `data`. */
interface StreamEvent {
  id?: string;
  data: unknown;
}

/**
 * A streamed answer (Server-Sent Events, `text/event-stream`): the route's document is one
 * subscription, and each of its results becomes one event. The stream sends a comment line as a
 * heartbeat now and then, and ends when the subscription does or the client goes away.
 */
export interface EventStreamSpec<TData> {
  /** The event of one result's `data`. */
  event(data: TData, req: RouteRequest): StreamEvent;
  /**
   * Runs with the caller's context before the subscription opens and gives the answer's headers
   * that depend on the caller (an SSE answer's headers leave before its first event, so no event
   * can carry them, e.g. the tenant's CORS origins). A DomainError it throws is the answer.
   */
  open?(ctx: ServiceContext, req: RouteRequest): Promise<Record<string, string>>;
}

/** A successful mapping of `data` into the documented body. */
export interface RouteResponse {
  body: unknown;
  /** Defaults to the route's `status` (200). */
  status?: number;
  /** A resource version to send as ETag. */
  version?: number | null;
  /** Response headers decided by the answer (e.g. an ETag that is not a version); a 304 status sends no body. */
  headers?: Record<string, string>;
}

/** The text formats a streamed body can be written in (src/rest/export-formats.ts). */
export type ExportFormatName = 'json' | 'csv';

/**
 * A body too long to hold in memory (an export), written page by page as the client reads it.
 * The route's operation runs once per page on the same request (one context: one auth check,
 * one rate-limit charge, one request-log line); `respond` maps each page's `data` to that page's
 * items (an array), and the body is the items of every page, in the format the request asks
 * for. `responseSchema` is the JSON format's: an array of those items.
 */
export interface PagedBody<TData> {
  /** The variables of the page after `data` (over the route's own), or null when it was the last. */
  next(data: TData, req: RouteRequest): Record<string, unknown> | null;
  /** The formats offered, for OpenAPI (a query parameter of the route declares them). */
  formats: readonly ExportFormatName[];
  /** The format this request asks for. */
  format(req: RouteRequest): ExportFormatName;
  /** The file name offered in `Content-Disposition: attachment`, without its extension. */
  filename: string;
}

// `respond`, `html` and the stream's `next` are methods (bivariant in `data`), so routes of
// different data types form one `Route[]` without `any`.
export interface Route<TData = unknown> {
  method: HttpMethod;
  /** Express-style pattern: `/api/v1/tenants/:id/config`. Static segments win over params. */
  path: string;
  family: Family;
  summary: string;
  /** `public` routes take no key; every other route sends the caller's key on to GraphQL. */
  auth: 'key' | 'public';
  /**
   * The GraphQL it runs: exactly one named operation, typed from the schema (`graphql()` of
   * ./typed-graphql.ts); its result type is the `data` the route receives.
   */
  operation: TadaDocumentNode<TData, never>;
  params?: Record<string, PathParamSpec>;
  query?: Record<string, QueryParamSpec>;
  body?: BodySpec;
  /** How path params, query and body become the operation's variables. */
  variables: (req: RouteRequest) => Record<string, unknown>;
  /**
   * How the operation's `data` becomes the documented body; throw a DomainError for an error.
   * Every route has either this or `events`.
   */
  respond?(data: TData, req: RouteRequest): RouteResponse;
  /** A streamed route: its one operation is a subscription, each result an event (instead of `respond`). */
  events?: EventStreamSpec<TData>;
  /** Success status (default 200). */
  status?: number;
  /** The documented success body, for OpenAPI; of a streamed route, the `data` of one event. */
  responseSchema: JsonSchema;
  /** Reads: send an ETag of the returned version. Writes: honour `If-Match` as `expectedVersion`. */
  concurrency?: 'etag' | 'if-match';
  /** Extra response headers (on success and on errors of this route). */
  headers?: Record<string, string>;
  /** An HTML rendering offered when the client's Accept prefers text/html over JSON. */
  html?(data: TData, req: RouteRequest): string;
  /** A body streamed page by page (then `concurrency` and `html` do not apply). */
  pages?: PagedBody<TData>;
}

/** The key of a response schema node whose schema comes from the route's operation (see `selected`). */
export const SELECTION = 'x-graphql-selection';

/**
 * The schema of a body value a route passes through from its result, derived from what its
 * operation selects at `path` (response keys from the operation's root, dotted): type,
 * nullability, enum values and description come from the live schema (resolved when the
 * OpenAPI document is built), never written twice. `extra` adds to it or overrides it.
 */
export function selected(path: string, extra: JsonSchema = {}): JsonSchema {
  return { [SELECTION]: path, ...extra };
}

/** Keeps each route's `data` type checked against its own `respond`. */
export function defineRoute<TData>(route: Route<TData>): Route<TData> {
  return route;
}

/** The one operation definition of a route's document (besides it, the document holds only fragments). */
export function operationOf(route: Route): OperationDefinitionNode {
  const operations = route.operation.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const [operation] = operations;
  if (operations.length !== 1 || !operation.name)
    throw new Error(`Route ${route.method} ${route.path}: its operation must be one named operation`);
  return operation;
}

/** The name of a route's operation (also its OpenAPI operationId). */
export function operationName(route: Route): string {
  return operationOf(route).name!.value;
}

/** A route's operation as text, as a client would send it. */
export function operationText(route: Route): string {
  return print(route.operation);
}

/** Converts an ISO timestamp to the Unix seconds seed 001 documents (`updated_at`, `reset_at`). */
export function unixSeconds(iso: string | null | undefined): number | null {
  if (!iso) return null;
  return Math.floor(Date.parse(iso) / 1000);
}
