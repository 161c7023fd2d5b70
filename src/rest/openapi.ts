import type { GraphQLSchema } from 'graphql';
import { documentedStatuses, errorSchema, hasErrorBody, reasonPhrase } from './dialects.js';
import { EXPORT_FORMATS } from './export-formats.js';
import { enumValues, inputFieldNames, inputTypeSchema, selectionSchema } from './graphql-json-schema.js';
import { type Family, type JsonSchema, operationName, type Route, SELECTION } from './route.js';

const FAMILY_TAGS: Record<Family, { name: string; description: string }> = {
  tenant: {
    name: 'tenant',
    description:
      'Developer portal paths (seeds 000, 002, 004): errors as { error: { code, message, details?, requestId? } }, 422 for invalid input.',
  },
  admin: {
    name: 'admin',
    description:
      'Settings management (seed 001): errors as { error: { code, message, details? } }, 400 for invalid input.',
  },
  v1: {
    name: 'v1',
    description: 'Tenant configuration API v1 (seed 003): errors as { error, message, code, tenant_id }.',
  },
  public: { name: 'public', description: 'Keyless share-link view.' },
  ofrep: {
    name: 'ofrep',
    description:
      "OpenFeature Remote Evaluation Protocol v0.3: every feature flag and setting of the key's tenant. Values are per tenant, not per user: " +
      'the context (targetingKey optional) never selects the tenant. Errors as { key, errorCode, errorDetails }; 401, 403, 429 without a body.',
  },
};

const KEY_SECURITY = [{ bearerKey: [] }, { headerKey: [] }, { queryKey: [] }];

/** The `{param}` form OpenAPI uses for `:param`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** Body schema of a route: from its GraphQL input type when it names one, else as declared. */
function bodySchema(route: Route, schema: GraphQLSchema): JsonSchema | undefined {
  const spec = route.body;
  if (!spec) return undefined;
  if (spec.graphqlInput) {
    const ref = typeof spec.graphqlInput === 'string' ? { type: spec.graphqlInput } : spec.graphqlInput;
    if ('fieldFromParam' in ref && ref.fieldFromParam) {
      const fields = inputFieldNames(schema, ref.type);
      return fields.length
        ? {
            oneOf: fields.map((f) => ({
              title: `${ref.fieldFromParam} = ${f}`,
              ...inputTypeSchema(schema, ref.type, f),
            })),
          }
        : { type: 'object' };
    }
    return inputTypeSchema(schema, ref.type, 'field' in ref ? ref.field : undefined) ?? { type: 'object' };
  }
  return spec.schema ?? { type: 'object' };
}

/** One Server-Sent Event of a streamed route (as OFREP's own spec describes its events): `data` is JSON. */
/**
 * A route's documented success body, with each `selected()` value's schema derived from the
 * route's operation and the live schema (what it writes beside the selection wins). A selection
 * the operation does not make stops the build: the docs cannot name a field the route never reads.
 */
export function responseSchemaOf(route: Route, schema: GraphQLSchema): JsonSchema {
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (!node || typeof node !== 'object') return node;
    const { [SELECTION]: path, ...written } = node as Record<string, unknown>;
    const resolved = Object.fromEntries(Object.entries(written).map(([key, value]) => [key, resolve(value)]));
    if (path === undefined) return resolved;
    const derived = selectionSchema(schema, route.operation, String(path));
    if (!derived) throw new Error(`REST route ${route.method} ${route.path}: its operation selects nothing at ${path}`);
    return { ...derived, ...resolved };
  };
  return resolve(route.responseSchema) as JsonSchema;
}

function eventSchema(data: JsonSchema): JsonSchema {
  return {
    type: 'object',
    description: 'One Server-Sent Event; comment lines (heartbeats) come between events.',
    required: ['data'],
    properties: {
      id: { type: 'string', description: 'Send it back as Last-Event-ID to resume after this event.' },
      data: { type: 'string', contentMediaType: 'application/json', contentSchema: data },
    },
  };
}

/**
 * An OpenAPI 3.1 document generated from the route table and the live GraphQL schema: every
 * route, its parameters, body, documented success body and its family's error bodies.
 */
