import { type Kysely, sql } from 'kysely';

// Frozen in time: this migration never imports application code and is never edited.

export async function up(db: Kysely<any>): Promise<void> {
  // When a permanent delete took the key's stored answer away: the key stays claimed, so a
  // retry is told the request ran rather than running it twice.
  await db.schema.alterTable('idempotency_keys').addColumn('erased_at', 'text').execute();
  // The request that claimed the key: an erasure marks the keys of the tenant's other
  // requests still running, whose answers may hold what it erased, not its own.
  await db.schema.alterTable('idempotency_keys').addColumn('request_id', 'text').execute();
  // Every permanent delete redacts its tenant's stored answers: this finds those not yet
  // redacted without reading every key the tenant used that day.
  await db.schema
    .createIndex('idempotency_keys_unredacted')
    .on('idempotency_keys')
    .column('tenant_id')
    .where(sql<boolean>`erased_at is null`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('idempotency_keys_unredacted').execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('request_id').execute();
  await db.schema.alterTable('idempotency_keys').dropColumn('erased_at').execute();
}
