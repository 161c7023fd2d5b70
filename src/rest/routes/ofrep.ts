import { notFound } from '../../errors/domain-error.js';
import { corsHeadersFor } from '../../http/ofrep-cors.js';
import { notModified } from '../http-input.js';
import { defineRoute, type JsonSchema, type RouteRequest } from '../route.js';

/**
 * OpenFeature Remote Evaluation Protocol v0.3 (open-feature/protocol `service/openapi.yaml`), for
 * every OpenFeature SDK with an OFREP provider. What is served and how it is keyed:
 * src/catalog/evaluation-keys.ts; the values: src/services/flag-evaluations.ts. The tenant is
 * always the key's; the context never selects it and does not change values (per tenant, not per
 * user), so a missing `targetingKey`, or a missing `context`, is accepted. Errors: the `ofrep`
 * dialect (src/rest/dialects.ts). The change-event stream: src/plugins/use-ofrep-events.ts.
 */

/** Where clients hear of changes (an SSE stream of `refetchEvaluation` events). */
export const OFREP_EVENTS_PATH = '/ofrep/v1/events';

interface EvaluationData {
  key: string;
  value: unknown;
  reason: string;
  metadata: Record<string, string | number | boolean>;
}

const EVALUATION_FIELDS = 'key value reason metadata';

/** An evaluation as OFREP writes it: without `value` when there is none (the client's code default applies). */
function ofrepEvaluation(e: EvaluationData) {
  return { key: e.key, ...(e.value !== null ? { value: e.value } : {}), reason: e.reason, metadata: e.metadata };
}

const contextBody = {
  required: true,
  description:
    '{"context": {...}}: the OpenFeature evaluation context. It is checked for shape only: values are per tenant.',
  schema: {
    type: 'object',
    properties: {
      context: { type: 'object', properties: { targetingKey: { type: 'string' } }, additionalProperties: true },
    },
  },
};

const evaluationSchema: JsonSchema = {
  type: 'object',
  required: ['key', 'reason', 'metadata'],
  properties: {
    key: {
      type: 'string',
      description:
        'A feature flag key (advanced_mfa) or a setting as <document>.<path> (config.performance.cache_size_mb).',
    },
    value: {
      description:
        'boolean, integer, number, string, array or object; absent when the setting has no value (use the code default).',
    },
    reason: { enum: ['STATIC', 'DISABLED'] },
    metadata: {
      type: 'object',
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: 'Features: tierRequired, available, category. Settings: source (stored, env, default), version.',
    },
  },
};

const HEADERS = { 'access-control-expose-headers': 'ETag' };

const origin = (req: RouteRequest) => req.headers.get('origin');

export const evaluateFlag = defineRoute<{ flagEvaluations: { allowedOrigins: string[]; flag: EvaluationData | null } }>(
  {
    method: 'POST',
    path: '/ofrep/v1/evaluate/flags/:key',
    family: 'ofrep',
    summary: "Evaluates one feature flag or setting of the key's tenant.",
    auth: 'key',
    operation: `query OfrepEvaluateFlag($key: String!, $context: JSON) {
  flagEvaluations(context: $context) { allowedOrigins flag(key: $key) { ${EVALUATION_FIELDS} } }
}`,
    params: { key: { description: 'A feature flag key, or a setting as <document>.<path>.' } },
    body: contextBody,
    variables: ({ params, body }) => ({ key: params.key, context: body.context ?? null }),
    respond: ({ flagEvaluations: { allowedOrigins, flag } }, req) => {
      if (!flag) throw notFound(`Flag '${req.params.key}'`);
      return { body: ofrepEvaluation(flag), headers: corsHeadersFor(origin(req), allowedOrigins) };
    },
    headers: HEADERS,
    responseSchema: evaluationSchema,
  },
);

/** `flagConfigEtag` (sent by clients re-fetching after an event) compares like If-None-Match, with or without quotes. */
function sameEtag(sent: string | number | undefined, etag: string): boolean {
  if (typeof sent !== 'string') return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return bare(sent) === bare(etag);
}

export const evaluateFlags = defineRoute<{
  flagEvaluations: { etag: string; allowedOrigins: string[]; flags: EvaluationData[] };
}>({
  method: 'POST',
  path: '/ofrep/v1/evaluate/flags',
  family: 'ofrep',
  summary:
    "Evaluates every feature flag and setting of the key's tenant (ETag; If-None-Match or flagConfigEtag → 304).",
  auth: 'key',
  operation: `query OfrepEvaluateFlags($context: JSON) {
  flagEvaluations(context: $context) { etag allowedOrigins flags { ${EVALUATION_FIELDS} } }
}`,
  query: {
    flagConfigEtag: {
      type: 'string',
      description: 'The etag of a refetchEvaluation event: answered like If-None-Match.',
    },
  },
  body: contextBody,
  variables: ({ body }) => ({ context: body.context ?? null }),
  respond: ({ flagEvaluations: { etag, allowedOrigins, flags } }, req) => {
    const headers = { etag, ...corsHeadersFor(origin(req), allowedOrigins) };
    if (notModified(req.headers, etag) || sameEtag(req.query.flagConfigEtag, etag))
      return { status: 304, body: null, headers };
    return {
      body: {
        flags: flags.map(ofrepEvaluation),
        eventStreams: [{ type: 'sse', endpoint: { requestUri: OFREP_EVENTS_PATH } }],
        metadata: { version: etag.replace(/"/g, '') },
      },
      headers,
    };
  },
  headers: HEADERS,
  responseSchema: {
    type: 'object',
    required: ['flags', 'eventStreams', 'metadata'],
    properties: {
      flags: { type: 'array', items: evaluationSchema },
      eventStreams: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            type: { const: 'sse' },
            endpoint: { type: 'object', properties: { requestUri: { const: OFREP_EVENTS_PATH } } },
          },
        },
      },
      metadata: {
        type: 'object',
        properties: { version: { type: 'string', description: 'The ETag without quotes.' } },
      },
    },
  },
});

export const ofrepRoutes = [evaluateFlag, evaluateFlags];
