import { DomainError } from '../../errors/domain-error.js';
import { corsHeadersFor } from '../../http/ofrep-cors.js';
import type { HeaderReader } from '../../http/request-head.js';
import { allowedOriginsOf, openEvaluation } from '../../services/flag-evaluations.js';
import { notModified } from '../http-input.js';
import { defineRoute, type JsonSchema, type RouteRequest } from '../route.js';
import { graphql, type ResultOf } from '../typed-graphql.js';

/**
 * OpenFeature Remote Evaluation Protocol v0.3 (open-feature/protocol `service/openapi.yaml`), for
 * every OpenFeature SDK with an OFREP provider. What is served and how it is keyed:
 * src/catalog/evaluation-keys.ts; the values: src/services/flag-evaluations.ts. The tenant is
 * always the key's; the context never selects it and does not change values (per tenant, not per
 * user), so a missing `targetingKey`, or a missing `context`, is accepted. Errors: the `ofrep`
 * dialect (src/rest/dialects.ts).
 *
 * A nullable setting without a value (e.g. `admin.branding.logo_url` never set): the spec's own
 * answer is the `codeDefaultFlag` (a success without `value`: "the provider must use the code
 * default value"), which the bulk answer gives (the web provider reads it so). The server
 * provider (@openfeature/ofrep-provider 0.1.3) takes a success without `value` for a malformed
 * answer (GENERAL), so the single evaluation answers 404 FLAG_NOT_FOUND ("can be an expected
 * response") instead: every provider then hands the caller its own default, with that code.
 */

/** Where clients hear of changes (an SSE stream of `refetchEvaluation` events). */
const OFREP_EVENTS_PATH = '/ofrep/v1/events';

/** One evaluation, as both evaluation routes select it. */
const EVALUATION = graphql('fragment OfrepEvaluation on FlagEvaluation { key value reason metadata }');

/** An evaluation as OFREP writes it: without `value` when there is none (`codeDefaultFlag`: the client's default applies). */
function ofrepEvaluation(e: ResultOf<typeof EVALUATION>) {
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
        'boolean, integer, number, string, array or object. In the bulk answer, absent when the setting has no value (OFREP codeDefaultFlag: use the code default); the single evaluation answers such a key 404 FLAG_NOT_FOUND.',
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

const evaluateFlag = defineRoute({
  method: 'POST',
  path: '/ofrep/v1/evaluate/flags/:key',
  family: 'ofrep',
  summary: "Evaluates one feature flag or setting of the key's tenant.",
  auth: 'key',
  operation: graphql(
    `query OfrepEvaluateFlag($key: String!, $context: JSON) {
  flagEvaluations(context: $context) { allowedOrigins flag(key: $key) { ...OfrepEvaluation } }
}`,
    [EVALUATION],
  ),
  params: { key: { description: 'A feature flag key, or a setting as <document>.<path>.' } },
  body: contextBody,
  variables: ({ params, body }) => ({ key: params.key, context: body.context ?? null }),
  respond: ({ flagEvaluations: { allowedOrigins, flag } }, req) => {
    const shown = req.params.key.slice(0, 200);
    if (!flag) throw new DomainError('NOT_FOUND', `Flag '${shown}' was not found`);
    if (flag.value === null)
      throw new DomainError('NOT_FOUND', `Flag '${shown}' has no value for this tenant: use the code default`);
    return { body: ofrepEvaluation(flag), headers: corsHeadersFor(origin(req), allowedOrigins) };
  },
  headers: HEADERS,
  responseSchema: evaluationSchema,
});

/** `flagConfigEtag` (sent by clients re-fetching after an event) compares like If-None-Match, with or without quotes. */
function sameEtag(sent: string | number | undefined, etag: string): boolean {
  if (typeof sent !== 'string') return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return bare(sent) === bare(etag);
}

const evaluateFlags = defineRoute({
  method: 'POST',
  path: '/ofrep/v1/evaluate/flags',
  family: 'ofrep',
  summary:
    "Evaluates every feature flag and setting of the key's tenant (ETag; If-None-Match or flagConfigEtag → 304).",
  auth: 'key',
  operation: graphql(
    `query OfrepEvaluateFlags($context: JSON) {
  flagEvaluations(context: $context) { etag allowedOrigins flags { ...OfrepEvaluation } }
}`,
    [EVALUATION],
  ),
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

/** `Last-Event-ID` as the change stream's `after`: a cursor this stream handed out, else none (start live). */
function lastEventId(headers: HeaderReader): string | null {
  const id = headers.get('last-event-id')?.trim() ?? '';
  return /^\d{1,15}$/.test(id) ? id : null;
}

const ofrepEvents = defineRoute({
  method: 'GET',
  path: OFREP_EVENTS_PATH,
  family: 'ofrep',
  summary:
    "Server-Sent Events: refetchEvaluation (with the current ETag) after every committed change of the key's tenant; " +
    'event ids are change cursors (Last-Event-ID replays what was missed); heartbeats; ends when the key is revoked.',
  auth: 'key',
  operation: graphql(`subscription OfrepEvents($after: String) {
  tenantChanges(after: $after) { cursor evaluationEtag }
}`),
  variables: ({ headers }) => ({ after: lastEventId(headers) }),
  events: {
    event: ({ tenantChanges: { cursor, evaluationEtag } }) => ({
      id: cursor,
      data: { type: 'refetchEvaluation', ...(evaluationEtag ? { etag: evaluationEtag } : {}) },
    }),
    // The tenant's CORS origins, as on the evaluation paths; the platform admin has no tenant (403).
    open: async (ctx, req) => {
      const scope = await openEvaluation(ctx, null);
      const from = origin(req);
      return corsHeadersFor(from, from ? await allowedOriginsOf(ctx, scope) : []);
    },
  },
  headers: HEADERS,
  responseSchema: {
    type: 'object',
    required: ['type'],
    properties: {
      type: { const: 'refetchEvaluation' },
      etag: { type: 'string', description: 'The bulk ETag now: send it as flagConfigEtag (or If-None-Match).' },
    },
  },
});

export const ofrepRoutes = [evaluateFlag, evaluateFlags, ofrepEvents];
