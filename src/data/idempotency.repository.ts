import { type UpdateQueryBuilder, type UpdateResult, sql } from 'kysely';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';
import type { Database, IdempotencyRow } from './tables.ts';

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

/** Writes a fresh claim over the key's row if `taken` still holds for it; true when it did. */
async function replaceKeyWhere(
  db: Db,
  row: IdempotencyRow,
  taken: (q: UpdateQueryBuilder<Database, 'idempotency_keys', 'idempotency_keys', UpdateResult>) => typeof q,
): Promise<boolean> {
  const q = db.updateTable('idempotency_keys').set(row).where('tenant_id', '=', row.tenant_id).where('key', '=', row.key);
  return Number((await taken(q).executeTakeFirst()).numUpdatedRows) > 0;
}

export async function replaceExpiredIdempotencyKey(db: Db, row: IdempotencyRow, now: string): Promise<boolean> {
  return replaceKeyWhere(db, row, (q) => q.where('expires_at', '<=', now));
}

/** Takes over a key whose request claimed it before `claimedBefore` and never answered (it died). */
export async function replaceAbandonedIdempotencyKey(db: Db, row: IdempotencyRow, claimedBefore: string): Promise<boolean> {
  return replaceKeyWhere(db, row, (q) => q.where('status', 'is', null).where('created_at', '<=', claimedBefore));
}

/** Stores the answer, without its body when an erasure committed while the request ran. */
export async function saveIdempotentResponse(
  db: Db,
  tenantId: string,
  key: string,
  response: { status: number; contentType: string | null; body: string },
) {
  const unlessErased = <T>(value: T) => sql<T | null>`case when erased_at is null then ${value} end`;
  await db
    .updateTable('idempotency_keys')
    .set({ status: response.status, content_type: unlessErased(response.contentType), body: unlessErased(response.body) })
    .where('tenant_id', '=', tenantId)
    .where('key', '=', key)
    .execute();
}

/**
 * Takes the bodies of the tenant's stored answers away, keeping each key claimed with its
 * fingerprint and status, and marks the keys of the tenant's requests still running but
 * `requestId` (the erasing request's own), so their answers, which may have read the
 * erased rows first, are stored without a body. An empty body (a 204) holds nothing and is
 * left to replay. `erased_at is null` is the partial index idempotency_keys_unredacted's
 * predicate, so the keys already redacted are not read again by the tenant's next erasure.
 */
export function redactIdempotentAnswersQuery(db: Db, tenantId: string, requestId: string, now: string) {
  return db
    .updateTable('idempotency_keys')
    .set({ body: null, content_type: null, erased_at: now })
    .where('tenant_id', '=', tenantId)
    .where(sql<boolean>`erased_at is null`)
    .where((eb) =>
      eb.or([
        eb('body', '<>', sql.lit('')),
        eb.and([eb('status', 'is', null), eb.or([eb('request_id', 'is', null), eb('request_id', '<>', requestId)])]),
      ]),
    );
}

export async function redactIdempotentAnswers(db: Db, tenantId: string, requestId: string, now: string): Promise<void> {
  await redactStatement(db, { tenantId, requestId, now });
}

/** Compiled once: every permanent delete runs it. */
const redactStatement = compiledOnce((db, p: { tenantId: string; requestId: string; now: string }) =>
  redactIdempotentAnswersQuery(db, p.tenantId, p.requestId, p.now),
);

export async function deleteIdempotencyKey(db: Db, tenantId: string, key: string) {
  await db.deleteFrom('idempotency_keys').where('tenant_id', '=', tenantId).where('key', '=', key).execute();
}

export async function deleteExpiredIdempotencyKeys(db: Db, now: string): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
