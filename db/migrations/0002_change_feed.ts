import { type Kysely, sql } from 'kysely';

// Frozen in time: this file never imports application code.
// The change feed: one row per committed change of a tenant, written in the change's own
// transaction. `cursor` is the tenant's own counter (tenants.change_cursor), bumped under the
// tenant row's lock: strictly increasing, gap-free per tenant, and in commit order.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tenants')
    .addColumn('change_cursor', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('tenant_changes')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('cursor', 'bigint', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('document', 'text', (c) => c.check(sql`document in ('SETTINGS','TENANT_CONFIG','FEATURE_FLAGS')`))
    .addColumn('version', 'integer')
    // Paths only, never values: secrets never reach this table.
    .addColumn('paths', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('target', 'text')
    .addColumn('actor_key_id', 'uuid')
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('committed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('tenant_changes_pk', ['tenant_id', 'cursor'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('tenant_changes').ifExists().execute();
  await db.schema.alterTable('tenants').dropColumn('change_cursor').execute();
}
