import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import { requestInfo } from '../http/request-info.js';

function principalFields(p: Principal | undefined) {
  if (!p) return { principal: null };
  if (p.kind === 'tenant') return { principal: { tenantId: p.tenantId, keyId: p.keyId, role: p.role } };
  if (p.kind === 'platform') return { principal: { platformAdmin: true } };
  if (p.kind === 'system') return { principal: { system: p.task } };
  return { principal: { anonymous: p.reason } };
}

/** The path of an absolute URL, without parsing all of it (this runs on every request). */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}

/**
 * One JSON line per request: id, method, path (never the query string, which may carry
 * `api_key`; a share token in the path is redacted by the REST layer, see `logPath`), GraphQL operation, principal (ids and role, never the key), status, duration.
 * Also puts the id on the response as `x-request-id`.
 */
export function useRequestLog(logger: Logger): Plugin {
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
      logger.info({
        requestId: info.id,
        ...(info.clientId ? { clientRequestId: info.clientId } : {}),
        method: request.method,
        path: info.logPath ?? pathOf(request.url),
        operation: info.operationName ?? null,
        ...principalFields(info.principal),
        status: response.status,
        durationMs: Number((process.hrtime.bigint() - info.startedAt) / 1000n) / 1000,
      });
    },
  };
}
