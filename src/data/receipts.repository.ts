import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';
import type { ErasureDeliveryRow, ErasureReceiptRow } from './tables.ts';

/** Compiled once: every permanent delete runs it. */
const insertReceiptStatement = compiledOnce((db, row: ErasureReceiptRow) => db.insertInto('erasure_receipts').values(row));

export async function insertReceipt(db: Db, row: ErasureReceiptRow): Promise<void> {
  await insertReceiptStatement(db, row);
}

export async function findReceipt(db: Db, tenantId: string, id: string): Promise<ErasureReceiptRow | undefined> {
  return db.selectFrom('erasure_receipts').selectAll().where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
}

/**
 * The receipt of a queued erasure learns its message count once counted, and that this
 * service's rows are gone (`rowsErasedAt`) once the job has erased them.
 */
export async function updateQueuedReceipt(db: Db, erasureJobId: string, messages: number, rowsErasedAt: string | null): Promise<void> {
  const receipt = await db.selectFrom('erasure_receipts').select(['id', 'counts']).where('erasure_job_id', '=', erasureJobId).executeTakeFirst();
  if (!receipt) return;
  const counts = { ...(JSON.parse(receipt.counts) as Record<string, number>), messages };
  await db
    .updateTable('erasure_receipts')
    .set({ counts: JSON.stringify(counts), ...(rowsErasedAt !== null && { rows_erased_at: rowsErasedAt }) })
    .where('id', '=', receipt.id)
    .execute();
}

/** A receipt's deliveries with their target's name (removed targets too), oldest first. */
export async function deliveriesOfReceipt(db: Db, receiptId: string): Promise<(ErasureDeliveryRow & { target_name: string })[]> {
  return db
    .selectFrom('erasure_deliveries')
    .innerJoin('erasure_targets', 'erasure_targets.id', 'erasure_deliveries.target_id')
    .selectAll('erasure_deliveries')
    .select('erasure_targets.name as target_name')
    .where('erasure_deliveries.receipt_id', '=', receiptId)
    .orderBy('erasure_deliveries.created_at')
    .orderBy('erasure_deliveries.id')
    .execute();
}
