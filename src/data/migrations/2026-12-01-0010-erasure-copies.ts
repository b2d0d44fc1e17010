import { type Kysely, sql } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // Where a flow's messages are copied (a Redis memory store, a webhook). A removed target
  // stays as a row: deliveries queued before its removal still go out with its credentials.
  await db.schema
    .createTable('erasure_targets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('key_pattern', 'text')
    .addColumn('secret', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .execute();
  await db.schema
    .createIndex('erasure_targets_of_flow')
    .on('erasure_targets')
    .columns(['flow_id', 'created_at'])
    .where(sql<boolean>`removed_at is null`)
    .execute();

  // One per permanent delete. rows_erased_at stays null while a queued erasure job still
  // erases this service's rows.
  await db.schema
    .createTable('erasure_receipts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('audit_entry_id', 'text', (c) => c.notNull())
    .addColumn('counts', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'text', (c) => c.notNull())
    .addColumn('rows_erased_at', 'text')
    .addColumn('erasure_job_id', 'text')
    .execute();
  await db.schema
    .createIndex('erasure_receipts_of_job')
    .on('erasure_receipts')
    .column('erasure_job_id')
    .where(sql<boolean>`erasure_job_id is not null`)
    .execute();

  // The outbox: one delivery per (receipt, target), written in the delete's transaction.
  await db.schema
    .createTable('erasure_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('receipt_id', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'text', (c) => c.notNull())
    // A replica delivering it holds it until then; after a crash another takes it over.
    .addColumn('leased_until', 'text')
    .addColumn('completed_at', 'text')
    .execute();
  await db.schema.createIndex('erasure_deliveries_of_receipt').on('erasure_deliveries').column('receipt_id').execute();
  await db.schema
    .createIndex('erasure_deliveries_due')
    .on('erasure_deliveries')
    .columns(['next_attempt_at', 'id'])
    .where(sql<boolean>`status = 'PENDING'`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('erasure_deliveries').execute();
  await db.schema.dropTable('erasure_receipts').execute();
  await db.schema.dropTable('erasure_targets').execute();
}
