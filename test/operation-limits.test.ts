import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPERATION_LIMITS as LIMITS, operationCost, operationShape } from '../src/limits/operation-limits.js';
import { operationText } from '../src/rest/route.js';
import { routes } from '../src/rest/routes/index.js';
import { schema } from '../src/schema/index.js';
import { fragmentBomb, healthOf, whileHealthy } from './helpers/attack.js';
import { gql } from './helpers/graphql.js';
import { seedScan } from './helpers/scans.js';
import { createWorld, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;

beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys();
});
afterAll(() => world.close());

async function post(query: string, key?: string, variables?: Record<string, unknown>) {
  return whileHealthy(healthOf(world), () => world.gql(query, variables, key));
}

function expectLimit(res: { status: number; body: any }, limit: string) {
  expect(res.status).toBe(400);
  expect(res.body.data ?? null).toBeNull();
  expect(res.body.errors[0].extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit });
  expect(res.body.errors[0].message).toContain(limit);
}

describe('operation limits', () => {
  it('refuses a 40-level fragment bomb (anonymous) in well under 50 ms of CPU, before validation', async () => {
    // Refused through the app while /health answers (the probe runs beside it, in this process).
    const res = await post(fragmentBomb(40));
    expectLimit(res, 'maxCost');
    expect(res.body.errors[0].message).toMatch(/field count \d+/);
    // The CPU of what the refusal costs: parsing the text and the memoised walks (shape and cost).
    // Timed as synchronous calls, so the probe, other tests' work and vitest's own threads cannot
    // land in the window; the median of five texts. The whole request through the app is in
    // `npx tsx bench/operation-limits.ts` (a few ms).
    const cpuMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const text = fragmentBomb(40).replace('query Bomb', `query Bomb${i}`);
      const cpu = process.cpuUsage();
      const document = parse(text, { maxTokens: LIMITS.maxTokens });
      const shape = operationShape(document);
      const { cost } = operationCost(schema, document, undefined, undefined);
      const used = process.cpuUsage(cpu);
      expect(shape.depth).toBeLessThanOrEqual(LIMITS.maxDepth);
      expect(cost).toBeGreaterThan(LIMITS.maxCost);
      cpuMs.push((used.user + used.system) / 1000);
    }
    expect(cpuMs.sort((a, b) => a - b)[2]).toBeLessThan(50);
  });

  it('refuses query text over maxQueryBytes before parsing it', async () => {
    const query = '{ ' + Array.from({ length: 4000 }, (_, i) => `a${i}: me { role }`).join(' ') + ' }';
    expect(Buffer.byteLength(query)).toBeGreaterThan(LIMITS.maxQueryBytes);
    expectLimit(await post(query), 'maxQueryBytes');
  });

  it('stops parsing at maxTokens', async () => {
    const query = '{ me { ' + 'role '.repeat(LIMITS.maxTokens) + '} }';
    expect(Buffer.byteLength(query)).toBeLessThan(LIMITS.maxQueryBytes);
    expectLimit(await post(query), 'maxTokens');
  });

  it('refuses too many aliases, directives and too deep a query, anonymous or not', async () => {
    const aliases =
      '{ ' + Array.from({ length: LIMITS.maxAliases + 1 }, (_, i) => `a${i}: me { role }`).join(' ') + ' }';
    expectLimit(await post(aliases), 'maxAliases');
    expectLimit(await post(aliases, tenant.keys.VIEWER), 'maxAliases');
    // Aliases hidden in a fragment spread twice count twice.
    const half = Math.ceil((LIMITS.maxAliases + 1) / 2);
    const viaFragment = `{ ...A ...A } fragment A on Query { ${Array.from({ length: half }, (_, i) => `a${i}: me { role }`).join(' ')} }`;
    expectLimit(await post(viaFragment, tenant.keys.VIEWER), 'maxAliases');
    const directives =
      '{ me { ' + Array.from({ length: LIMITS.maxDirectives + 1 }, () => 'role @include(if: true)').join(' ') + ' } }';
    expectLimit(await post(directives), 'maxDirectives');
    const deep = '{ ' + 'a { '.repeat(LIMITS.maxDepth + 1) + 'b' + ' }'.repeat(LIMITS.maxDepth + 1) + ' }';
    expectLimit(await post(deep), 'maxDepth');
  });

  it('refuses an operation whose estimated cost is over maxCost, with the variables it is sent with', async () => {
    await seedScan(world, tenant);
    const query = gql`query($n: Int) { currentTenant { a: scans(first: $n) { nodes { id report } } b: scans(first: $n) { nodes { id report } } } }`;
    const small = await post(query, tenant.keys.VIEWER, { n: 5 });
    expect(small.status).toBe(200);
    expect(small.body.data.currentTenant.a.nodes).toHaveLength(1);
    const big = await post(query, tenant.keys.VIEWER, { n: 100 });
    expectLimit(big, 'maxCost');
    expect(big.body.errors[0].message).toMatch(/estimated cost \d+ is over the limit maxCost = 20000/);
    const aliased = `{ ${Array.from({ length: 10 }, (_, i) => `t${i}: currentTenant { scans(first: 20) { nodes { report } } }`).join(' ')} }`;
    expectLimit(await post(aliased, tenant.keys.VIEWER), 'maxCost');
  });

  it('bounds the response size', async () => {
    const small = await createWorld({ operationLimits: { maxResponseBytes: 2_000 } });
    try {
      const t = await small.createTenantWithKeys();
      await seedScan(small, t, { report: { blob: 'x'.repeat(3_000) } });
      const res = await small.gql(gql`{ currentTenant { scans { nodes { report } } } }`, undefined, t.keys.VIEWER);
      expectLimit(res, 'maxResponseBytes');
    } finally {
      await small.close();
    }
  });

  it("refuses a keyless caller's large variables as unauthenticated before coercing them", async () => {
    const variables = { token: 'x'.repeat(LIMITS.maxAnonymousVariablesBytes + 10) };
    const res = await post(gql`query($token: String!) { sharedScan(token: $token) }`, undefined, variables);
    expect(res.status).toBe(401);
    expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const bad = await post(gql`query($token: String!) { sharedScan(token: $token) }`, 'not-a-key', variables);
    expect(bad.status).toBe(401);
  });

  it('refuses variables over maxVariablesBytes', async () => {
    const res = await post(gql`query($x: String) { me { role } }`, tenant.keys.VIEWER, {
      x: 'y'.repeat(LIMITS.maxVariablesBytes),
    });
    expect([400, 413]).toContain(res.status);
    expect(['OPERATION_LIMIT_EXCEEDED', 'PAYLOAD_TOO_LARGE']).toContain(res.body.errors[0].extensions.code);
  });

  it('lets every REST route document through with room to spare', () => {
    for (const route of routes) {
      const document = parse(operationText(route), { maxTokens: LIMITS.maxTokens / 4 });
      const shape = operationShape(document);
      expect(shape.depth, route.path).toBeLessThanOrEqual(LIMITS.maxDepth / 2);
      expect(shape.aliases, route.path).toBeLessThanOrEqual(LIMITS.maxAliases / 2);
      expect(shape.directives, route.path).toBeLessThanOrEqual(LIMITS.maxDirectives / 2);
      // With every page at its largest.
      const variables = new Proxy({}, { get: () => 100 });
      expect(operationCost(schema, document, undefined, variables).cost, route.path).toBeLessThan(LIMITS.maxCost / 2);
    }
  });
});
