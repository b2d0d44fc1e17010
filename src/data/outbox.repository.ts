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
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('erasure_deliveries')
        .select('id')
        .where('status', '=', 'PENDING')
        .where('next_attempt_at', '<=', now)
        .where((w) => w.or([w('leased_until', 'is', null), w('leased_until', '<', now)]))
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returningAll()
    .execute();
}

/**
 * Confirmed copies, in one statement; answers the ids it completed (not one another claim
 * completed first).
 */
export async function completeDeliveries(db: Db, ids: readonly string[], now: string): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('erasure_deliveries')
    .set((eb) => ({ status: 'COMPLETE', attempts: eb('attempts', '+', 1), last_error: null, completed_at: now, leased_until: null }))
    .where('id', 'in', ids)
    .where('status', '<>', 'COMPLETE')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** A failed attempt, recorded only while this claim still holds the delivery. */
export async function recordFailure(
  db: Db,
  claim: { id: string; leasedUntil: string },
  outcome: Pick<ErasureDeliveryRow, 'status' | 'attempts' | 'last_error' | 'next_attempt_at'>,
): Promise<boolean> {
  const result = await db
    .updateTable('erasure_deliveries')
    .set({ ...outcome, leased_until: null })
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
