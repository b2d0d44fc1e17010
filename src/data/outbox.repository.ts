import { sql } from 'kysely';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';
import type { ErasureDeliveryRow } from './tables.ts';

export async function insertDeliveries(db: Db, rows: readonly ErasureDeliveryRow[]): Promise<void> {
  if (rows.length === 1) await insertDeliveryStatement(db, rows[0]!);
  else if (rows.length > 1) await db.insertInto('erasure_deliveries').values([...rows]).execute();
}

/** Compiled once: a flow usually has one target, so a delete writes one entry. */
const insertDeliveryStatement = compiledOnce((db, row: ErasureDeliveryRow) => db.insertInto('erasure_deliveries').values(row));

/**
 * Takes up to `limit` deliveries that are due and not held by a live lease, and holds them
 * until `leaseUntil`. SKIP LOCKED lets replicas claim side by side without waiting for, or
 * taking, each other's rows (SQLite has one writer and no row locks: it drops the clause);
 * the lease covers the time after commit, while the delivery is under way.
 */
export async function claimDueDeliveries(db: Db, now: string, leaseUntil: string, limit: number): Promise<ErasureDeliveryRow[]> {
  return db
    .updateTable('erasure_deliveries')
    .set({ leased_until: leaseUntil })
    .where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple('receipt_id', 'id'),
        'in',
        selectFrom('erasure_deliveries')
          .select(['receipt_id', 'id'])
          .where('status', '=', 'PENDING')
          .where('next_attempt_at', '<=', now)
          .where((w) => w.or([w('leased_until', 'is', null), w('leased_until', '<', now)]))
          .orderBy('next_attempt_at')
          .orderBy('id')
          .limit(limit)
          .forUpdate()
          .skipLocked()
          .$asTuple('receipt_id', 'id'),
      ),
    )
    .returningAll()
    .execute();
}

/**
 * Confirmed copies, in one statement; answers the ids it completed (not one another claim
 * completed first). A confirmed entry keeps no event: it lists what the delete erased (its
 * sessions, threads and messages), which the outbox has no more reason to hold. Each entry
 * is named by its receipt and id, the key that finds it on both engines, in one JSON object
 * (id: { r: receipt }) that json_each reads on both, so the text is the same for any number
 * of them: one statement compiled and prepared once, where an `in (?, ?, …)` list was a new
 * one for every round's size.
 */
export async function completeDeliveries(db: Db, deliveries: readonly DeliveryKey[], now: string): Promise<string[]> {
  if (deliveries.length === 0) return [];
  const keys = JSON.stringify(Object.fromEntries(deliveries.map((d) => [d.id, { r: d.receipt_id }])));
  return (await completeStatement(db, { keys, now })).map((r) => r.id);
}

export type DeliveryKey = Pick<ErasureDeliveryRow, 'receipt_id' | 'id'>;

const completeStatement = compiledOnce((db, p: { keys: string; now: string }) =>
  db
    .updateTable('erasure_deliveries')
    .set((eb) => ({ status: 'COMPLETE', attempts: eb('attempts', '+', 1), last_error: null, completed_at: p.now, leased_until: null, event: '' }))
    .where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple('receipt_id', 'id'),
        'in',
        selectFrom(sql<{ key: string; value: string }>`json_each(${p.keys})`.as('v'))
          .select([sql<string>`v.value ->> 'r'`.as('receipt_id'), 'v.key'])
          .$asTuple('receipt_id', 'key'),
      ),
    )
    .where('status', '<>', 'COMPLETE')
    .returning('id'),
);

/** A failed attempt, recorded only while this claim still holds the delivery. */
export async function recordFailure(
  db: Db,
  claim: DeliveryKey & { leasedUntil: string },
  outcome: Pick<ErasureDeliveryRow, 'status' | 'attempts' | 'last_error' | 'next_attempt_at'>,
): Promise<boolean> {
  const result = await db
    .updateTable('erasure_deliveries')
    .set({ ...outcome, leased_until: null })
    .where('receipt_id', '=', claim.receipt_id)
    .where('id', '=', claim.id)
    .where('leased_until', '=', claim.leasedUntil)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Deliveries not yet confirmed nor given up, and when the oldest was queued (metrics). */
export async function outboxBacklog(db: Db): Promise<{ pending: number; oldest: string | null }> {
  const row = await db
    .selectFrom('erasure_deliveries')
    .select((eb) => [eb.fn.countAll<number>().as('pending'), eb.fn.min<string>('created_at').as('oldest')])
    .where('status', '=', 'PENDING')
    .executeTakeFirstOrThrow();
  return { pending: Number(row.pending), oldest: row.oldest ?? null };
}
