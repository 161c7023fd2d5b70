import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<any>): Promise<void> {
  // Feature flags get a version counter of their own, like the settings and the config.
  await db.schema
    .alterTable('tenants')
    .addColumn('flags_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // One row per version a committed write produced (history is never rewritten). No serial
  // column: the key is (tenant, document, version), so a rolled-back write (a dry run) leaves
  // no trace, not even a sequence step.
  await db.schema
    .createTable('config_versions')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('document', 'text', (c) =>
      c.notNull().check(sql`document in ('SETTINGS','TENANT_CONFIG','FEATURE_FLAGS')`),
    )
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor_key_id', 'uuid')
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    // Public: [{ path, category, storage_path, old, new }], secrets as "[redacted]".
    .addColumn('changes', 'jsonb', (c) => c.notNull())
    // Internal, never returned: every stored value of the document after this version
    // ({ "<storage path>": { "v": value } | { "enc": ciphertext } }), so any version can be
    // shown or restored on its own, and old versions can be deleted without breaking newer ones.
    .addColumn('state', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('config_versions_pk', ['tenant_id', 'document', 'version'])
    .execute();
  await db.schema
    .createIndex('config_versions_created_idx')
    .on('config_versions')
    .columns(['tenant_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('config_versions').ifExists().execute();
  await db.schema.alterTable('tenants').dropColumn('flags_version').execute();
}
