import type { Kysely } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // A large chat is hidden first and counted after; until its request has recorded the
  // audit entry (with the count), the entry waits here, for the queue to record should the
  // request die in between.
  await db.schema.alterTable('erasure_jobs').addColumn('pending_audit', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('erasure_jobs').dropColumn('pending_audit').execute();
}
