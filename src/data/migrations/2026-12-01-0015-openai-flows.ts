import type { Kysely } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // The flow that holds a tenant's conversations created through the OpenAI routes: one
  // per tenant (the primary key), so two first requests at once cannot make two.
  await db.schema
    .createTable('openai_flows')
    .addColumn('tenant_id', 'text', (c) => c.primaryKey())
    .addColumn('flow_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('openai_flows').execute();
}
