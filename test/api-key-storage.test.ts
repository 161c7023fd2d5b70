import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { createWorld, PLATFORM_KEY, type TestTenant, type World } from './helpers/world.js';

let world: World;
let tenant: TestTenant;
/** Every key made in this file, with the id of its row. */
const made: { key: string; id: string }[] = [];

beforeAll(async () => {
  world = await createWorld();
  tenant = await world.createTenantWithKeys();
  for (const role of ['VIEWER', 'OPERATOR', 'ADMIN'] as const)
    made.push({ key: tenant.keys[role], id: tenant.keyIds[role] });
  const res = await world.gql(
    gql`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }`,
    { input: { tenantId: tenant.id, role: 'OPERATOR', label: 'made by its admin' } },
    tenant.keys.ADMIN,
  );
  made.push({ key: res.body.data.createApiKey.key, id: res.body.data.createApiKey.apiKey.id });
  // Use and revoke some, so last_used_at, revoked_at and the audit log have rows too.
  for (const { key } of made) await world.gql(gql`{ me { role } }`, {}, key, 'query');
  await world.gql(
    gql`mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id } } }`,
    { id: made[3].id },
    tenant.keys.ADMIN,
  );
});
afterAll(() => world.close());

/** Every row of every table of the database, each as its JSON text. */
async function dumpDatabase(): Promise<string[]> {
  const tables = await sql<{ name: string }>`
    select table_schema || '.' || table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`.execute(
    world.store.db,
  );
  expect(tables.rows.map((t) => t.name)).toEqual(
    expect.arrayContaining(['public.api_keys', 'public.audit_log', 'public.tenants']),
  );
  const rows: string[] = [];
  for (const { name } of tables.rows) {
    const [schema, table] = name.split('.');
    const result = await sql<{
      row: string;
    }>`select row_to_json(t)::text as row from ${sql.table(`${schema}.${table}`)} t`.execute(world.store.db);
    rows.push(...result.rows.map((r) => r.row));
  }
  return rows;
}

describe('API key storage', () => {
  it('the database holds no key, in any table, in any common encoding', async () => {
    const dump = (await dumpDatabase()).join('\n');
    expect(dump).toContain(tenant.id); // the dump does see the data
    for (const { key } of made) {
      const secretPart = key.slice(key.indexOf('_') + 1);
      for (const form of [
        key,
        secretPart,
        Buffer.from(secretPart, 'base64url').toString('hex'),
        Buffer.from(key).toString('base64'),
      ]) {
        expect(dump).not.toContain(form);
      }
    }
    expect(dump).not.toContain(PLATFORM_KEY);
  });

  it('stores the SHA-256 of each key and a short recognisable prefix', async () => {
    const rows = await world.store.db.selectFrom('api_keys').select(['id', 'prefix', 'key_hash']).execute();
    for (const { key, id } of made) {
      const row = rows.find((r) => r.id === id)!;
      expect(row.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
      expect(row.prefix).toMatch(/^tcg_/);
      expect(key.startsWith(row.prefix)).toBe(true);
      expect(row.prefix.length).toBeLessThanOrEqual(12);
      expect(key.length - row.prefix.length).toBeGreaterThanOrEqual(36); // the hidden part keeps > 200 random bits
    }
  });

  it('shows the key once: no field returns it after creation', async () => {
    const res = await world.gql(
      gql`query($id: ID!) { tenant(id: $id) { apiKeys { id prefix label role createdAt lastUsedAt revokedAt } } }`,
      { id: tenant.id },
      tenant.keys.ADMIN,
    );
    const text = JSON.stringify(res.body);
    expect(res.body.data.tenant.apiKeys).toHaveLength(made.length);
    for (const { key } of made) expect(text).not.toContain(key);
  });
});
