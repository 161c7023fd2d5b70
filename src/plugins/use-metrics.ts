import '../metrics/read-cache.js';
import { type DocumentNode, Kind, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { secretsEqual } from '../auth/secrets.js';
import type { Db } from '../db/connect.js';
import { apiKeyFromRequest } from '../http/api-key-from-request.js';
import { pathOf } from '../http/request-head.js';
import { requestInfo } from '../http/request-info.js';
import { counter, metricsRegistry } from '../metrics/registry.js';
import { countRequest } from '../metrics/request-metrics.js';
import { principalOfApiKey } from '../services/api-key-lookup.js';

export interface MetricsOptions {
  db: Db;
  /** The platform admin's key: it may read /metrics. */
  platformAdminKey?: string;
  /** `METRICS_TOKEN`: a bearer token that may read /metrics and nothing else. */
  metricsToken?: string;
  now: () => Date;
}

/** Paths that are not REST routes but are their own label (anything else unmatched is `unmatched`). */
const FIXED_PATHS = new Set(['/graphql', '/health', '/ready', '/metrics', '/openapi.json']);

const rateLimitRefusals = counter({
  name: 'gateway_rate_limit_refusals_total',
  help: 'Requests refused with 429 RATE_LIMITED, by the policy that refused them (src/rate-limit/policies.ts)',
  labelNames: ['policy'],
});

/** Most root fields shown in an operation label; more become `+N`. */
const MAX_FIELDS_IN_LABEL = 4;

/**
 * What the `operation` label says of a GraphQL execution: its type and root fields
 * (`query:me`, `mutation:updateTenantConfig`), taken from the validated document, so the set of
 * values is bounded by the schema. The client's operation *name* is never used: it is free text
 * and could carry anything (an id, a key) into a label.
 */
function operationLabel(ast: DocumentNode, operationName?: string | null): string {
  let byName = labels.get(ast);
  if (!byName) labels.set(ast, (byName = new Map()));
  let label = byName.get(operationName ?? '');
  if (label !== undefined) return label;
  label = labelOf(ast, operationName);
  // Only names the document holds are kept (a client's other names would grow the map).
  if (label) byName.set(operationName ?? '', label);
  return label;
}

/** Labels by document (yoga's parse cache and the REST layer hand out the same document again). */
const labels = new WeakMap<DocumentNode, Map<string, string>>();

function labelOf(ast: DocumentNode, operationName?: string | null): string {
  const operations = ast.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  if (!operation) return '';
  const fields = [
    ...new Set(operation.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '…'))),
  ].sort();
  const shown = fields.slice(0, MAX_FIELDS_IN_LABEL).join(',');
  return `${operation.operation}:${shown}${fields.length > MAX_FIELDS_IN_LABEL ? `+${fields.length - MAX_FIELDS_IN_LABEL}` : ''}`;
}

/**
 * Prometheus metrics: counts and times every request (route + operation + status), counts
 * rate-limit refusals by policy, and serves the registry (src/metrics/registry.ts: these, the
 * store's pool, the process, and whatever other modules declare) at `GET /metrics`, to the
 * platform admin key or `METRICS_TOKEN` only (401 without a key, 403 for a tenant key).
 *
 * The route label is what the REST layer notes on the request (`requestInfo(request).route`, a
 * pattern such as `GET /api/v1/tenants/:id/config`), never the raw path, which holds ids and
 * share tokens. Place this plugin before the rate-limit plugin: a refusal stops execution, and
 * only the hooks already entered see its result.
 */
export function useMetrics({ db, platformAdminKey, metricsToken, now }: MetricsOptions): Plugin {
  async function authorize(request: Request): Promise<401 | 403 | 200> {
    const key = apiKeyFromRequest(request);
    if (!key) return 401;
    if ((platformAdminKey && secretsEqual(key, platformAdminKey)) || (metricsToken && secretsEqual(key, metricsToken)))
      return 200;
    const principal = await principalOfApiKey(db, undefined, key, undefined, now());
    return principal.kind === 'tenant' ? 403 : 401;
  }

  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      requestInfo(request);
      if (url.pathname !== '/metrics') return;
      const json = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ error: { code, message } }), {
            status,
            headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
          }),
        );
      if (request.method !== 'GET')
        return json(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here`, { allow: 'GET' });
      const allowed = await authorize(request);
      if (allowed === 401)
        return json(
          401,
          'UNAUTHENTICATED',
          'GET /metrics needs the platform admin key or METRICS_TOKEN as a Bearer token',
          { 'www-authenticate': 'Bearer' },
        );
      if (allowed === 403)
        return json(403, 'FORBIDDEN', 'GET /metrics is for the platform operator, not for tenant keys');
      endResponse(
        new fetchAPI.Response(await metricsRegistry.metrics(), {
          status: 200,
          headers: { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' },
        }),
      );
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request } | undefined)?.request;
      if (request) {
        // REST routes run in process on the client's own request, so this labels it too.
        requestInfo(request).operationLabel = operationLabel(args.document, args.operationName);
      }
      return {
        onExecuteDone({ result }) {
          if (!('errors' in result) || !result.errors) return;
          for (const error of result.errors) {
            const policy = error.extensions?.policy;
            if (error.extensions?.code === 'RATE_LIMITED' && typeof policy === 'string')
              rateLimitRefusals.inc({ policy });
          }
        },
      };
    },
    onResponse({ request, response }) {
      const info = requestInfo(request);
      const pathname = info.route ? '' : pathOf(request.url);
      countRequest(
        request.method,
        info.route ?? (FIXED_PATHS.has(pathname) ? pathname : 'unmatched'),
        info.operationLabel ?? '',
        response.status,
        Number(process.hrtime.bigint() - info.startedAt) / 1e9,
      );
    },
  };
}