export function buildOpenApi(routes: readonly Route[], schema: GraphQLSchema): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [
      ...Object.entries(route.params ?? {}).map(([name, spec]) => {
        const values = spec.graphqlEnum ? enumValues(schema, spec.graphqlEnum) : undefined;
        return {
          name,
          in: 'path',
          required: true,
          description: spec.description,
          schema: {
            type: 'string',
            ...(spec.format ? { format: spec.format } : {}),
            ...(values ? { enum: values } : {}),
          },
        };
      }),
      ...Object.entries(route.query ?? {}).map(([name, spec]) => ({
        name,
        in: 'query',
        required: false,
        description: spec.description,
        schema:
          spec.type === 'integer'
            ? { type: 'integer' }
            : {
                type: 'string',
                ...(spec.type === 'timestamp' ? { description: 'ISO-8601 or Unix seconds' } : {}),
                ...(spec.enum ? { enum: spec.enum } : {}),
              },
      })),
      ...(route.events
        ? [
            {
              name: 'Last-Event-ID',
              in: 'header',
              required: false,
              description:
                'The id of the last event received (a reconnecting EventSource sends it): the events after it come first.',
              schema: { type: 'string' },
            },
          ]
        : []),
      ...(route.concurrency === 'if-match'
        ? [
            {
              name: 'If-Match',
              in: 'header',
              required: false,
              description: 'The ETag of the last read; a stale one answers 412 and writes nothing.',
              schema: { type: 'string' },
            },
          ]
        : []),
    ];
    const body = bodySchema(route, schema);
    const success = String(route.status ?? 200);
    const errors = Object.fromEntries(
      documentedStatuses(route.family)
        .filter((s) => route.auth === 'key' || (s !== 401 && s !== 403))
        .map((s) => [
          String(s),
          {
            description: reasonPhrase(s),
            ...(hasErrorBody(route.family, s)
              ? { content: { 'application/json': { schema: { $ref: `#/components/schemas/Error_${route.family}` } } } }
              : {}),
          },
        ]),
    );
    const successBody = responseSchemaOf(route, schema);
    const content: Record<string, unknown> = route.events
      ? { 'text/event-stream': { schema: eventSchema(successBody) } }
      : { 'application/json': { schema: successBody } };
    if (route.html) content['text/html'] = { schema: { type: 'string' } };
    for (const name of route.pages?.formats ?? []) {
      const format = EXPORT_FORMATS[name];
      const mediaType = format.contentType.split(';')[0];
      const formatSchema = mediaType === 'application/json' ? successBody : { type: 'string' };
      content[mediaType] = { schema: { ...formatSchema, description: format.description } };
    }
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = {
      operationId: operationName(route),
      summary: route.summary,
      tags: [route.family],
      description: `Runs the GraphQL operation \`${operationName(route)}\`.`,
      ...(parameters.length ? { parameters } : {}),
      ...(body
        ? {
            requestBody: {
              required: route.body!.required,
              description: route.body!.description,
              content: { 'application/json': { schema: body } },
            },
          }
        : {}),
      responses: {
        [success]: {
          description: route.summary,
          content,
          ...(route.concurrency === 'etag' || route.concurrency === 'if-match'
            ? {
                headers: {
                  ETag: { description: 'The resource version; send it back as If-Match.', schema: { type: 'string' } },
                },
              }
            : {}),
          ...(route.pages
            ? {
                headers: {
                  'Content-Disposition': {
                    description: `attachment; filename="${route.pages.filename}.<format>": a file to save. The body is streamed page by page; an incomplete transfer means it failed part-way.`,
                    schema: { type: 'string' },
                  },
                },
              }
            : {}),
        },
        ...errors,
      },
      security: route.auth === 'public' ? [] : KEY_SECURITY,
    };
  }
  const families = [...new Set(routes.map((r) => r.family))];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tenant configuration gateway: legacy REST paths',
      version: '1.0.0',
      description:
        'Every path runs one GraphQL operation of /graphql through the same pipeline (auth, validation, limits, audit).',
      // The package is private (package.json has no license): say so rather than leave it unstated.
      license: { name: 'Proprietary: all rights reserved', identifier: 'LicenseRef-Proprietary' },
    },
    // Relative: the paths are on whichever gateway serves this document (GET /openapi.json).
    servers: [{ url: '/', description: 'The gateway serving this document' }],
    tags: families.map((f) => FAMILY_TAGS[f]),
    paths,
    components: {
      securitySchemes: {
        bearerKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
        headerKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        queryKey: { type: 'apiKey', in: 'query', name: 'api_key' },
      },
      schemas: Object.fromEntries(families.map((f) => [`Error_${f}`, errorSchema(f)])),
    },
  };
}
