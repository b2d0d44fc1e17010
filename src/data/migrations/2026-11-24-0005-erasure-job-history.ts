import type { Kysely } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // Finished jobs stay a while so clients can see that their erasure completed.
  await db.schema.alterTable('erasure_jobs').addColumn('finished_at', 'text').execute();
  await db.schema.createIndex('erasure_jobs_tenant').on('erasure_jobs').columns(['tenant_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('erasure_jobs_tenant').execute();
  await db.schema.alterTable('erasure_jobs').dropColumn('finished_at').execute();
}
