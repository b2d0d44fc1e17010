import type { Kysely } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // Every selection of a flow's messages leaves out those of its soft-deleted threads;
  // this finds those few threads without scanning every thread of every flow.
  await db.schema.createIndex('threads_flow_deleted').on('threads').columns(['flow_id', 'deleted_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('threads_flow_deleted').execute();
}
