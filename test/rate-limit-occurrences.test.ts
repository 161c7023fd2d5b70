import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { occurrences } from '../src/plugins/use-rate-limit.js';
import { schema } from '../src/schema/index.js';
import { gql } from './helpers/graphql.js';
import { seedScan, seedShareLink } from './helpers/scans.js';
import { createWorld, graphqlFrom, type TestTenant, type World } from './helpers/world.js';

// Every occurrence counts: a limited field counts once per occurrence (aliases and
// fragment spreads included) before anything runs; an operation over a limit is refused whole.

let world: World;
beforeAll(async () => {
  // Aliases and cost are bounded by the operation limits too; these tests are about the rate limits.
  world = await createWorld({
    rateLimits: true,
    operationLimits: { maxAliases: 2_000, maxCost: 1_000_000, maxTokens: 100_000, maxQueryBytes: 1024 * 1024 },
  });
});
afterAll(() => world.close());

const aliased = (n: number, field: (i: number) => string, head = 'query') =>
  gql`${head} { ${Array.from({ length: n }, (_, i) => `a${i}: ${field(i)}`).join(' ')} }`;
const update = (i: number) => `updateTenantConfig(input: { performance: { cache_size_mb: ${1024 + i} } }) { version }`;
const configVersion = async (t: TestTenant) =>
  (
    await graphqlFrom(
      world.app,
      gql`query($id: ID!) { tenant(id: $id) { config { version } } }`,
      { id: t.id },
      t.keys.VIEWER,
    )
  ).body.data.tenant.config.version as number;

function expectRefused(res: Awaited<ReturnType<typeof graphqlFrom>>, policy: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(429);
  expect(res.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', policy });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(res.body.data ?? null).toBeNull();
}

describe('aliases count against the configuration limits (10 updates, 100 reads, 100 feature queries a minute)', () => {
  it('50 aliased updateTenantConfig with 10 left: refused whole, version unchanged', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const before = await configVersion(t);
    const res = await graphqlFrom(world.app, aliased(50, update, 'mutation'), {}, t.keys.OPERATOR);
    expectRefused(res, 'config-updates');
    expect(res.body.errors[0].message).toMatch(/counts 50/);
    expect(await configVersion(t)).toBe(before);
  });

  it('6 aliased updates with 5 left: refused, nothing written; 5 aliased then run and use up the minute', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const five = await graphqlFrom(world.app, aliased(5, update, 'mutation'), {}, t.keys.OPERATOR);
    expect(five.body.errors).toBeUndefined();
    const before = await configVersion(t);
    expectRefused(await graphqlFrom(world.app, aliased(6, update, 'mutation'), {}, t.keys.OPERATOR), 'config-updates');
    expect(await configVersion(t)).toBe(before);
    const rest = await graphqlFrom(world.app, aliased(5, update, 'mutation'), {}, t.keys.OPERATOR);
    expect(rest.body.errors).toBeUndefined();
    expect(await configVersion(t)).toBe(before + 5);
    expectRefused(await graphqlFrom(world.app, aliased(1, update, 'mutation'), {}, t.keys.OPERATOR), 'config-updates');
  });

  it('config reads: 200 aliased reads are refused; 60 then 40 fit, the 101st does not', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const read = () => `tenant(id: "${t.id}") { config { version } }`;
    expectRefused(await graphqlFrom(world.app, aliased(200, read), {}, t.keys.VIEWER), 'config-reads');
    expect((await graphqlFrom(world.app, aliased(60, read), {}, t.keys.VIEWER)).status).toBe(200);
    expectRefused(await graphqlFrom(world.app, aliased(41, read), {}, t.keys.VIEWER), 'config-reads');
    expect((await graphqlFrom(world.app, aliased(40, read), {}, t.keys.VIEWER)).status).toBe(200);
    expectRefused(
      await graphqlFrom(world.app, gql`{ tenant(id: "${t.id}") { config { version } } }`, {}, t.keys.VIEWER),
      'config-reads',
    );
  });

  it('fragment spreads count once per spread', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    const doc = gql`query { a: tenant(id: "${t.id}") { ...C ...C } b: tenant(id: "${t.id}") { ...C } } fragment C on Tenant { config { version } x: config { version } }`;
    expect(occurrences(schema, parse(doc), new Set(['Tenant.config'])).get('Tenant.config')).toBe(6);
    const read = () => `tenant(id: "${t.id}") { config { version } }`;
    expect((await graphqlFrom(world.app, aliased(95, read), {}, t.keys.VIEWER)).status).toBe(200);
    expectRefused(await graphqlFrom(world.app, doc, {}, t.keys.VIEWER), 'config-reads'); // 6 > 5 left
    expect((await graphqlFrom(world.app, aliased(5, read), {}, t.keys.VIEWER)).status).toBe(200);
  });

  it('entitlements count as feature queries: currentTenant { entitlements } and me { entitlements }', async () => {
    const t = await world.createTenantWithKeys({ tier: 'ENTERPRISE' });
    expect(
      (
        await graphqlFrom(
          world.app,
          aliased(99, () => 'currentTenant { entitlements }'),
          {},
          t.keys.VIEWER,
        )
      ).status,
    ).toBe(200);
    expect((await graphqlFrom(world.app, gql`{ me { entitlements } }`, {}, t.keys.VIEWER)).status).toBe(200);
    expectRefused(await graphqlFrom(world.app, gql`{ me { entitlements } }`, {}, t.keys.VIEWER), 'feature-queries');
    expectRefused(
      await graphqlFrom(world.app, gql`{ currentTenant { entitlements } }`, {}, t.keys.VIEWER),
      'feature-queries',
    );
    expectRefused(
      await graphqlFrom(world.app, gql`{ currentTenant { featureFlags { key } } }`, {}, t.keys.VIEWER),
      'feature-queries',
    );
  });
});

