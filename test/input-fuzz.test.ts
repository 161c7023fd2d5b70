import {
  type GraphQLField,
  type GraphQLInputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApi } from '../src/rest/openapi.js';
import { routes } from '../src/rest/routes/index.js';
import { schema } from '../src/schema/index.js';
import { gql } from './helpers/graphql.js';
import { seedScan } from './helpers/scans.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

/**
 * Text and times Postgres refuses, sent into every string field of the schema and every query
 * parameter, path parameter and body field of the route table (both derived, not listed here):
 * nothing may come back as a 5xx.
 */
let world: World;
let tenant: TestTenant;
let scanId: string;

beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys();
  scanId = (await seedScan(world, tenant)).id;
}, 120_000);
afterAll(() => world.close());

/** Stands for a number JSON cannot write (1e309 parses as Infinity); put into the raw body text. */
const INFINITY = '__1e309__';
const BAD_TEXT = ['a\u0000b', 'a\ud800b', '\udc00'];
const BAD_TIMES = ['+010000-01-01T00:00:00.000Z', '0000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z'];
const BAD_JSON = [{ 'k\u0000': 1 }, { k: '\ud800' }, ['\u0000'], INFINITY];

type Leaf = { path: (string | number)[]; kind: string };

/** Every leaf under an input type: its path and scalar kind (String, ID, JSON, DateTime, Int, Float). */
function leavesOf(type: GraphQLInputType, path: (string | number)[], depth = 0): Leaf[] {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return leavesOf(inner.ofType, [...path, 0], depth);
  if (isInputObjectType(inner)) {
    if (depth > 5) return [];
    return Object.values(inner.getFields()).flatMap((f) => leavesOf(f.type, [...path, f.name], depth + 1));
  }
  if (isScalarType(inner)) return [{ path, kind: inner.name }];
  return [];
}

/** A plausible value for a type: required input fields filled, ids naming the test tenant. */
function sample(type: GraphQLInputType, name: string): unknown {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) return [sample(inner.ofType, name)];
  if (isInputObjectType(inner)) {
    return Object.fromEntries(
      Object.values(inner.getFields())
        .filter((f) => isNonNullType(f.type))
        .map((f) => [f.name, sample(f.type, f.name)]),
    );
  }
  if (isEnumType(inner)) return inner.getValues()[0].value;
  switch (inner.name) {
    case 'ID':
      return /scan/i.test(name) ? scanId : tenant.id;
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return '2026-01-01T00:00:00Z';
    case 'JSON':
      return {};
    default:
      return 'x';
  }
}

function attacksFor(kind: string): unknown[] {
  if (kind === 'String' || kind === 'ID') return BAD_TEXT;
  if (kind === 'DateTime') return [...BAD_TIMES, ...BAD_TEXT];
  if (kind === 'JSON') return [...BAD_JSON, ...BAD_TEXT];
  if (kind === 'Int' || kind === 'Float') return [INFINITY];
  return [];
}

function setAt(target: any, path: (string | number)[], value: unknown): any {
  const root = structuredClone(target ?? {});
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    if (node[key] === undefined || node[key] === null) node[key] = typeof path[i + 1] === 'number' ? [] : {};
    node = node[key];
  }
  node[path[path.length - 1]] = value;
  return root;
}

const rawJson = (value: unknown) => JSON.stringify(value).split(`"${INFINITY}"`).join('1e309');

function expectNo5xx(status: number, body: string, what: string) {
  expect(status, `${what}: ${body.slice(0, 300)}`).toBeLessThan(500);
  expect(body, what).not.toContain('INTERNAL_SERVER_ERROR');
}

