import { type Kysely, sql } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // A flow's retention policy, or the tenant's default (flow_id null), one of each at most.
  await db.schema
    .createTable('retention_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text')
    .addColumn('max_age_days', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // NULLs are distinct in a unique index, so the default's key is the empty flow id.
  await db.schema
    .createIndex('retention_policies_one_per_flow')
    .on('retention_policies')
    .unique()
    .expression(sql`tenant_id, coalesce(flow_id, '')`)
    .execute();

  // Who runs retention now, until when: one run at a time across replicas. One row per
  // name; a holder that died leaves its lease to run out.
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('leased_until', 'text', (c) => c.notNull())
    .execute();
}
