import { sql } from 'kysely';
import { expect } from 'vitest';
import { type CatalogDocumentName, type CatalogEntry, entriesOf } from '../../src/catalog/catalog.js';
import type { JsonValue } from '../../src/catalog/setting.js';
import { gql } from './graphql.js';
import type { World } from './world.js';

/** GraphQL documents of the configuration domain, shared by its test files. */
export const Q = {
  settings: gql`query($id: ID!) { tenant(id: $id) { settings { version updatedAt tenantSettings categories
      values { path value source envVar defaultValue secret } } } }`,
  config: gql`query($id: ID!) { tenant(id: $id) { config { version updatedAt document } } }`,
  updateTenantSettings: gql`mutation($tenantId: ID, $input: TenantSettingsPatch!, $v: Int) {
      updateTenantSettings(tenantId: $tenantId, input: $input, expectedVersion: $v) {
        version updatedAt changes { path category old new } settings { version tenantSettings webhookSigningSecret { isSet updatedAt } } } }`,
  updateAdminSettings: gql`mutation($tenantId: ID, $input: AdminSettingsPatch!, $v: Int) {
      updateAdminSettings(tenantId: $tenantId, input: $input, expectedVersion: $v) {
        version updatedAt changes { path category old new } settings { version categories } } }`,
  reset: gql`mutation($tenantId: ID, $category: SettingsCategory!) {
      resetSettingsCategory(tenantId: $tenantId, category: $category) { category reset version resetAt changes { path category old new } } }`,
  updateTenantConfig: gql`mutation($tenantId: ID, $input: TenantConfigPatch!, $v: Int) {
      updateTenantConfig(tenantId: $tenantId, input: $input, expectedVersion: $v) {
        version updatedAt updatedFields changes { path category old new } config { version document } } }`,
  setFeatureFlag: gql`mutation($tenantId: ID, $key: String!, $enabled: Boolean!) {
      setFeatureFlag(tenantId: $tenantId, key: $key, enabled: $enabled) { updatedAt flag { key enabled available tierRequired updatedAt } } }`,
  auditLog: gql`query($id: ID!, $filter: AuditLogFilter, $first: Int, $after: String) { tenant(id: $id) { auditLog(filter: $filter, first: $first, after: $after) {
      nodes { id action actorKeyId actorRole target changes requestId createdAt } pageInfo { endCursor hasNextPage } } } }`,
};

/**
 * Everything stored about a tenant's configuration, as text straight from the tables: the
 * tenant row, its setting rows, feature flags and audit entries. Two equal snapshots mean a
 * refused write changed nothing, byte for byte.
 */
export async function snapshot(world: World, tenantId: string): Promise<string> {
  const db = world.store.db;
  const rows = await Promise.all([
    sql<{ t: string }>`select row_to_json(x)::text as t from tenants x where id = ${tenantId}`.execute(db),
    sql<{
      t: string;
    }>`select row_to_json(x)::text as t from setting_values x where tenant_id = ${tenantId} order by path`.execute(db),
    sql<{
      t: string;
    }>`select row_to_json(x)::text as t from feature_flags x where tenant_id = ${tenantId} order by key`.execute(db),
    sql<{
      t: string;
    }>`select row_to_json(x)::text as t from audit_log x where tenant_id = ${tenantId} order by id`.execute(db),
  ]);
  return rows.map((r) => r.rows.map((x) => x.t).join('\n')).join('\n--\n');
}

/** Asserts a GraphQL response is a BAD_USER_INPUT with this message (and, optionally, a detail at this path). */
export function expectBadInput(res: { status: number; body: any }, message: string | RegExp, path?: string) {
  const error = res.body.errors?.[0];
  expect(error, JSON.stringify(res.body)).toBeDefined();
  expect(error.extensions.code).toBe('BAD_USER_INPUT');
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
  if (path) expect(error.extensions.details.map((d: any) => d.path)).toContain(path);
}

export function expectCode(res: { body: any }, code: string) {
  expect(res.body.errors?.[0]?.extensions?.code, JSON.stringify(res.body)).toBe(code);
}

/**
 * A request GraphQL itself refuses while coercing variables (unknown input field, wrong type):
 * no data, an error naming the problem, mapped to BAD_USER_INPUT by the error mapping plugin.
 */