describe('calls without a valid key and invalid documents count per address', () => {
  it('1,000 aliased sharedScan from one address: refused whole; single views still work', async () => {
    const t = await world.createTenantWithKeys();
    const scan = await seedScan(world, t);
    const { token } = await seedShareLink(world, t, scan.id);
    const res = await graphqlFrom(
      world.app,
      aliased(1000, () => 'sharedScan(token: $token)', 'query($token: String!)'),
      { token },
      undefined,
      '198.51.100.1',
    );
    expectRefused(res, 'share-link-views');
    expect(res.body.errors[0].message).toMatch(/counts 1000/);
    expect(
      (
        await graphqlFrom(
          world.app,
          gql`query($token: String!) { sharedScan(token: $token) }`,
          { token },
          undefined,
          '198.51.100.1',
        )
      ).status,
    ).toBe(200);
  });

  it('anonymous and invalid-key calls share 120 a minute per address; keyed calls from there are not counted', async () => {
    const t = await world.createTenantWithKeys();
    const address = '198.51.100.2';
    const calls = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        graphqlFrom(world.app, gql`{ me { role } }`, {}, i % 2 ? 'cfg_not_a_real_key' : undefined, address),
      ),
    );
    expect(calls.every((c) => c.status !== 429)).toBe(true);
    expectRefused(await graphqlFrom(world.app, gql`{ me { role } }`, {}, undefined, address), 'keyless-calls');
    expectRefused(
      await graphqlFrom(world.app, gql`{ me { role } }`, {}, 'cfg_not_a_real_key', address),
      'keyless-calls',
    );
    expect((await graphqlFrom(world.app, gql`{ me { role } }`, {}, undefined, '198.51.100.3')).status).not.toBe(429);
    expect((await graphqlFrom(world.app, gql`{ me { role } }`, {}, t.keys.VIEWER, address)).status).toBe(200);
  });

  it('invalid documents: 60 a minute per address, then the address is refused before parsing until its wait has passed', async () => {
    const t = await world.createTenantWithKeys();
    const address = '198.51.100.4';
    for (let i = 0; i < 30; i++)
      expect(
        (await graphqlFrom(world.app, gql`{ me { role `, {}, t.keys.VIEWER, address)).body.errors[0].extensions.code,
      ).toBe('GRAPHQL_PARSE_FAILED');
    for (let i = 0; i < 30; i++)
      expect(
        (await graphqlFrom(world.app, gql`{ nope }`, {}, t.keys.VIEWER, address)).body.errors[0].extensions.code,
      ).toBe('GRAPHQL_VALIDATION_FAILED');
    const refused = await graphqlFrom(world.app, gql`{ nope }`, {}, t.keys.VIEWER, address);
    expectRefused(refused, 'invalid-documents');
    // Even a valid document: the address waits (no store call, nothing parsed).
    expectRefused(await graphqlFrom(world.app, gql`{ me { role } }`, {}, t.keys.VIEWER, address), 'invalid-documents');
    expect((await graphqlFrom(world.app, gql`{ me { role } }`, {}, t.keys.VIEWER, '198.51.100.5')).status).toBe(200);
    world.clock.advance(Number(refused.headers.get('retry-after')) * 1000);
    expect((await graphqlFrom(world.app, gql`{ me { role } }`, {}, t.keys.VIEWER, address)).status).toBe(200);
  });
});

describe('the walk over fragments is linear in the document', () => {
  it('a 40-level fragment bomb (each level spreads the one below twice) is counted without expanding it', () => {
    const levels = 40;
    const fragments = [`fragment F0 on Query { sharedScan(token: "x") }`];
    for (let i = 1; i <= levels; i++) fragments.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
    const document = parse(gql`query { ...F${levels} } ${fragments.join(' ')}`);
    const counts = occurrences(schema, document, new Set(['Query.sharedScan']));
    expect(counts.get('Query.sharedScan')).toBe(2 ** levels);
  });
});
