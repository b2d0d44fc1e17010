import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('api_keys_tenant').on('api_keys').column('tenant_id').execute();

  await db.schema
    .createTable('flows')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('flows_tenant_created').on('flows').columns(['tenant_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('chats')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text', (c) => c.notNull().references('flows.id').onDelete('cascade'))
    .addColumn('title', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('chats_flow_created').on('chats').columns(['flow_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('chats_tenant_created').on('chats').columns(['tenant_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('threads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'text', (c) => c.notNull().references('chats.id').onDelete('cascade'))
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('metadata', 'text')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .addColumn('restore_until', 'text')
    .addColumn('deleted_by', 'text')
    .execute();
  await db.schema.createIndex('threads_chat_created').on('threads').columns(['chat_id', 'created_at', 'id']).execute();
  await db.schema
    .createIndex('threads_tenant_deleted')
    .on('threads')
    .columns(['tenant_id', 'deleted_at', 'id'])
    .execute();
  await db.schema.createIndex('threads_restore_until').on('threads').column('restore_until').execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('session_id', 'text')
    .addColumn('memory_type', 'text')
    .addColumn('chat_type', 'text', (c) => c.notNull())
    .addColumn('feedback', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // One index per deleteMessages filter path, each led by the flow and ending in
  // created_at so a date range narrows it further; thread and chat serve cascades.
  await db.schema.createIndex('messages_thread_created').on('messages').columns(['thread_id', 'created_at', 'id']).execute();
  await db.schema.createIndex('messages_chat_created').on('messages').columns(['chat_id', 'created_at']).execute();
  await db.schema.createIndex('messages_flow_created').on('messages').columns(['flow_id', 'created_at', 'id']).execute();
  await db.schema
    .createIndex('messages_flow_session')
    .on('messages')
    .columns(['flow_id', 'session_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('messages_flow_memory')
    .on('messages')
    .columns(['flow_id', 'memory_type', 'created_at'])
    .execute();
  await db.schema
    .createIndex('messages_flow_chat_type')
    .on('messages')
    .columns(['flow_id', 'chat_type', 'created_at'])
    .execute();
  await db.schema
    .createIndex('messages_flow_feedback')
    .on('messages')
    .columns(['flow_id', 'feedback', 'created_at'])
    .execute();

  await db.schema
    .createTable('streams')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('prompt_message_id', 'text', (c) => c.references('messages.id').onDelete('set null'))
    .addColumn('message_id', 'text', (c) => c.references('messages.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('streams_thread_status').on('streams').columns(['thread_id', 'status']).execute();
  await db.schema.createIndex('streams_chat_status').on('streams').columns(['chat_id', 'status']).execute();
  await db.schema.createIndex('streams_status').on('streams').column('status').execute();
  await db.schema.createIndex('streams_prompt_message').on('streams').column('prompt_message_id').execute();
  await db.schema.createIndex('streams_message').on('streams').column('message_id').execute();

  await db.schema
    .createTable('stream_events')
    .addColumn('stream_id', 'text', (c) => c.notNull().references('streams.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('stream_events_pk', ['stream_id', 'seq'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', postgres ? sql`integer generated always as identity` : 'integer', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('details', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_tenant_seq').on('audit_log').columns(['tenant_id', 'seq']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['audit_log', 'stream_events', 'streams', 'messages', 'threads', 'chats', 'flows', 'api_keys', 'tenants']) {
    await db.schema.dropTable(table).execute();
  }
}