export function expectRefusedByGraphQL(res: { status: number; body: any }, mentions: RegExp) {
  expect(
    res.body.data?.updateTenantConfig ??
      res.body.data?.updateTenantSettings ??
      res.body.data?.updateAdminSettings ??
      null,
  ).toBeNull();
  expect(res.body.errors?.[0]?.message).toMatch(mentions);
  expect(res.body.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
}

/** Nests a dotted path and value into a patch object: ('a.b', 1) → { a: { b: 1 } }. */
export function patchAt(path: string, value: unknown): Record<string, unknown> {
  return path.split('.').reduceRight<unknown>((acc, key) => ({ [key]: acc }), value) as Record<string, unknown>;
}

/** A value of the right kind for a string format, valid or not, for the generated tests. */
const validStrings: Array<[RegExp, string]> = [
  [/CIDR notation/, '10.0.0.0/8'],
  [/IP address or CIDR/, '192.168.1.10'],
  [/https:\/\/ URL/, 'https://cdn.example.com/logo.png'],
  [/origin/, 'https://app.example.com'],
  [/email/, 'ops@example.com'],
  [/colour/, '#112233'],
  [/AWS region/, 'eu-west-1'],
  [/country/, 'DE'],
  [/KMS ARN/, 'arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012'],
  [/letters, digits/, 'healthcare'],
];

export interface Case {
  title: string;
  value: unknown;
}

/**
 * Generated from the catalog: for each leaf, values that must be accepted (both range ends,
 * every enum value, a valid format) and values that must be refused (just outside each end,
 * an unknown enum value, a bad format, too long). Secrets and JSON-valued leaves have their
 * own tests.
 */
export function casesOf(entry: CatalogEntry): { valid: Case[]; invalid: Case[] } {
  const s = entry.spec;
  const valid: Case[] = [];
  const invalid: Case[] = [];
  switch (s.kind) {
    case 'boolean':
      valid.push({ title: 'true', value: true }, { title: 'false', value: false });
      break;
    case 'integer':
    case 'number':
      valid.push({ title: `min ${s.min}`, value: s.min }, { title: `max ${s.max}`, value: s.max });
      invalid.push(
        { title: `below min ${s.min! - 1}`, value: s.min! - 1 },
        { title: `above max ${s.max! + 1}`, value: s.max! + 1 },
      );
      if (s.kind === 'number') invalid.push({ title: 'just above max', value: s.max! + 0.5 });
      break;
    case 'enum':
      for (const v of s.values!) valid.push({ title: `enum ${v}`, value: v });
      invalid.push({ title: 'unknown enum value', value: 'not-a-value' });
      break;
    case 'string': {
      const sample = s.pattern ? validStrings.find(([re]) => re.test(s.pattern!.message))?.[1] : 'Example Corp';
      if (!sample) throw new Error(`no sample for ${entry.path}`);
      valid.push({ title: 'a valid value', value: sample });
      if (s.maxLength) invalid.push({ title: 'too long', value: 'a'.repeat(s.maxLength + 1) });
      if (s.pattern) invalid.push({ title: 'bad format', value: 'not valid!' });
      if (s.nullable) valid.push({ title: 'null', value: null });
      else invalid.push({ title: 'null', value: null });
      break;
    }
    case 'stringList': {
      if (s.values) {
        for (const v of s.values) valid.push({ title: `item ${v}`, value: [v] });
        invalid.push({ title: 'unknown item', value: ['not-a-value'] });
      } else {
        const sample = validStrings.find(([re]) => re.test(s.pattern!.message))![1];
        valid.push({ title: 'one valid item', value: [sample] }, { title: 'empty', value: [] });
        invalid.push({ title: 'bad item', value: ['not valid!'] });
      }
      if (s.maxItems)
        invalid.push({
          title: `more than ${s.maxItems} items`,
          value: Array.from({ length: s.maxItems + 1 }, (_, i) => `x${i}`),
        });
      break;
    }
    case 'json':
      break;
  }
  return { valid, invalid };
}

/** The catalog leaves of a document that the generated tests cover. */
export function generatedEntries(document: CatalogDocumentName): CatalogEntry[] {
  return entriesOf(document).filter((e) => !e.spec.secret && e.spec.kind !== 'json');
}

/** Reads a nested value by dotted path. */
export function at(doc: any, path: string): JsonValue {
  return path.split('.').reduce((acc, key) => (acc == null ? undefined : acc[key]), doc);
}
