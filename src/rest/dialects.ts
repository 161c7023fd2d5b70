import { ERROR_STATUS, type ErrorCode, type FieldIssue } from '../errors/domain-error.js';
import type { Family, QueryParamSpec } from './route.js';

/**
 * Each documented REST family speaks its own error dialect. The GraphQL pipeline reports one
 * vocabulary (`extensions.code`); this file turns it into each family's status and body.
 *
 * - `tenant` and `public` (seeds 000, 002, 004): `{ error: { code, message, details?, requestId? } }`;
 *   invalid input is 422 (the seeds' "Unprocessable entity"), with field `details`.
 * - `admin` (seed 001, which documents no error format): the same body; invalid input is 400.
 * - `v1` (seed 003): `{ error: "<reason phrase>", message, code: <status>, tenant_id }`; 400 for
 *   validation, with the catalog's messages word for word (they arrive as the GraphQL message).
 * - `ofrep` (OFREP v0.3, open-feature/protocol service/openapi.yaml): 400 `{ key, errorCode:
 *   PARSE_ERROR | INVALID_CONTEXT | GENERAL, errorDetails }`, 404 `{ key, errorCode: FLAG_NOT_FOUND,
 *   errorDetails }`, 500 `{ errorDetails }`; 401, 403 and 429 carry no body (their status says it all).
 *
 * `requestId` (`request_id` in v1) is in the body of 5xx answers, where the seeds ask support to
 * be given it; every answer carries it as the `x-request-id` header. Keeping it out of 4xx bodies
 * also keeps the public share 404 byte-identical for unknown, expired, revoked and forged tokens.
 */

/** Codes the REST layer itself can raise, on top of the domain's. */
export type RestErrorCode = ErrorCode | 'METHOD_NOT_ALLOWED' | 'UNSUPPORTED_MEDIA_TYPE' | 'PAYLOAD_TOO_LARGE';

export interface RestError {
  code: RestErrorCode;
  message: string;
  details?: FieldIssue[];
}

export interface ErrorContext {
  family: Family;
  requestId: string;
  /** The tenant id named by the path (seed 003 echoes it as `tenant_id`). */
  tenantId?: string | null;
  /** The flag key named by the path (OFREP echoes it as `key`). */
  flagKey?: string;
}

const REST_ONLY_STATUS = { METHOD_NOT_ALLOWED: 405, UNSUPPORTED_MEDIA_TYPE: 415, PAYLOAD_TOO_LARGE: 413 } as const;

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The HTTP status of an error code in a family. */
export function statusOf(family: Family, code: RestErrorCode): number {
  if (code === 'BAD_USER_INPUT') return family === 'tenant' || family === 'public' ? 422 : 400;
  if (code in REST_ONLY_STATUS) return REST_ONLY_STATUS[code as keyof typeof REST_ONLY_STATUS];
  return ERROR_STATUS[code as ErrorCode] ?? 500;
}

/** The documented body of an error in a family; null: the family sends none for that status. */
export function errorBody(error: RestError, ctx: ErrorContext): unknown {
  const status = statusOf(ctx.family, error.code);
  const serverSide = status >= 500;
  if (ctx.family === 'ofrep') return ofrepErrorBody(error, status, ctx);
  if (ctx.family === 'v1') {
    return {
      error: REASON[status] ?? 'Error',
      message: error.message,
      code: status,
      tenant_id: ctx.tenantId ?? null,
      ...(serverSide ? { request_id: ctx.requestId } : {}),
    };
  }
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details?.length ? { details: error.details } : {}),
      ...(serverSide ? { requestId: ctx.requestId } : {}),
    },
  };
}

/** OFREP's error codes of a 400: a body that is not a JSON object, an invalid context, or anything else. */
function ofrepErrorCode(error: RestError): 'PARSE_ERROR' | 'INVALID_CONTEXT' | 'GENERAL' {
  const paths = error.details?.map((d) => d.path) ?? [];
  if (paths.some((p) => p === 'context' || p.startsWith('context.'))) return 'INVALID_CONTEXT';
  if (paths.includes('')) return 'PARSE_ERROR';
  return 'GENERAL';
}

function ofrepErrorBody(error: RestError, status: number, ctx: ErrorContext): unknown {
  if (status === 401 || status === 403 || status === 429) return null;
  const key = ctx.flagKey !== undefined ? { key: ctx.flagKey } : {};
  if (status >= 500) return { errorDetails: `${error.message} (request id ${ctx.requestId})` };
  if (error.code === 'NOT_FOUND' && ctx.flagKey !== undefined)
    return { ...key, errorCode: 'FLAG_NOT_FOUND', errorDetails: error.message };
  return {
    ...key,
    errorCode: error.code === 'BAD_USER_INPUT' ? ofrepErrorCode(error) : 'GENERAL',
    errorDetails: error.message,
  };
}

