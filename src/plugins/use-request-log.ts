import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import { pathOf } from '../http/request-head.js';
import { requestInfo } from '../http/request-info.js';

function principalFields(p: Principal | undefined) {
  if (!p) return { principal: null };
  if (p.kind === 'tenant') return { principal: { tenantId: p.tenantId, keyId: p.keyId, role: p.role } };
  if (p.kind === 'platform') return { principal: { platformAdmin: true } };
  if (p.kind === 'system') return { principal: { system: p.task } };
  return { principal: { anonymous: p.reason } };
}

/** Child loggers kept at most, one per API key seen. */
const MAX_KEY_LOGGERS = 10_000;

/**
 * One JSON line per request: id, method, path (never the query string, which may carry
 * `api_key`; a share token in the path is redacted by the REST layer, see `logPath`), GraphQL operation, principal (ids and role, never the key), status, duration.
 * Also puts the id on the response as `x-request-id`.
 */
export function useRequestLog(logger: Logger): Plugin {
  // The principal's fields are bound to a child logger, serialized once per key rather than on
  // every line. A key's tenant and role never change (keys are created and revoked, not edited).
  const tenantLoggers = new Map<string, Logger>();
  const otherLoggers = new Map<string, Logger>();
  const loggerOf = (principal: Principal | undefined): Logger => {
    if (principal?.kind === 'tenant') {
      let child = tenantLoggers.get(principal.keyId);
      if (!child) {
        // Bounded: a process seeing more keys than this starts over (a child is made again on use).
        if (tenantLoggers.size >= MAX_KEY_LOGGERS) tenantLoggers.clear();
        tenantLoggers.set(principal.keyId, (child = logger.child(principalFields(principal))));
      }
      return child;
    }
    // The platform admin, a system task, an anonymous reason, none: a closed set of fields.
    const fields = principalFields(principal);
    const key = JSON.stringify(fields);
    let child = otherLoggers.get(key);
    if (!child) otherLoggers.set(key, (child = logger.child(fields)));
    return child;
  };
  return {
    onRequest({ request }) {
      requestInfo(request);
    },
    onParams({ request, params }) {
      const info = requestInfo(request);
      info.operationName = params.operationName ?? undefined;
    },
    onResponse({ request, response }) {
      const info = requestInfo(request);
      response.headers.set('x-request-id', info.id);
      loggerOf(info.principal).info({
        requestId: info.id,
        clientRequestId: info.clientId,
        method: request.method,
        path: info.logPath ?? pathOf(request.url),
        operation: info.operationName ?? null,
        status: response.status,
        durationMs: Number((process.hrtime.bigint() - info.startedAt) / 1000n) / 1000,
      });
    },
  };
}