describe('no 5xx from text and times Postgres refuses', () => {
  it('GraphQL: every argument leaf of every query and mutation field', async () => {
    const fields: [string, GraphQLField<unknown, unknown>][] = [
      ...Object.values(schema.getQueryType()!.getFields()).map(
        (f) => ['query', f] as [string, GraphQLField<unknown, unknown>],
      ),
      ...Object.values(schema.getMutationType()!.getFields()).map(
        (f) => ['mutation', f] as [string, GraphQLField<unknown, unknown>],
      ),
    ];
    let sent = 0;
    for (const [kind, field] of fields) {
      const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
      const decl = field.args.map((a) => `$${a.name}: ${a.type}`).join(', ');
      const call = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
      const query = gql`${kind}${decl ? `(${decl})` : ''} { ${field.name}${call ? `(${call})` : ''}${selection} }`;
      const base = Object.fromEntries(
        field.args
          .filter((a) => isNonNullType(a.type) || a.name === 'tenantId')
          .map((a) => [a.name, sample(a.type, a.name)]),
      );
      for (const arg of field.args) {
        for (const leaf of leavesOf(arg.type, [arg.name])) {
          for (const attack of attacksFor(leaf.kind)) {
            const variables = setAt(base, leaf.path, attack);
            const res = await world.request('/graphql', {
              method: 'POST',
              key: PLATFORM_KEY,
              headers: { 'content-type': 'application/json' },
              body: `{"query":${JSON.stringify(query)},"variables":${rawJson(variables)}}`,
            });
            expectNo5xx(res.status, await res.text(), `${field.name} ${leaf.path.join('.')} ${JSON.stringify(attack)}`);
            sent++;
          }
        }
      }
    }
    expect(sent).toBeGreaterThan(100);
  }, 600_000);

  it('GraphQL: the same text as literals in the document', async () => {
    for (const text of ['\\u0000', '\\ud800', '\\udc00x']) {
      for (const query of [
        gql`{ sharedScan(token: "a${text}") }`,
        gql`mutation { createScan(tenantId: "${tenant.id}", input: { target: "https://x${text}", report: { k: "${text}" } }) { scan { id } } }`,
        gql`mutation { createScan(tenantId: "${tenant.id}", input: { target: "https://x", report: { k: 1e309 } }) { scan { id } } }`,
      ]) {
        const res = await world.request('/graphql', {
          method: 'POST',
          key: PLATFORM_KEY,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        });
        const body = await res.text();
        expectNo5xx(res.status, body, query);
        // Refused by us (BAD_USER_INPUT) or by graphql-js' lexer, which refuses a lone surrogate escape.
        expect(JSON.parse(body).errors[0].extensions.code, query).toMatch(/^(BAD_USER_INPUT|GRAPHQL_PARSE_FAILED)$/);
      }
    }
  });

  it('REST: every path parameter, query parameter and body field of the route table', async () => {
    const openApi = buildOpenApi(routes, schema) as any;
    let sent = 0;
    const badSegments = ['a%00b', '%ED%A0%80', '%C0%80'];
    const badQuery: Record<string, string[]> = {
      string: ['a%00b', '%ED%A0%80', 'x%F0'],
      integer: ['1e309', '99999999999999999999', '-1'],
      timestamp: ['253402300800', '-62167219201', '1e309', '%00', '+275760-09-13T00:00:00.000Z'],
    };
    for (const route of routes) {
      const sampleParam = (name: string) => {
        const spec = route.params?.[name];
        if (spec?.format === 'uuid') return /scan/i.test(name) ? scanId : tenant.id;
        if (spec?.graphqlEnum) return (schema.getType(spec.graphqlEnum) as any).getValues()[0].name;
        return 'x';
      };
      const pathWith = (override?: [string, string]) =>
        route.path.replace(/:([A-Za-z_]+)/g, (_, name) =>
          override && override[0] === name ? override[1] : encodeURIComponent(sampleParam(name)),
        );
      const tenantQuery = route.query?.tenant_id ? `tenant_id=${tenant.id}` : '';
      const send = async (path: string, body?: string) => {
        const sep = path.includes('?') ? '&' : '?';
        const res = await world.request(tenantQuery ? `${path}${sep}${tenantQuery}` : path, {
          method: route.method,
          key: PLATFORM_KEY,
          headers: body ? { 'content-type': 'application/json' } : {},
          body,
        });
        expectNo5xx(res.status, await res.text(), `${route.method} ${path} ${body ?? ''}`);
        sent++;
      };
      const okBody = route.body?.required ? '{}' : undefined;
      for (const name of Object.keys(route.params ?? {}))
        for (const bad of badSegments) await send(pathWith([name, bad]), okBody);
      for (const [name, spec] of Object.entries(route.query ?? {})) {
        if (name === 'tenant_id') continue;
        for (const bad of badQuery[spec.type]) await send(`${pathWith()}?${name}=${bad}`, okBody);
      }
      const bodySchema =
        openApi.paths[route.path.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[route.method.toLowerCase()]?.requestBody
          ?.content?.['application/json']?.schema;
      if (bodySchema) {
        for (const leaf of jsonSchemaLeaves(bodySchema, [])) {
          const attacks = leaf.type === 'number' || leaf.type === 'integer' ? [INFINITY] : [...BAD_TEXT, ...BAD_JSON];
          for (const attack of attacks) await send(pathWith(), rawJson(setAt({}, leaf.path, attack)));
        }
        for (const attack of [{ 'k\u0000': 1 }, { '\ud800': 'x' }]) await send(pathWith(), JSON.stringify(attack));
      }
    }
    expect(sent).toBeGreaterThan(50);
  }, 600_000);
});

describe('inputs once found to fail: each a 4xx naming the field', () => {
  it("a timestamp past Postgres' range in ?since=", async () => {
    const res = await world.request(`/api/admin/audit-logs?since=253402300800&tenant_id=${tenant.id}`, {
      key: PLATFORM_KEY,
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'since must be a time between years 0001 and 9999',
    });
  });

  it('1e309 in a config value: "must be a finite number", not "must not be null"', async () => {
    const res = await world.request(`/api/v1/tenants/${tenant.id}/config`, {
      method: 'PUT',
      key: tenant.keys.ADMIN,
      headers: { 'content-type': 'application/json' },
      body: '{"performance":{"cache_size_mb":1e309}}',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe('performance.cache_size_mb must be a finite number');
  });

  it('a NUL in a share-link label and a lone surrogate in ?action=', async () => {
    const res = await world.gql(
      gql`mutation($s: ID!, $i: CreateShareLinkInput) { createShareLink(scanId: $s, input: $i) { url } }`,
      { s: scanId, i: { label: 'a\u0000b' } },
      tenant.keys.OPERATOR,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      details: [{ path: 'i.label', message: 'i.label must not contain a NUL character' }],
    });
    const action = await world.request('/api/admin/audit-logs?action=%ED%A0%80', { key: tenant.keys.ADMIN });
    expect(action.status).toBeLessThan(500);
    const surrogate = await world.gql(
      gql`query($a: String) { currentTenant { auditLog(filter: { action: $a }) { nodes { id } } } }`,
      { a: 'x\ud800' },
      tenant.keys.ADMIN,
    );
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.errors[0].message).toBe('a must not contain a lone UTF-16 surrogate');
  });
});

function jsonSchemaLeaves(node: any, path: string[], depth = 0): { path: string[]; type: string }[] {
  if (node?.properties && depth < 5)
    return Object.entries(node.properties).flatMap(([k, v]) => jsonSchemaLeaves(v, [...path, k], depth + 1));
  return path.length ? [{ path, type: node?.type ?? 'any' }] : [];
}
