/**
 * CORS on the OFREP paths (`/ofrep/*`), where browser SDKs (`@openfeature/ofrep-web-provider`)
 * call with a tenant key. The allowed origins are the key's tenant's `security.allowed_origins`;
 * any other origin is not allowed.
 *
 * A preflight (OPTIONS) carries no key, so its tenant is unknown: it is answered for any origin,
 * naming the methods and headers OFREP uses. That reveals nothing and runs nothing. The real
 * request then runs (a read without side effects) and its answer carries
 * `Access-Control-Allow-Origin` only when the Origin is one of the tenant's: for any other
 * origin the browser withholds the answer from the page. No credentials mode: the key travels in
 * a header, never in a cookie.
 */

const OFREP_PREFIX = '/ofrep/';

/** The preflight answer's policy (yoga's CORS options, see `corsPolicy`). */
const PREFLIGHT = {
  methods: ['GET', 'POST'],
  allowedHeaders: ['authorization', 'x-api-key', 'content-type', 'if-none-match', 'last-event-id'],
  maxAge: 600,
  credentials: false,
};

/**
 * Yoga's CORS policy on the OFREP paths, whose real answers set their own headers
 * (`corsHeadersFor`) and whose preflights get `PREFLIGHT`; undefined elsewhere (the gateway's
 * `CORS_ORIGINS` allow-list applies there).
 */
export function ofrepCorsPolicy(request: Request): Record<string, unknown> | false | undefined {
  if (!new URL(request.url).pathname.startsWith(OFREP_PREFIX)) return undefined;
  return request.method === 'OPTIONS' ? PREFLIGHT : false;
}

/** Response headers of an OFREP answer for a request from `origin`, given the tenant's allowed origins. */
export function corsHeadersFor(origin: string | null, allowedOrigins: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = { vary: 'Origin' };
  if (origin && allowedOrigins.includes(origin)) headers['access-control-allow-origin'] = origin;
  return headers;
}
