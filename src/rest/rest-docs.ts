import { type GraphQLSchema, getNamedType, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import { documentedStatuses, errorSchema, reasonPhrase } from './dialects.js';
import { EXPORT_FORMATS } from './export-formats.js';
import { buildOpenApi, openApiPath, responseSchemaOf } from './openapi.js';
import { type Family, type JsonSchema, operationName, type Route } from './route.js';

const FAMILY_TITLES: Record<Family, string> = {
  tenant: '`/tenant/*`: the developer portal (seeds 000, 002, 004)',
  admin: '`/api/admin/*`: settings management (seed 001)',
  v1: '`/api/v1/*`: tenant configuration API v1 (seed 003)',
  public: '`/share/*`: the keyless share-link view',
  ofrep: '`/ofrep/v1/*`: OpenFeature Remote Evaluation Protocol (OFREP v0.3)',
};

/** Scope names of src/schema/builder.ts, weakest first. */
const ROLE_ORDER = ['public', 'authenticated', 'viewer', 'operator', 'admin', 'platformAdmin'] as const;
const ROLE_TEXT: Record<(typeof ROLE_ORDER)[number], string> = {
  public: 'none (public)',
  authenticated: 'any valid key',
  viewer: 'viewer',
  operator: 'operator',
  admin: 'admin',
  platformAdmin: 'platform admin',
};

/**
 * The least role a route's key needs: the strongest scope-auth scope among the fields its
 * GraphQL operation selects (read from the schema's Pothos field options, so it cannot drift).
 * `tenantKey` (the platform admin has no tenant) stands beside the order: it only narrows who.
 */
export function routeRole(route: Route, schema: GraphQLSchema): string {
  if (route.auth === 'public') return ROLE_TEXT.public;
  let strongest = ROLE_ORDER.indexOf('authenticated');
  let tenantKeyOnly = false;
  const typeInfo = new TypeInfo(schema);
  visit(
    route.operation,
    visitWithTypeInfo(typeInfo, {
      Field() {
        const scopes = (typeInfo.getFieldDef()?.extensions as { pothosOptions?: { authScopes?: unknown } } | undefined)
          ?.pothosOptions?.authScopes;
        if (!scopes || typeof scopes !== 'object') return;
        if (Object.keys(scopes).join() === 'tenantKey') tenantKeyOnly = true;
        // Scopes of one field are alternatives (any one suffices): the weakest of them counts.
        const ranks = Object.keys(scopes)
          .map((s) => ROLE_ORDER.indexOf(s as (typeof ROLE_ORDER)[number]))
          .filter((r) => r >= 0);
        if (ranks.length) strongest = Math.max(strongest, Math.min(...ranks));
      },
    }),
  );
  const role = ROLE_ORDER[strongest];
  if (tenantKeyOnly)
    return role === 'authenticated' || role === 'viewer'
      ? 'a tenant key, any role (not the platform admin)'
      : `${ROLE_TEXT[role]}${role === 'admin' ? '' : ' or above'} (a tenant key, not the platform admin)`;
  if (role === 'admin') return 'admin (or the platform admin)';
  return role === 'viewer' || role === 'operator'
    ? `${ROLE_TEXT[role]} or above (or the platform admin)`
    : ROLE_TEXT[role];
}

/** A JSON Schema as a short type expression: `{ status: "success", tenantId: string, … }`. */
export function shapeOf(schema: JsonSchema | undefined, depth = 0): string {
  if (!schema || Object.keys(schema).length === 0) return 'any';
  if (depth > 6) return '{…}';
  // biome-ignore lint/suspicious/noExplicitAny: a JSON Schema node, read loosely for display only
  const s = schema as Record<string, any>;
  if (s.$ref) return String(s.$ref).split('/').pop()!;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v: unknown) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(s.oneOf ?? s.anyOf))
    return (s.oneOf ?? s.anyOf).map((x: JsonSchema) => shapeOf(x, depth)).join(' | ');
  const type = Array.isArray(s.type) ? s.type : [s.type];
  if (type.includes('array')) return `${shapeOf(s.items, depth + 1)}[]`;
  if (type.includes('object') || s.properties) {
    const required = new Set<string>(s.required ?? []);
    const fields = Object.entries((s.properties ?? {}) as Record<string, JsonSchema>).map(
      ([name, value]) => `${name}${required.has(name) ? '' : '?'}: ${shapeOf(value, depth + 1)}`,
    );
    if (s.additionalProperties && typeof s.additionalProperties === 'object')
      fields.push(`[key]: ${shapeOf(s.additionalProperties, depth + 1)}`);
    return fields.length ? `{ ${fields.join(', ')} }` : 'object';
  }
  return type.filter(Boolean).join(' | ') || 'any';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * docs/rest.md: the REST contract, generated from the route table (src/rest/routes/) and the
 * OpenAPI document built from it. `npm run docs` writes it; a test fails when it is stale.
 */
