import { describe, expect, it } from 'vitest';
import { errorBody, restErrorOf, statusOf } from '../src/rest/dialects.js';
import type { Family } from '../src/rest/route.js';

/**
 * The dialect table itself, for every code of every family. The end-to-end tests provoke each
 * code for real where the server can produce it; this pins the whole matrix, including codes a
 * family can only meet in rare conditions (a CONFLICT on /api/v1 without If-Match).
 */
const MATRIX: Record<Family, Record<string, number>> = {
  tenant: {
    UNAUTHENTICATED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    BAD_USER_INPUT: 422,
    CONFLICT: 409,
    PRECONDITION_FAILED: 412,
    RATE_LIMITED: 429,
    INTERNAL_SERVER_ERROR: 500,
    SERVICE_UNAVAILABLE: 503,
    METHOD_NOT_ALLOWED: 405,
    UNSUPPORTED_MEDIA_TYPE: 415,
  },
  public: {
    NOT_FOUND: 404,
    BAD_USER_INPUT: 422,
    RATE_LIMITED: 429,
    INTERNAL_SERVER_ERROR: 500,
    SERVICE_UNAVAILABLE: 503,
  },
  admin: {
    UNAUTHENTICATED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    BAD_USER_INPUT: 400,
    CONFLICT: 409,
    PRECONDITION_FAILED: 412,
    RATE_LIMITED: 429,
    INTERNAL_SERVER_ERROR: 500,
    SERVICE_UNAVAILABLE: 503,
  },
  v1: {
    UNAUTHENTICATED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    BAD_USER_INPUT: 400,
    CONFLICT: 409,
    PRECONDITION_FAILED: 412,
    RATE_LIMITED: 429,
    INTERNAL_SERVER_ERROR: 500,
    SERVICE_UNAVAILABLE: 503,
  },
  ofrep: {
    UNAUTHENTICATED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    BAD_USER_INPUT: 400,
    RATE_LIMITED: 429,
    INTERNAL_SERVER_ERROR: 500,
    METHOD_NOT_ALLOWED: 405,
    UNSUPPORTED_MEDIA_TYPE: 415,
  },
};

describe('error dialects', () => {
  for (const [family, codes] of Object.entries(MATRIX) as [Family, Record<string, number>][]) {
    it(`${family}: each code has its documented status`, () => {
      for (const [code, status] of Object.entries(codes)) expect(statusOf(family, code as never), code).toBe(status);
    });
  }

  it('v1: { error, message, code, tenant_id } for a 409 and a 429', () => {
    expect(
      errorBody(
        { code: 'CONFLICT', message: 'Configuration violates constraints' },
        { family: 'v1', requestId: 'r1', tenantId: 't1' },
      ),
    ).toEqual({
      error: 'Conflict',
      message: 'Configuration violates constraints',
      code: 409,
      tenant_id: 't1',
    });
    expect(
      errorBody(
        { code: 'RATE_LIMITED', message: 'Too many requests' },
        { family: 'v1', requestId: 'r1', tenantId: 't1' },
      ),
    ).toEqual({ error: 'Too Many Requests', message: 'Too many requests', code: 429, tenant_id: 't1' });
  });

  it('tenant: details on invalid input, requestId only on 5xx', () => {
    expect(
      errorBody(
        { code: 'BAD_USER_INPUT', message: 'bad', details: [{ path: 'a', message: 'b' }] },
        { family: 'tenant', requestId: 'r2' },
      ),
    ).toEqual({
      error: { code: 'BAD_USER_INPUT', message: 'bad', details: [{ path: 'a', message: 'b' }] },
    });
    expect(errorBody({ code: 'RATE_LIMITED', message: 'slow down' }, { family: 'tenant', requestId: 'r2' })).toEqual({
      error: { code: 'RATE_LIMITED', message: 'slow down' },
    });
    expect(errorBody({ code: 'SERVICE_UNAVAILABLE', message: 'later' }, { family: 'tenant', requestId: 'r2' })).toEqual(
      { error: { code: 'SERVICE_UNAVAILABLE', message: 'later', requestId: 'r2' } },
    );
  });

  it('ofrep: { key, errorCode, errorDetails } on 400 and 404, no body on 401/403/429, errorDetails only on 500', () => {
    const ctx = { family: 'ofrep' as const, requestId: 'r3', flagKey: 'advanced_mfa' };
    expect(
      errorBody(
        { code: 'BAD_USER_INPUT', message: 'The body is not valid JSON', details: [{ path: '', message: 'x' }] },
        ctx,
      ),
    ).toEqual({ key: 'advanced_mfa', errorCode: 'PARSE_ERROR', errorDetails: 'The body is not valid JSON' });
    expect(
      errorBody(
        {
          code: 'BAD_USER_INPUT',
          message: 'context must be a JSON object',
          details: [{ path: 'context', message: 'x' }],
        },
        ctx,
      ),
    ).toEqual({ key: 'advanced_mfa', errorCode: 'INVALID_CONTEXT', errorDetails: 'context must be a JSON object' });
    expect(errorBody({ code: 'BAD_USER_INPUT', message: 'other' }, ctx)).toEqual({
      key: 'advanced_mfa',
      errorCode: 'GENERAL',
      errorDetails: 'other',
    });
    // The route says why (no such key, or no value): the message is the details.
    expect(errorBody({ code: 'NOT_FOUND', message: "Flag 'advanced_mfa' was not found" }, ctx)).toEqual({
      key: 'advanced_mfa',
      errorCode: 'FLAG_NOT_FOUND',
      errorDetails: "Flag 'advanced_mfa' was not found",
    });
    for (const code of ['UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED'] as const)
      expect(errorBody({ code, message: 'm' }, ctx)).toBeNull();
    expect(errorBody({ code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' }, ctx)).toEqual({
      errorDetails: 'Unexpected error. (request id r3)',
    });
    // The bulk path names no key: a bulk failure is { errorCode, errorDetails }.
    expect(
      errorBody(
        { code: 'BAD_USER_INPUT', message: 'bad', details: [{ path: 'context', message: 'x' }] },
        { family: 'ofrep', requestId: 'r4' },
      ),
    ).toEqual({ errorCode: 'INVALID_CONTEXT', errorDetails: 'bad' });
  });

  it('an error without a known code is masked as a 500', () => {
    expect(
      restErrorOf({
        message: 'Cannot query field "x" on type "Query".',
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ).toEqual({ code: 'INTERNAL_SERVER_ERROR', message: 'Unexpected error.' });
    expect(restErrorOf({ message: 'select * from secret_table failed' })).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Unexpected error.',
    });
  });

  it("details come from the error's extensions, never from its message text", () => {
    expect(
      restErrorOf({ message: 'bad', extensions: { code: 'BAD_USER_INPUT', details: [{ path: 'p', message: 'm' }] } })
        .details,
    ).toEqual([{ path: 'p', message: 'm' }]);
    expect(
      restErrorOf({
        message:
          'Variable "$input" got invalid value at "input.performance"; Field "foo" is not defined by type "PerformancePatch".',
        extensions: { code: 'BAD_USER_INPUT' },
      }).details,
    ).toEqual([]);
  });
});
