import { GraphQLError } from 'graphql';

/** The closed set of outcomes a client can be told about, with their HTTP status. */
export const ERROR_STATUS = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  /** A request over one of the operation limits (src/limits/operation-limits.ts). */
  OPERATION_LIMIT_EXCEEDED: 400,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One field-level problem of an invalid input: dotted path and a message. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface DomainErrorOptions {
  details?: FieldIssue[];
  retryAfterSeconds?: number;
  /** Extra public extensions (e.g. the current version on a CONFLICT). */
  extra?: Record<string, unknown>;
  /** Extra response headers (e.g. `RateLimit` on a 429); Yoga sets them on the HTTP response. */
  headers?: Record<string, string>;
}

/**
 * An expected failure. It is a GraphQLError so that Yoga keeps it unmasked and uses
 * `extensions.http.status` as the response status; `extensions.code` is what clients read.
 */
export class DomainError extends GraphQLError {
  readonly code: ErrorCode;
  readonly details?: FieldIssue[];

  constructor(code: ErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, {
      extensions: {
        code,
        ...(options.details ? { details: options.details } : {}),
        ...(options.retryAfterSeconds !== undefined ? { retryAfter: options.retryAfterSeconds } : {}),
        ...options.extra,
        http: {
          status: ERROR_STATUS[code],
          headers: {
            ...options.headers,
            ...(options.retryAfterSeconds !== undefined ? { 'retry-after': String(options.retryAfterSeconds) } : {}),
          },
        },
      },
    });
    this.name = 'DomainError';
    this.code = code;
    this.details = options.details;
  }
}

export const unauthenticated = (message = 'A valid API key is required') => new DomainError('UNAUTHENTICATED', message);
export const forbidden = (message = 'Forbidden') => new DomainError('FORBIDDEN', message);
export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
export const badInput = (message: string, details?: FieldIssue[]) =>
  new DomainError('BAD_USER_INPUT', message, { details: details ?? [] });
export const conflict = (message: string, extra?: Record<string, unknown>) =>
  new DomainError('CONFLICT', message, { extra });

/** Connection-level database failures: the request may succeed later, so 503, not 500. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  if (!e) return false;
  // 57014: a statement cancelled by statement_timeout (slow, not broken: it may pass later).
  if (
    typeof e.code === 'string' &&
    (/^(08|57P0|53|57014)/.test(e.code) ||
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE'].includes(e.code))
  )
    return true;
  return /Connection terminated|connect ECONNREFUSED|PGlite is closed|driver has already been destroyed|timeout exceeded when trying to connect/i.test(
    e.message ?? '',
  );
}
