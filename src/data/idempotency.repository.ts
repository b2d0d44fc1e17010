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

export async function deleteIdempotencyKey(db: Db, tenantId: string, key: string) {
  await db.deleteFrom('idempotency_keys').where('tenant_id', '=', tenantId).where('key', '=', key).execute();
}

export async function deleteExpiredIdempotencyKeys(db: Db, now: string): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
