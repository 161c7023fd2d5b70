import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code. Types and features are
// the ones both Postgres 15 (CI's server) and PGlite 0.4 (Postgres 17) support.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tier', 'text', (c) => c.notNull().defaultTo('BASIC').check(sql`tier in ('BASIC','PRO','ENTERPRISE')`))
    .addColumn('industry', 'text')
    // One version counter per document; bumped in the same transaction as the write.
    .addColumn('settings_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('config_version', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('settings_updated_at', 'timestamptz')
    .addColumn('config_updated_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('VIEWER','OPERATOR','ADMIN')`))
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_keys_tenant_idx').on('api_keys').column('tenant_id').execute();

  // Every catalog setting of a tenant that differs from env/default: one row per path, so
  // concurrent writers of different fields never rewrite each other's values.
  await db.schema
    .createTable('setting_values')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('value', 'jsonb')
    // Secrets: AES-256-GCM ciphertext (base64 iv.tag.data); `value` stays null for them.
    .addColumn('encrypted_value', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by_key_id', 'uuid')
    .addPrimaryKeyConstraint('setting_values_pk', ['tenant_id', 'path'])
    .execute();

  await db.schema
    .createTable('feature_flags')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by_key_id', 'uuid')
    .addPrimaryKeyConstraint('feature_flags_pk', ['tenant_id', 'key'])
    .execute();

  await db.schema
    .createTable('scans')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('COMPLETED'))
    .addColumn('summary', 'jsonb')
    .addColumn('report', 'jsonb')
    .addColumn('retained', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by_key_id', 'uuid')
    .execute();
  await db.schema.createIndex('scans_tenant_created_idx').on('scans').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('share_links')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('scan_id', 'uuid', (c) => c.notNull().references('scans.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('label', 'text')
    .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('report','bundle','passport')`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by_key_id', 'uuid')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('share_links_scan_idx').on('share_links').column('scan_id').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id').onDelete('cascade'))
    .addColumn('actor_key_id', 'uuid')
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('changes', 'jsonb')
    .addColumn('request_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('audit_log_tenant_idx').on('audit_log').columns(['tenant_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['audit_log', 'share_links', 'scans', 'feature_flags', 'setting_values', 'api_keys', 'tenants']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