export function restDocsMarkdown(routes: readonly Route[], schema: GraphQLSchema): string {
  // biome-ignore lint/suspicious/noExplicitAny: the generated OpenAPI document, read loosely for display only
  const openApi = buildOpenApi(routes, schema) as { paths: Record<string, Record<string, any>> };
  const out: string[] = [
    '# REST paths',
    '',
    '<!-- Generated by `npm run docs` from src/rest/routes/ (src/rest/rest-docs.ts). Do not edit: a test fails when stale. -->',
    '',
    'Each path runs one named GraphQL operation of `/graphql` through the same pipeline as a GraphQL',
    'client (key, role, validation, rate limits, audit, error masking). The key goes in',
    '`Authorization: Bearer <key>`, `x-api-key: <key>` or `?api_key=<key>`. The machine-readable',
    'form is `GET /openapi.json` (OpenAPI 3.1).',
    '',
    '| method | path | role | GraphQL operation |',
    '|---|---|---|---|',
    ...routes.map((r) => `| ${r.method} | \`${r.path}\` | ${routeRole(r, schema)} | \`${operationName(r)}\` |`),
    '',
  ];
  for (const family of [...new Set(routes.map((r) => r.family))]) {
    out.push(`## ${FAMILY_TITLES[family]}`, '');
    out.push(
      `Errors on these paths: \`${shapeOf(errorSchema(family))}\`, with status ${documentedStatuses(family)
        .map((s) => `${s} (${reasonPhrase(s)})`)
        .join(', ')}.`,
      '',
    );
    for (const route of routes.filter((r) => r.family === family)) {
      const op = openApi.paths[openApiPath(route.path)][route.method.toLowerCase()];
      out.push(`### ${route.method} \`${route.path}\``, '', route.summary, '');
      out.push(`- Role: ${routeRole(route, schema)}`);
      out.push(`- GraphQL operation: \`${operationName(route)}\``);
      const params = (op.parameters ?? []) as {
        name: string;
        in: string;
        description: string;
        schema: JsonSchema;
        required: boolean;
      }[];
      if (params.length) {
        out.push('- Parameters:');
        for (const p of params)
          out.push(
            `  - \`${p.name}\` (${p.in}${p.required ? ', required' : ''}, ${cell(shapeOf(p.schema))}): ${cell(p.description)}`,
          );
      }
      if (op.requestBody) {
        const body = op.requestBody.content['application/json'].schema as JsonSchema;
        out.push(
          `- Request body (${op.requestBody.required ? 'required' : 'optional'}): ${op.requestBody.description}`,
          '',
          '  ```',
          `  ${shapeOf(body)}`,
          '  ```',
          '',
        );
      }
      const success = String(route.status ?? 200);
      const kind = route.events
        ? " (Server-Sent Events, `text/event-stream`; each event's `data`, resumed after `Last-Event-ID`)"
        : route.html
          ? ' (JSON; HTML for a browser)'
          : '';
      out.push(
        `- Response ${success}${kind}${route.concurrency ? `, with an \`ETag\`${route.concurrency === 'if-match' ? '; send `If-Match` to write only over that version (412 otherwise)' : ''}` : ''}:`,
        '',
        '  ```',
        `  ${shapeOf(responseSchemaOf(route, schema))}`,
        '  ```',
        '',
      );
      if (route.pages) {
        out.push(
          `  Streamed page by page as a file (\`Content-Disposition: attachment; filename="${route.pages.filename}.<format>"\`); an incomplete transfer means it failed part-way. Formats:`,
        );
        for (const name of route.pages.formats)
          out.push(`  - \`${name}\` (\`${EXPORT_FORMATS[name].contentType}\`): ${EXPORT_FORMATS[name].description}`);
        out.push('');
      }
      const errors = Object.keys(op.responses).filter((s) => s !== success);
      out.push(`- Errors: ${errors.join(', ')}`, '');
    }
  }
  return (
    out
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}
