import { type Kysely, sql } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // A released hold stays as a row: the list of released holds, and what a court asked for, remain.
  await db.schema
    .createTable('legal_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('released_at', 'text')
    .addColumn('released_by', 'text')
    .execute();
  // Every erasure asks whether a hold covers it: one seek per scope, among active holds only.
  await db.schema
    .createIndex('legal_holds_active')
    .on('legal_holds')
    .columns(['tenant_id', 'scope', 'target_id'])
    .where(sql<boolean>`released_at is null`)
    .execute();
  await db.schema.createIndex('legal_holds_of_tenant').on('legal_holds').columns(['tenant_id', 'created_at', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('legal_holds').execute();
}
