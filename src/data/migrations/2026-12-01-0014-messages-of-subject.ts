import type { Kysely } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // A data subject's erasure (eraseSubject) finds their messages in every flow of the
  // tenant by session id; without this, each one read the whole messages table.
  await db.schema.createIndex('messages_tenant_session').on('messages').columns(['tenant_id', 'session_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_tenant_session').execute();
}
