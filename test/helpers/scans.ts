import { sql } from 'kysely';
import { gql } from './graphql.js';
import type { TestTenant, World } from './world.js';

export const CREATE_SCAN = gql`mutation($tenantId: ID, $input: CreateScanInput!) {
  createScan(tenantId: $tenantId, input: $input) { scan { id target status createdAt summary report retained } }
}`;

export const CREATE_SHARE_LINK = gql`mutation($scanId: ID!, $input: CreateShareLinkInput) {
  createShareLink(scanId: $scanId, input: $input) {
    url token shareLink { id label scope expiresAt createdAt createdByKeyId revokedAt active }
  }
}`;

export const SHARED_SCAN = gql`query($token: String!) { sharedScan(token: $token) }`;

/** Creates a scan through GraphQL with the tenant's operator key; throws on any error. */
export async function seedScan(world: World, tenant: TestTenant, input: Record<string, unknown> = {}) {
  const res = await world.gql(
    CREATE_SCAN,
    { input: { target: 'https://example.test', report: { findings: [] }, ...input } },
    tenant.keys.OPERATOR,
  );
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data.createScan.scan as { id: string; createdAt: string; retained: boolean; target: string };
}

/** Creates a share link with the tenant's operator key; throws on any error. */
export async function seedShareLink(
  world: World,
  tenant: TestTenant,
  scanId: string,
  input: Record<string, unknown> = {},
) {
  const res = await world.gql(CREATE_SHARE_LINK, { scanId, input }, tenant.keys.OPERATOR);
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
  return res.body.data.createShareLink as {
    url: string;
    token: string;
    shareLink: { id: string; expiresAt: string; scope: string };
  };
}

/** Sets a seed-000 tenant setting through the settings API (as the tenant's admin). */
export async function storeSetting(
  world: World,
  tenant: { id: string; keys: { ADMIN: string } },
  field: string,
  value: unknown,
) {
  const res = await world.gql(
    gql`mutation($input: TenantSettingsPatch!) { updateTenantSettings(input: $input) { version } }`,
    { input: { [field]: value } },
    tenant.keys.ADMIN,
  );
  if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
}

/** Every (table, column, matched needle) where a text, varchar or jsonb column holds one of `needles`. */
export async function findInDatabase(world: World, needles: string[]): Promise<string[]> {
  const columns = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = 'public' and data_type in ('text', 'character varying', 'jsonb', 'json')`.execute(
    world.store.db,
  );
  const hits: string[] = [];
  for (const { table_name, column_name } of columns.rows) {
    for (const needle of needles) {
      const found = await sql<{ n: string }>`
        select count(*)::text as n from ${sql.table(table_name)} where strpos(${sql.ref(column_name)}::text, ${needle}) > 0`.execute(
        world.store.db,
      );
      if (found.rows[0]!.n !== '0') hits.push(`${table_name}.${column_name} ∋ ${needle}`);
    }
  }
  return hits;
}
