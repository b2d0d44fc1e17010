import { sql } from 'kysely';
import type { Db } from './open-database.ts';
import type { IdempotencyRow } from './tables.ts';

/** Inserts the key's row unless one exists; true when this call created it. */
export async function insertIdempotencyKey(db: Db, row: IdempotencyRow): Promise<boolean> {
  const result = await db
    .insertInto('idempotency_keys')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findIdempotencyKey(db: Db, tenantId: string, key: string) {
  return db.selectFrom('idempotency_keys').selectAll().where('tenant_id', '=', tenantId).where('key', '=', key).executeTakeFirst();
}

export async function replaceExpiredIdempotencyKey(db: Db, row: IdempotencyRow, now: string): Promise<boolean> {
  const result = await db
    .updateTable('idempotency_keys')
    .set(row)
    .where('tenant_id', '=', row.tenant_id)
    .where('key', '=', row.key)
    .where('expires_at', '<=', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function saveIdempotentResponse(
  db: Db,
  tenantId: string,
  key: string,
  response: { status: number; contentType: string | null; body: string },
) {
  await db
    .updateTable('idempotency_keys')
    .set({ status: response.status, content_type: response.contentType, body: response.body })
    .where('tenant_id', '=', tenantId)
    .where('key', '=', key)
    .execute();
}

/**
 * Takes the bodies of the tenant's stored answers away, keeping each key claimed with its
 * fingerprint and status. A running request's row has no body yet, an empty body (a 204)
 * holds nothing: neither is touched. The predicate is the partial index
 * idempotency_keys_unredacted's, with '' written out (a parameter would not match it), so
 * the keys already redacted are not read again by the tenant's next erasure.
 */
export function redactIdempotentAnswersQuery(db: Db, tenantId: string, now: string) {
  return db
    .updateTable('idempotency_keys')
    .set({ body: null, content_type: null, erased_at: now })
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`body <> ''`);
}

export async function redactIdempotentAnswers(db: Db, tenantId: string, now: string): Promise<void> {
  await redactIdempotentAnswersQuery(db, tenantId, now).execute();
}

export async function deleteIdempotencyKey(db: Db, tenantId: string, key: string) {
  await db.deleteFrom('idempotency_keys').where('tenant_id', '=', tenantId).where('key', '=', key).execute();
}

export async function deleteExpiredIdempotencyKeys(db: Db, now: string): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