/** The OpenAPI schema of a family's error body (one per family, referenced by every route). */
export function errorSchema(family: Family): Record<string, unknown> {
  if (family === 'ofrep') {
    return {
      type: 'object',
      required: ['errorCode'],
      properties: {
        key: { type: 'string', description: 'The flag key of the path (single evaluation).' },
        errorCode: { enum: ['PARSE_ERROR', 'INVALID_CONTEXT', 'GENERAL', 'FLAG_NOT_FOUND'] },
        errorDetails: { type: 'string' },
      },
      description: '400 and 404 (FLAG_NOT_FOUND); a 500 carries errorDetails only; 401, 403 and 429 have no body.',
    };
  }
  if (family === 'v1') {
    return {
      type: 'object',
      required: ['error', 'message', 'code', 'tenant_id'],
      properties: {
        error: { type: 'string', description: 'HTTP reason phrase, e.g. "Bad Request".' },
        message: { type: 'string' },
        code: { type: 'integer', description: 'The HTTP status.' },
        tenant_id: { type: ['string', 'null'] },
        request_id: { type: 'string', description: 'On 5xx only: quote it to support.' },
      },
    };
  }
  return {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', description: 'UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, BAD_USER_INPUT, …' },
          message: { type: 'string' },
          details: {
            type: 'array',
            items: {
              type: 'object',
              properties: { path: { type: 'string' }, message: { type: 'string' } },
              required: ['path', 'message'],
            },
          },
          requestId: { type: 'string', description: 'On 5xx only: quote it to support.' },
        },
      },
    },
  };
}

/** The error statuses each family documents (for OpenAPI). */
export function documentedStatuses(family: Family): number[] {
  switch (family) {
    case 'v1':
      return [400, 401, 403, 404, 409, 412, 429, 500];
    case 'admin':
      return [400, 401, 403, 404, 409, 412, 429, 500, 503];
    case 'public':
      return [404, 429, 500, 503];
    case 'ofrep':
      return [400, 401, 403, 404, 429, 500];
    default:
      return [401, 403, 404, 409, 412, 422, 429, 500, 503];
  }
}

/** False where a family's error answer has no body (OFREP's 401, 403, 429). */
export function hasErrorBody(family: Family, status: number): boolean {
  return family !== 'ofrep' || ![401, 403, 429].includes(status);
}

export function reasonPhrase(status: number): string {
  return REASON[status] ?? 'Error';
}

/** What the REST layer reads of a GraphQL error (a GraphQLError, or its JSON form). */
export interface GraphQLErrorLike {
  message: string;
  extensions?: Readonly<{ code?: unknown; details?: unknown; [key: string]: unknown }>;
}

const KNOWN_CODES = new Set<string>(Object.keys(ERROR_STATUS));

/**
 * The REST error for a GraphQL error, from its `extensions` alone: the code, and the field
 * `details` the error mapping (src/plugins/use-error-mapping.ts) gave every invalid input,
 * variable coercion included. Any other code is an unexpected error, told as such.
 */
export function restErrorOf(error: GraphQLErrorLike): RestError {
  const raw = error.extensions?.code;
  const code: ErrorCode =
    typeof raw === 'string' && KNOWN_CODES.has(raw) ? (raw as ErrorCode) : 'INTERNAL_SERVER_ERROR';
  if (code === 'INTERNAL_SERVER_ERROR') return { code, message: 'Unexpected error.' };
  if (code !== 'BAD_USER_INPUT') return { code, message: error.message };
  const details = Array.isArray(error.extensions?.details) ? (error.extensions.details as FieldIssue[]) : [];
  return { code, message: error.message, details };
}

/**
 * An invalid-input error GraphQL reports about a variable that a query parameter fed (e.g.
 * `tenantId` from `tenant_id`), told in the parameter's name: the client never sent `tenantId`.
 */
export function inParameterTerms(error: RestError, query: Record<string, QueryParamSpec> | undefined): RestError {
  if (error.code !== 'BAD_USER_INPUT') return error;
  let { message, details } = error;
  for (const [name, spec] of Object.entries(query ?? {})) {
    if (!spec.variable) continue;
    const word = new RegExp(`\\b${spec.variable}\\b`, 'g');
    if (!message.match(word) && !details?.some((d) => d.path === spec.variable)) continue;
    message = message.replace(word, `the ${name} query parameter`);
    message = message.charAt(0).toUpperCase() + message.slice(1);
    details = details?.map((d) => (d.path === spec.variable ? { ...d, path: name } : d));
  }
  return { ...error, message, ...(details ? { details } : {}) };
}
