import type { Kysely } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // A chat being erased in the background: gone from reads, rows still on disk.
  await db.schema.alterTable('chats').addColumn('deleted_at', 'text').execute();

  await db.schema
    .createTable('erasure_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    // the message selection (JSON) of a 'messages' job, bounded by the last id it matched
    .addColumn('selection', 'text')
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('erasure_jobs_created').on('erasure_jobs').columns(['created_at', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('erasure_jobs').execute();
  await db.schema.alterTable('chats').dropColumn('deleted_at').execute();
}
